/**
 * esbuild options for the server bundle, shared by scripts/build.mjs (dist/server) and the
 * benchmark's own build (bench/lib/build.ts). The server goes out in chunks: what only a
 * multi-node (Redis, PostgreSQL) or FCM setup needs is imported dynamically and lands in its
 * own chunk with its packages, so a single node never loads them. Entry: `<outdir>/cli.mjs`.
 */
export const SERVER_BUNDLE = {
  bundle: true,
  sourcemap: true,
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
  platform: 'node',
  format: 'esm',
  packages: 'external',
  splitting: true,
  entryNames: 'cli',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
};
