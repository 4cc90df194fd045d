/**
 * The web softphone's host: the core runs in the page itself. Built only when
 * no `window.softphone` exists (no Electron preload, no test harness).
 */
import { HostBridge, inProcessApi } from '../../core/host-bridge.js';
import { SettingsStore } from '../../core/settings.js';
import { Softphone } from '../../core/softphone.js';
import type { HostInfo, SoftphoneApi } from '../../shared/contract.js';
import { LocalStorageStore } from './local-storage-store.js';
import { claimTabDevice } from './tab-device.js';

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

export async function createWebHost(storage: Storage = localStorage, tabStorage: Storage = sessionStorage): Promise<WebHost> {
  const store = new LocalStorageStore(storage);
  // Every tab is a device of its own, so all of them ring (tab-device.ts).
  const { deviceId: id, slot } = await claimTabDevice(storage, tabStorage);
  const platform = navigator.platform || 'web';
  const info: HostInfo = { kind: 'web', platform, appVersion: __APP_VERSION__, deviceId: id };
  const name = `${browserName()} on ${platform}${slot === 0 ? '' : slot === null ? ' (another tab)' : ` (tab ${slot + 1})`}`;
  const phone = new Softphone({
    device: { deviceId: id, kind: 'web', name: name.slice(0, 80), appVersion: __APP_VERSION__ },
    store,
    // Tabs of one browser share the stored refresh token: rotate it one tab at a time.
    exclusive: navigator.locks
      ? (name, fn) => navigator.locks.request(name, () => fn())
      : undefined,
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
