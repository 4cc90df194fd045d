#!/usr/bin/env node
// `npm run typecheck`: every TypeScript project of the repository, each layer
// with its own globals (docs/architecture.md, "Layers and what may import what"):
//   tsconfig.shared.json, tsconfig.core.json   ES2023 only: no DOM, no Node types
//   tsconfig.renderer.json                     DOM, no Node types
//   tsconfig.main.json (main + preload), tsconfig.server.json   Node, no DOM
//   tsconfig.json                              tests, bench, scripts: DOM and Node
// A layer's files are also compiled inside the projects that import them (the
// renderer's web host compiles the core with the DOM); what matters is that each
// layer also compiles alone, with only its own globals.
// One process, one compiler host: a file parsed for one project (lib files,
// node_modules typings, src/shared) is reused by the next, so the six checks cost
// little more than one. `node scripts/typecheck.mjs core server` checks only those.
import path from 'node:path';
import ts from 'typescript';

export const PROJECTS = ['shared', 'core', 'renderer', 'main', 'server', 'tools'];
const configFile = (name) => (name === 'tools' ? 'tsconfig.json' : `tsconfig.${name}.json`);

/** A compiler host whose parsed source files are shared between programs with the same target. */
export function sharedHost(options) {
  const cache = new Map();
  const base = ts.createCompilerHost(options);
  return {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      const key = `${typeof languageVersion === 'object' ? JSON.stringify(languageVersion) : languageVersion}|${fileName}`;
      let sf = cache.get(key);
      if (!sf || shouldCreate) {
        sf = base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (sf) cache.set(key, sf);
      }
      return sf;
    },
  };
}

export function readProject(name, cwd = process.cwd()) {
  const file = path.resolve(cwd, configFile(name));
  const parsed = ts.getParsedCommandLineOfConfigFile(file, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!parsed) throw new Error(`cannot read ${file}`);
  return parsed;
}

const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' };

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.length > 2 ? process.argv.slice(2) : PROJECTS;
  const unknown = names.filter((n) => !PROJECTS.includes(n));
  if (unknown.length) {
    console.error(`unknown project(s): ${unknown.join(', ')} (known: ${PROJECTS.join(', ')})`);
    process.exit(2);
  }
  let host;
  let failed = 0;
  for (const name of names) {
    const t = Date.now();
    const parsed = readProject(name);
    host ??= sharedHost(parsed.options);
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, projectReferences: parsed.projectReferences });
    const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
    const ms = Date.now() - t;
    if (diagnostics.length) {
      failed++;
      process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
      console.error(`✖ ${configFile(name)}: ${diagnostics.length} error(s) (${ms} ms)`);
    } else console.log(`✔ ${configFile(name)} (${ms} ms)`);
  }
  process.exit(failed ? 1 : 0);
}
