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
import { Softphone, type SoftphoneOptions } from '../../src/core/softphone.js';
import { APP_ID, PRODUCT_NAME } from '../../src/main/app/constants.js';
import { createDesktopSession } from '../../src/main/app/session.js';
import { FreedesktopNotifier } from '../../src/main/node/freedesktop-notifier.js';
import { waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD } from '../helpers/server.js';
import { toneFile } from '../helpers/tones.js';
import { launchDesktopChromium, type DesktopChromium } from './desktop-chromium.js';
import { shellPorts, type DesktopShell, type DesktopShellOptions } from './desktop-shell.js';
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
  /** The real DesktopApp around the core (only with the `shell` option). */
  shell?: DesktopShell;
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
  /**
   * Run the desktop shell too: the real DesktopApp (notifications, ringing
   * window, power, links) composed by createDesktopSession as the Electron
   * main process does, with the real FreedesktopNotifier when a bus address
   * is given (tests/harness/desktop-shell.ts). `hide()` / `show()` then go
   * through its main-window port, and the app's own show / hide move the window.
   */
  shell?: DesktopShellOptions;
  /** Core tuning (e.g. a short heartbeat or ended-call linger). */
  core?: Partial<Pick<SoftphoneOptions, 'heartbeatIntervalMs' | 'endedCallLingerMs' | 'ringingLossGraceMs' | 'requestTimeoutMs'>>;
}

export async function openDesktop(server: HarnessServer, username: string, opts: DesktopOptions = {}): Promise<DesktopApp> {
  if (opts.shell) return openDesktopWithShell(server, username, opts, opts.shell);
  const { toneHz = 440, signedIn = true, rawAudio = true } = opts;
  await server.addUser(username);
  const store = new MemoryStore();
  const deviceId = `${username}-desktop-${randomUUID().slice(0, 8)}`;
  const phone = new Softphone({
    device: { deviceId, kind: 'desktop', name: `${username}'s desktop`, appVersion: 'test' },
    store,
    reconnectBaseMs: 100,
    reconnectMaxMs: 1_000,
    ...opts.core,
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

/** openDesktop with the real DesktopApp around the core (see DesktopOptions.shell). */
async function openDesktopWithShell(
  server: HarnessServer,
  username: string,
  opts: DesktopOptions,
  shellOpts: DesktopShellOptions,
): Promise<DesktopApp> {
  const { toneHz = 440, signedIn = true, rawAudio = true } = opts;
  await server.addUser(username);
  const notifier = shellOpts.busAddress
    ? await FreedesktopNotifier.connect({ appName: PRODUCT_NAME, desktopEntry: APP_ID, busAddress: shellOpts.busAddress })
    : null;
  const chrome = await launchDesktopChromium({ microphoneWav: toneFile(toneHz), width: opts.width, height: opts.height }).catch((err: unknown) => {
    notifier?.disconnect();
    throw err;
  });
  const edge = shellPorts(chrome, notifier ?? shellOpts.notifier);
  const session = await createDesktopSession({
    store: new MemoryStore(),
    ports: edge.ports,
    platform: process.platform,
    appVersion: 'test',
    deviceName: `${username}'s desktop`,
    core: { reconnectBaseMs: 100, reconnectMaxMs: 1_000, ...opts.core },
  });
  const { phone, settings, bridge, desktop } = session;
  let pageBridge: PageBridge | undefined;
  const close = async () => {
    pageBridge?.detach();
    await desktop.dispose();
    await chrome.close();
    await phone.stop();
    notifier?.disconnect();
  };
  try {
    // Conditions in tests mix surface changes and session states.
    phone.on('state', () => edge.os.poke());
    await desktop.start();
    if (signedIn) {
      const res = await bridge.invoke('session.login', { serverUrl: server.url, username, password: TEST_PASSWORD });
      if (!res.ok) throw new Error(`${username} could not sign in: ${res.error.message}`);
      await waitForState(phone, (s) => s.connection === 'connected', 10_000, `${username} desktop connected`);
    }
    pageBridge = await attachBridge(chrome.context, bridge);
    // As Electron's did-finish-load / did-start-navigation tell the app when the window can take commands.
    const page = chrome.page;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) desktop.rendererGone();
    });
    page.on('load', () => desktop.rendererReady());
    const url = rendererUrl(server, { rawAudio });
    await page.goto(url);
    const shell: DesktopShell = {
      app: desktop,
      os: edge.os,
      mainWindow: edge.mainWindow,
      ringingWindow: edge.ringingWindow,
      events: edge.events,
      waitForEvent: edge.waitForEvent,
    };
    return {
      username,
      phone,
      settings,
      bridge,
      chrome,
      page,
      pageBridge,
      // The renderer's `window.hide` reaches the main-window port (createDesktopSession's hook).
      get hideRequests() {
        return edge.mainWindow.hides;
      },
      hide: () => edge.mainWindow.userSets(false),
      show: () => edge.mainWindow.userSets(true),
      openRingingWindow: () => chrome.newWindow(`${url}#ringing`),
      shell,
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
