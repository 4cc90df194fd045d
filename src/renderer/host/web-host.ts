/**
 * The web softphone's host: the core runs in the page itself. Built only when
 * no `window.softphone` exists (no Electron preload, no test harness).
 */
import { HostBridge, inProcessApi } from '../../core/host-bridge.js';
import { SettingsStore } from '../../core/settings.js';
import { Softphone } from '../../core/softphone.js';
import type { HostInfo, SoftphoneApi } from '../../shared/contract.js';
import { LocalStorageStore } from './local-storage-store.js';

const DEVICE_ID_KEY = 'deviceId';

/** A stable id for this browser profile, so the server recognises the device across reloads. */
function deviceId(storage: Storage): string {
  const key = `softphone:${DEVICE_ID_KEY}`;
  let id = storage.getItem(key);
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    id = `web-${crypto.randomUUID()}`;
    storage.setItem(key, id);
  }
  return id;
}

function browserName(): string {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return 'Edge';
  if (/Firefox\//.test(ua)) return 'Firefox';
  if (/Chrom(e|ium)\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua)) return 'Safari';
  return 'Browser';
}

export interface WebHost {
  api: SoftphoneApi;
  phone: Softphone;
}

export async function createWebHost(storage: Storage = localStorage): Promise<WebHost> {
  const store = new LocalStorageStore(storage);
  const id = deviceId(storage);
  const platform = navigator.platform || 'web';
  const info: HostInfo = { kind: 'web', platform, appVersion: __APP_VERSION__, deviceId: id };
  const phone = new Softphone({
    device: { deviceId: id, kind: 'web', name: `${browserName()} on ${platform}`.slice(0, 80), appVersion: __APP_VERSION__ },
    store,
  });
  // The page's own origin serves the web softphone, so it is the natural default server.
  const settings = new SettingsStore(store, { serverUrl: location.origin });
  await settings.load();
  const bridge = new HostBridge(phone, settings, { info });
  await phone.restore();
  // Network changes in the browser: reconnect at once instead of waiting for a backoff timer.
  window.addEventListener('online', () => phone.networkOnline());
  return { api: inProcessApi(bridge), phone };
}
