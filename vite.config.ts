import { defineConfig } from 'vite';

// The renderer: one bundle for the desktop window and the web softphone.
// `base: './'` lets the same files load from the app's own origin in Electron
// and from the server's origin on the web.
export default defineConfig({
  root: 'src/renderer',
  base: './',
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
  },
});
