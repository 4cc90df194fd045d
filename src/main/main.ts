/**
 * Electron main-process entry (bundled to dist/main/main.mjs). Everything
 * lives in platform/bootstrap.ts (Electron wiring) and app/ (behaviour).
 */
import { bootstrap } from './platform/bootstrap.js';

bootstrap().catch((err: unknown) => {
  console.error('the desktop app failed to start:', err);
  process.exit(1);
});
