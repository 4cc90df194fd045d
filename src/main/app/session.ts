/**
 * Composition of the desktop session, without Electron: the softphone core
 * (device kind 'desktop', with a stable device id), the device settings,
 * the host bridge the renderer talks to, and the DesktopApp around them.
 * platform/bootstrap.ts calls this with Electron-backed ports; the
 * integration tests call it with fakes at the OS edge and a real server.
 */
import { normalizeUsername } from '../../shared/contract.js';
import { HostBridge } from '../../core/host-bridge.js';
import type { Fetch } from '../../core/api-client.js';
import type { CoreLogger, KeyValueStore } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { SettingsStore } from '../../core/settings.js';
import { Softphone, errorBody, type SoftphoneOptions } from '../../core/softphone.js';
import { Id } from '../../shared/protocol/index.js';
import { DesktopApp, type DesktopPorts } from './desktop-app.js';

export const DEVICE_ID_KEY = 'deviceId';

export interface DesktopSessionOptions {
  /** Persistent store (the `session` key should be encrypted: ProtectedKeyValueStore). */
  store: KeyValueStore;
  ports: DesktopPorts;
  platform: string;
  appVersion: string;
  /** Shown to the user in the device list, e.g. the host name. */
  deviceName: string;
  log?: CoreLogger;
  fetch?: Fetch;
  /** Core tuning (tests use short heartbeats). */
  core?: Partial<Omit<SoftphoneOptions, 'device' | 'store' | 'fetch' | 'log'>>;
  missedGroupWindowMs?: number;
  now?: () => number;
}

export interface DesktopSession {
  deviceId: string;
  phone: Softphone;
  settings: SettingsStore;
  bridge: HostBridge;
  desktop: DesktopApp;
}

/** The device id is created once per installation and kept: the server keys calls and pushes by it. */
export async function loadOrCreateDeviceId(store: KeyValueStore): Promise<string> {
  const saved = await store.get<unknown>(DEVICE_ID_KEY);
  if (Id.safeParse(saved).success) return saved as string;
  const id = `desktop-${globalThis.crypto.randomUUID()}`;
  await store.set(DEVICE_ID_KEY, id);
  return id;
}

export async function createDesktopSession(o: DesktopSessionOptions): Promise<DesktopSession> {
  const log = o.log ?? silentLogger;
  const deviceId = await loadOrCreateDeviceId(o.store);
  const settings = new SettingsStore(o.store);
  await settings.load();
  const phone = new Softphone({
    ...o.core,
    device: { deviceId, kind: 'desktop', name: o.deviceName.slice(0, 80) || 'Desktop', appVersion: o.appVersion },
    store: o.store,
    fetch: o.fetch,
    log,
  });
  const bridge = new HostBridge(phone, settings, {
    info: { kind: 'desktop', platform: o.platform, appVersion: o.appVersion, deviceId },
    hideWindow: () => o.ports.mainWindow.hide(),
  });
  const desktop = new DesktopApp({
    phone,
    bridge,
    settings,
    store: o.store,
    ports: o.ports,
    log,
    missedGroupWindowMs: o.missedGroupWindowMs,
    now: o.now,
  });
  return { deviceId, phone, settings, bridge, desktop };
}

export interface AutoLogin {
  serverUrl: string;
  username: string;
  password: string;
}

/**
 * `SOFTPHONE_AUTOLOGIN_SERVER`, `…_USERNAME`, `…_PASSWORD` (npm start, the
 * Electron end-to-end test). All three or nothing.
 */
export function autoLoginFromEnv(env: Record<string, string | undefined>): AutoLogin | null {
  const serverUrl = env.SOFTPHONE_AUTOLOGIN_SERVER?.trim();
  const username = env.SOFTPHONE_AUTOLOGIN_USERNAME?.trim();
  const password = env.SOFTPHONE_AUTOLOGIN_PASSWORD;
  if (!serverUrl || !username || !password) return null;
  return { serverUrl, username, password };
}

/**
 * Resumes the remembered session; signs in with the auto-login
 * credentials when there is none or it belongs to someone else.
 * Never throws: a failed sign-in leaves the app on its sign-in screen with
 * the error in the session state.
 */
export async function startSession(phone: Softphone, auto: AutoLogin | null, log: CoreLogger = silentLogger): Promise<'restored' | 'signed-in' | 'signed-out'> {
  const restored = await phone.restore().catch((err: unknown) => {
    log.warn('restoring the session failed', { error: errorBody(err) });
    return false;
  });
  if (auto) {
    const s = phone.snapshot();
    let sameServer = false;
    try {
      sameServer = new URL(auto.serverUrl).origin === s.serverUrl;
    } catch {
      sameServer = false;
    }
    if (restored && sameServer && s.user?.username === normalizeUsername(auto.username)) return 'restored';
    try {
      await phone.login(auto.serverUrl, auto.username, auto.password);
      return 'signed-in';
    } catch (err) {
      log.warn('auto sign-in failed', { error: errorBody(err) });
      return 'signed-out';
    }
  }
  return restored ? 'restored' : 'signed-out';
}
