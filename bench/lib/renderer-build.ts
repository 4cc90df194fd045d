/**
 * Builds the renderer (the page the desktop window and the web softphone
 * load) for part 4 from the sources under test, with the project's own Vite
 * config, into the run's build folder. The server under test serves it
 * (WEB_ROOT), so the bench never measures a stale dist/renderer and never
 * overwrites the one other work may be serving. About 2 s.
 */
import path from 'node:path';
import { build } from 'vite';
import { REPO_ROOT, type BuildOutput } from './build.js';

export async function buildRenderer(b: BuildOutput): Promise<string> {
  const outDir = path.join(b.dir, 'renderer');
  await build({
    configFile: path.join(REPO_ROOT, 'vite.config.ts'),
    root: path.join(REPO_ROOT, 'src/renderer'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
