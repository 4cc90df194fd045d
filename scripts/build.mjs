#!/usr/bin/env node
// Builds everything into dist/:
//   dist/renderer/        the React renderer (Vite): desktop window and web softphone
//   dist/main/main.mjs    Electron main process (esbuild, ESM)
//   dist/preload/preload.cjs  sandboxed preload (esbuild, CommonJS: sandboxed preloads cannot be ESM)
//   dist/server/cli.mjs   the signaling server for `node dist/server/cli.mjs`
// `node scripts/build.mjs renderer` builds only the renderer.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { SERVER_BUNDLE } from './server-bundle.mjs';

const only = process.argv[2];
const started = Date.now();

async function renderer() {
  await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
}

async function node() {
  const common = { bundle: true, sourcemap: true, target: 'node20', logLevel: 'warning', legalComments: 'none' };
  await Promise.all([
    esbuild({
      ...common,
      entryPoints: ['src/main/main.ts'],
      outfile: 'dist/main/main.mjs',
      platform: 'node',
      format: 'esm',
      external: ['electron', 'dbus-next'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    }),
    esbuild({
      ...common,
      entryPoints: ['src/preload/preload.ts'],
      outfile: 'dist/preload/preload.cjs',
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
    }),
    esbuild({ ...SERVER_BUNDLE, entryPoints: ['src/server/cli.ts'], outdir: 'dist/server' }),
  ]);
}

if (only === 'renderer') await renderer();
else if (only === 'node') await node();
else await Promise.all([renderer(), node()]);
console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
