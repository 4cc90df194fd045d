/**
 * The layer rules (docs/architecture.md, docs/desktop.md) are enforced by the
 * per-layer tsconfig projects (`npm run typecheck`) and the lint zones
 * (`npm run lint`). Each rule is proved here with a probe: a small file that
 * breaks it, compiled or linted in memory as if it sat in the layer, must fail
 * for the reason named (TypeScript diagnostic code / ESLint rule id). A compliant
 * probe next to it must pass, so a probe cannot fail for an unrelated reason.
 * Nothing is written into the tree. That the real tree passes is what
 * `npm run typecheck` and `npm run lint` check (first steps of `npm test`).
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

// --- TypeScript: compile one in-memory file with a layer's tsconfig -----------------
type Layer = 'shared' | 'core' | 'renderer' | 'main' | 'server';
const projects = new Map<Layer, ts.ParsedCommandLine>();
function project(layer: Layer): ts.ParsedCommandLine {
  let parsed = projects.get(layer);
  if (!parsed) {
    const file = path.join(root, `tsconfig.${layer}.json`);
    const read = ts.getParsedCommandLineOfConfigFile(file, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    if (!read) throw new Error(`cannot read ${file}`);
    projects.set(layer, (parsed = read));
  }
  return parsed;
}

/** Diagnostic codes for `code` compiled as `relPath` in the layer's project (its own declaration files included). */
function typecheck(layer: Layer, relPath: string, code: string): number[] {
  const { options, fileNames } = project(layer);
  const probe = path.join(root, relPath);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    path.resolve(name) === probe ? ts.createSourceFile(name, code, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === probe || fileExists(name);
  const program = ts.createProgram({ rootNames: [...fileNames.filter((f) => f.endsWith('.d.ts')), probe], options, host });
  const sf = program.getSourceFile(probe)!;
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => d.code);
}

// TS2584: "Cannot find name 'X'. Do you need to change your target library? Try changing the 'lib' compiler option to include 'dom'."
// TS2580 / TS2591: "Cannot find name 'X'. Do you need to install type definitions for node?"
// TS2304: "Cannot find name 'X'."
const NO_DOM = 2584;
const NO_NODE = [2580, 2591];

describe('tsconfig projects: each layer compiles with only its own globals', { timeout: 60_000 }, () => {
  it('src/core has no DOM: `document` and `console` are unknown names (TS2584)', () => {
    expect(typecheck('core', 'src/core/__probe__.ts', 'export const t = document.title;')).toEqual([NO_DOM]);
    expect(typecheck('core', 'src/core/__probe__.ts', "console.log('x');\nexport {};")).toEqual([NO_DOM]);
  });

  it('src/core has no Node: `process` and `Buffer` are unknown names (TS2580)', () => {
    expect(NO_NODE).toContain(typecheck('core', 'src/core/__probe__.ts', 'export const e = process.env;')[0]);
    expect(NO_NODE).toContain(typecheck('core', 'src/core/__probe__.ts', "export const b = Buffer.from('x');")[0]);
  });

  it('src/core may use the host globals declared for it (timers, fetch, URL, structuredClone, crypto.randomUUID)', () => {
    const ok = [
      'const h = setTimeout(() => {}, 1); clearTimeout(h);',
      'const i = setInterval(() => {}, 1); clearInterval(i); queueMicrotask(() => {});',
      "const a = new AbortController(); void fetch(new URL('/x', 'http://h'), { signal: a.signal }).then((r) => r.json());",
      'export const c = structuredClone({ a: 1 }); export const id = globalThis.crypto.randomUUID();',
    ].join('\n');
    expect(typecheck('core', 'src/core/__probe__.ts', `${ok}\nexport {};`)).toEqual([]);
  });

  it('src/shared has neither DOM nor Node (TS2580 for Buffer, TS2584 for document)', () => {
    expect(NO_NODE).toContain(typecheck('shared', 'src/shared/__probe__.ts', "export const b = Buffer.from('x');")[0]);
    expect(typecheck('shared', 'src/shared/__probe__.ts', 'export const t = document.title;')).toEqual([NO_DOM]);
    expect(typecheck('shared', 'src/shared/__probe__.ts', "import { z } from 'zod';\nexport const s = z.string();")).toEqual([]);
  });

  it('src/renderer has the DOM but not Node (TS2580 for process)', () => {
    expect(typecheck('renderer', 'src/renderer/ui/__probe__.ts', 'export const t = document.title;')).toEqual([]);
    expect(NO_NODE).toContain(typecheck('renderer', 'src/renderer/ui/__probe__.ts', 'export const e = process.env;')[0]);
  });

  it('src/main and src/server have Node but not the DOM (TS2584 for document)', () => {
    expect(typecheck('main', 'src/main/app/__probe__.ts', 'export const e = process.env;')).toEqual([]);
    expect(typecheck('main', 'src/main/app/__probe__.ts', 'export const t = document.title;')).toEqual([NO_DOM]);
    expect(typecheck('server', 'src/server/__probe__.ts', 'export const e = process.env;')).toEqual([]);
    expect(typecheck('server', 'src/server/__probe__.ts', 'export const t = document.title;')).toEqual([NO_DOM]);
  });
});

