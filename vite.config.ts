import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// The renderer: one bundle for the desktop window and the web softphone (index.html), and
// the click-to-call page for guests (call.html, served at /call/<queue>).
// `base: './'` lets the same files load from the app's own origin in Electron
// and from the server's origin on the web.
export default defineConfig({
  root: 'src/renderer',
  base: './',
  // No React plugin: Vite's own transformer handles TSX with the automatic runtime.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // Everything in files: the page's CSP allows no inline script, and blob/data URLs stay for media only.
    assetsInlineLimit: 0,
    // The timing report is noise on a loaded 2-core CI machine.
    rolldownOptions: {
      checks: { bundlerTimings: false },
      input: {
        index: fileURLToPath(new URL('./src/renderer/index.html', import.meta.url)),
        call: fileURLToPath(new URL('./src/renderer/call.html', import.meta.url)),
      },
    },
  },
});
