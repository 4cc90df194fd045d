/**
 * The headless desktop app: the REAL core (Softphone + SettingsStore +
 * HostBridge, what the Electron main process runs) in this Node process and
 * the REAL renderer bundle (dist/renderer) in Chromium, bridged through the
 * renderer contract exactly as the preload does it.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { HostBridge } from '../../src/core/host-bridge.js';
import { MemoryStore } from '../../src/core/ports.js';
import { SettingsStore } from '../../src/core/settings.js';
import { Softphone } from '../../src/core/softphone.js';
import { waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD } from '../helpers/server.js';
import { toneFile } from '../helpers/tones.js';
import { launchDesktopChromium, type DesktopChromium } from './desktop-chromium.js';
import { attachBridge, type PageBridge } from './page-bridge.js';
import { rendererUrl, type HarnessServer } from './urls.js';

export interface DesktopApp {
  username: string;
  phone: Softphone;
  settings: SettingsStore;
  bridge: HostBridge;
  chrome: DesktopChromium;
  page: Page;
  pageBridge: PageBridge;
  /** How often the renderer asked the host to hide its window. */
  hideRequests: number;
  /** Minimises the main window: the page becomes hidden (visibilityState). */
  hide(): Promise<void>;
  show(): Promise<void>;
  /** Opens the compact ringing window (`index.html#ringing`) in its own window. */
  openRingingWindow(): Promise<Page>;
  close(): Promise<void>;
}

export interface DesktopOptions {
  /** The fake microphone's tone (Hz). */
  toneHz?: number;
  /** Sign the core in before the window opens (default true), as a returning user. */
  signedIn?: boolean;
  width?: number;
  height?: number;
  /** Raw audio (no echo cancellation etc.) so tones survive; default true. */
  rawAudio?: boolean;
}

export async function openDesktop(server: HarnessServer, username: string, opts: DesktopOptions = {}): Promise<DesktopApp> {
  const { toneHz = 440, signedIn = true, rawAudio = true } = opts;
  await server.addUser(username);
  const store = new MemoryStore();
  const deviceId = `${username}-desktop-${randomUUID().slice(0, 8)}`;
  const phone = new Softphone({
    device: { deviceId, kind: 'desktop', name: `${username}'s desktop`, appVersion: 'test' },
    store,
    reconnectBaseMs: 100,
    reconnectMaxMs: 1_000,
  });
  const settings = new SettingsStore(store);
  await settings.load();
  let hideRequests = 0;
  const bridge = new HostBridge(phone, settings, {
    info: { kind: 'desktop', platform: process.platform, appVersion: 'test', deviceId },
    hideWindow: () => {
      hideRequests++;
    },
  });
  if (signedIn) {
    await phone.login(server.url, username, TEST_PASSWORD);
    await settings.set({ serverUrl: server.url });
    await waitForState(phone, (s) => s.connection === 'connected', 10_000, `${username} desktop connected`);
  }
  const chrome = await launchDesktopChromium({ microphoneWav: toneFile(toneHz), width: opts.width, height: opts.height });
  const pageBridge = await attachBridge(chrome.context, bridge);
  const url = rendererUrl(server, { rawAudio });
  await chrome.page.goto(url);
  const app: DesktopApp = {
    username,
    phone,
    settings,
    bridge,
    chrome,
    page: chrome.page,
    pageBridge,
    get hideRequests() {
      return hideRequests;
    },
    hide: () => chrome.hide(),
    show: () => chrome.show(),
    openRingingWindow: () => chrome.newWindow(`${url}#ringing`),
    async close() {
      pageBridge.detach();
      await chrome.close();
      await phone.stop();
    },
  };
  return app;
}
