/** The headless desktop harness and web softphone helpers for acceptance tests. */
export { openDesktop, type DesktopApp, type DesktopOptions } from './desktop.js';
export type { DesktopShell, DesktopShellOptions, SurfaceEvent } from './desktop-shell.js';
export { openWeb, signInThroughUi, type WebApp, type WebOptions } from './web.js';
export { attachBridge } from './page-bridge.js';
export { launchDesktopChromium } from './desktop-chromium.js';
export { rendererUrl, type HarnessServer } from './urls.js';
export * from './ui.js';
export { openCallPair, closeCallPair, DESKTOP_HZ, WEB_HZ, type CallPair } from './pair.js';