// --- ESLint: lint one in-memory file as if it sat at a path of the tree ----------------
// The probe paths do not exist on disk, so the project service does not find them in
// tsconfig.json: it is told to give them the default project (tsconfig.json's options).
const probePaths = [
  'src/core',
  'src/shared',
  'src/renderer',
  'src/renderer/ui',
  'src/renderer/media',
  'src/renderer/host',
  'src/main/app',
  'src/main/node',
  'src/main/platform',
  'src/preload',
  'src/server',
  'src/server/calls',
  'tests/unit',
].map((dir) => `${dir}/__probe__.ts`);
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      languageOptions: {
        parserOptions: {
          projectService: {
            allowDefaultProject: probePaths,
            defaultProject: 'tsconfig.json',
            maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: probePaths.length,
          },
          tsconfigRootDir: root,
        },
      },
    },
  });
});

/** Rule ids reported for `code` linted as `relPath` (style and any-typing rules ignored: probes are terse). */
async function lint(relPath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, relPath) });
  const fatal = result!.messages.filter((m) => m.fatal || m.ruleId === null);
  if (fatal.length) throw new Error(`probe ${relPath} did not lint: ${fatal.map((m) => m.message).join('; ')}`);
  const noise = new Set(['@typescript-eslint/no-unused-vars', '@typescript-eslint/consistent-type-imports', '@typescript-eslint/no-unsafe-assignment']);
  return [...new Set(result!.messages.map((m) => m.ruleId!).filter((r) => !noise.has(r)))];
}
const IMPORTS = 'no-restricted-imports';

