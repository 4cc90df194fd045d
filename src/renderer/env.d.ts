import type { SoftphoneApi } from '../shared/contract.js';

declare global {
  /** Replaced at build time by vite.config.ts (`define`). */
  const __APP_VERSION__: string;

  interface Window {
    /** The host API, when the core runs outside the page (Electron preload, test harness). */
    softphone?: SoftphoneApi;
  }

  /** Not yet in TypeScript's DOM lib: Chromium has had it since 110. */
  interface AudioContext {
    setSinkId?(sinkId: string): Promise<void>;
  }
}
