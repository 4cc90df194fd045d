/**
 * Electron main-process entry (bundled to dist/main/main.mjs). Everything
 * lives in platform/bootstrap.ts (Electron wiring) and app/ (behaviour).
 */
import { consoleLogger } from './node/logger.js';
import { bootstrap } from './platform/bootstrap.js';

bootstrap().catch((err: unknown) => {
  consoleLogger('error').error('the desktop app failed to start', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