describe('lint zones', { timeout: 60_000 }, () => {
  it('electron and electron/* only in src/main/platform and src/preload', async () => {
    expect(await lint('src/main/app/__probe__.ts', "import { app } from 'electron';\nexport const a = app;")).toEqual([IMPORTS]);
    expect(await lint('src/main/app/__probe__.ts', "import { app } from 'electron/main';\nexport const a = app;")).toEqual([IMPORTS]);
    expect(await lint('src/renderer/ui/__probe__.ts', "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;")).toEqual([IMPORTS]);
    expect(await lint('src/server/__probe__.ts', "import { app } from 'electron';\nexport const a = app;")).toEqual([IMPORTS]);
    expect(await lint('src/main/platform/__probe__.ts', "import { app } from 'electron';\nexport const a = app;")).toEqual([]);
    expect(await lint('src/preload/__probe__.ts', "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;")).toEqual([]);
  });

  it('no Node built-ins (node:* or bare) in core, shared, renderer and main/app', async () => {
    expect(await lint('src/core/__probe__.ts', "import fs from 'node:fs';\nexport const f = fs;")).toEqual([IMPORTS]);
    expect(await lint('src/core/__probe__.ts', "import { EventEmitter } from 'events';\nexport const e = EventEmitter;")).toEqual([IMPORTS]);
    expect(await lint('src/shared/__probe__.ts', "import path from 'path';\nexport const p = path;")).toEqual([IMPORTS]);
    expect(await lint('src/renderer/media/__probe__.ts', "import { setTimeout as wait } from 'timers/promises';\nexport const w = wait;")).toEqual([IMPORTS]);
    expect(await lint('src/main/app/__probe__.ts', "import os from 'node:os';\nexport const o = os;")).toEqual([IMPORTS]);
    expect(await lint('src/main/node/__probe__.ts', "import os from 'node:os';\nexport const o = os;")).toEqual([]);
    expect(await lint('src/server/__probe__.ts', "import os from 'node:os';\nexport const o = os;")).toEqual([]);
  });

  it('nothing upward: app does not reach platform or node adapters, node not platform', async () => {
    expect(await lint('src/main/app/__probe__.ts', "import { MainWindow } from '../platform/windows.js';\nexport const w = MainWindow;")).toEqual([IMPORTS]);
    expect(await lint('src/main/app/__probe__.ts', "import { consoleLogger } from '../node/logger.js';\nexport const l = consoleLogger;")).toEqual([IMPORTS]);
    expect(await lint('src/main/node/__probe__.ts', "import { MainWindow } from '../platform/windows.js';\nexport const w = MainWindow;")).toEqual([IMPORTS]);
    expect(await lint('src/main/platform/__probe__.ts', "import { consoleLogger } from '../node/logger.js';\nexport const l = consoleLogger;")).toEqual([]);
  });

  it('the renderer reaches the core only from src/renderer/host/', async () => {
    const importCore = (rel: string) => `import { Softphone } from '${rel}core/softphone.js';\nexport const s = Softphone;`;
    expect(await lint('src/renderer/ui/__probe__.ts', importCore('../../'))).toEqual([IMPORTS]);
    expect(await lint('src/renderer/media/__probe__.ts', importCore('../../'))).toEqual([IMPORTS]);
    expect(await lint('src/renderer/__probe__.ts', importCore('../'))).toEqual([IMPORTS]);
    expect(await lint('src/renderer/host/__probe__.ts', importCore('../../'))).toEqual([]);
    expect(await lint('src/renderer/host/__probe__.ts', "import { x } from '../../main/app/constants.js';\nexport const y = x;")).toEqual([IMPORTS]);
  });

  it('core imports only shared; server only shared; shared nothing of ours', async () => {
    expect(await lint('src/core/__probe__.ts', "import { x } from '../server/config.js';\nexport const y = x;")).toEqual([IMPORTS]);
    expect(await lint('src/core/__probe__.ts', "import { x } from '../renderer/log.js';\nexport const y = x;")).toEqual([IMPORTS]);
    expect(await lint('src/core/__probe__.ts', "import { x } from '../main/app/constants.js';\nexport const y = x;")).toEqual([IMPORTS]);
    expect(await lint('src/core/__probe__.ts', "import { ProtocolError } from '../shared/protocol/index.js';\nexport const p = ProtocolError;")).toEqual([]);
    expect(await lint('src/server/calls/__probe__.ts', "import { Backoff } from '../../core/backoff.js';\nexport const b = Backoff;")).toEqual([IMPORTS]);
    expect(await lint('src/server/calls/__probe__.ts', "import { ProtocolError } from '../../shared/protocol/index.js';\nexport const p = ProtocolError;")).toEqual([]);
    expect(await lint('src/shared/__probe__.ts', "import { Backoff } from '../core/backoff.js';\nexport const b = Backoff;")).toEqual([IMPORTS]);
  });

  it('no console in src/ outside the server CLI', async () => {
    expect(await lint('src/server/calls/__probe__.ts', "console.log('x');")).toEqual(['no-console']);
    expect(await lint('src/renderer/ui/__probe__.ts', "console.warn('x');")).toEqual(['no-console']);
    expect(await lint('src/main/app/__probe__.ts', "console.error('x');")).toEqual(['no-console']);
    expect(await lint('tests/unit/__probe__.ts', "console.log('x');")).toEqual([]);
  });

  it('a switch over a union covers every member or has a default', async () => {
    const sw = (body: string) => `type Kind = 'a' | 'b' | 'c';\nexport function f(k: Kind): number {\n  switch (k) {\n${body}\n  }\n  return 0;\n}`;
    expect(await lint('src/core/__probe__.ts', sw("    case 'a':\n      return 1;\n    case 'b':\n      return 2;"))).toEqual([
      '@typescript-eslint/switch-exhaustiveness-check',
    ]);
    expect(await lint('src/core/__probe__.ts', sw("    case 'a':\n      return 1;\n    default:\n      return 2;"))).toEqual([]);
  });
});
