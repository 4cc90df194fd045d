/**
 * Bundles what the benchmark runs as plain `node` processes, so no TypeScript
 * loader sits in a measured process:
 *   server      src/server/cli.ts with the same esbuild options as the `dist/server/cli.mjs`
 *               target of scripts/build.mjs (bundled sources, node_modules external)
 *   bare server bench/baseline/bare-server.ts
 *   workers     bench/workers/*.ts (load generators; they bundle src/core)
 * Output goes to a per-run folder under dist/bench/ (inside the repository, so the
 * external packages resolve from node_modules; dist/ is git-ignored). Building our own
 * copy instead of calling scripts/build.mjs keeps the bench independent of the Electron
 * targets, and never overwrites dist/server while someone else runs it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SERVER_BUNDLE } from '../../scripts/server-bundle.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BuildOutput {
  dir: string;
  serverCli: string;
  bareServer: string;
  memProbe: string;
  workers: {
    leanDevices: string;
    callLoad: string;
    phones: string;
    idleCore: string;
    queueAgents: string;
    queueCallers: string;
  };
}

const WORKERS = {
  leanDevices: 'lean-devices',
  callLoad: 'call-load',
  phones: 'phones',
  idleCore: 'idle-core',
  queueAgents: 'queue-agents',
  queueCallers: 'queue-callers',
} as const;

/**
 * `serverEntry`: build the server from another entry (an A/B copy of src/ with a change
 * under evaluation); default src/server/cli.ts.
 */
export async function buildBench(serverEntry = path.join(REPO_ROOT, 'src/server/cli.ts')): Promise<BuildOutput> {
  const dir = path.join(REPO_ROOT, 'dist', 'bench', `build-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const common = {
    bundle: true,
    sourcemap: true,
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
    platform: 'node',
    format: 'esm',
    packages: 'external',
  } as const;
  const out = (name: string) => path.join(dir, `${name}.mjs`);
  await Promise.all([
    // The same options as dist/server (scripts/server-bundle.mjs): in chunks, optional backends lazy.
    build({ ...SERVER_BUNDLE, entryPoints: [path.resolve(serverEntry)], outdir: path.join(dir, 'server') }),
    build({ ...common, entryPoints: [path.join(REPO_ROOT, 'bench/baseline/bare-server.ts')], outfile: out('bare-server') }),
    ...Object.values(WORKERS).map((w) =>
      build({ ...common, entryPoints: [path.join(REPO_ROOT, `bench/workers/${w}.ts`)], outfile: out(w) }),
    ),
  ]);
  return {
    dir,
    serverCli: path.join(dir, 'server', 'cli.mjs'),
    bareServer: out('bare-server'),
    memProbe: path.join(REPO_ROOT, 'bench/probe/mem-probe.mjs'),
    workers: {
      leanDevices: out(WORKERS.leanDevices),
      callLoad: out(WORKERS.callLoad),
      phones: out(WORKERS.phones),
      idleCore: out(WORKERS.idleCore),
      queueAgents: out(WORKERS.queueAgents),
      queueCallers: out(WORKERS.queueCallers),
    },
  };
}

export function removeBuild(b: BuildOutput): void {
  fs.rmSync(b.dir, { recursive: true, force: true });
}
