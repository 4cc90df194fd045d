/**
 * The call page's host (/call/<queue>, docs/support-line.md): a guest's softphone core
 * runs in the page, as the web softphone's does, but with no account. POST /api/guest
 * gives a token for one call to this queue and the device id to use; the core signs in
 * with it (`startGuest`: nothing remembered, no refresh), and the call is the core's own
 * `call:invite {to: {queue}}`, so waiting, answer, media and hang-up are the core's
 * (no call logic here). The page's UI reaches it only through `SoftphoneApi` and the
 * few calls below.
 */
import { ApiClient } from '../../core/api-client.js';
import { HostBridge, inProcessApi } from '../../core/host-bridge.js';
import { MemoryStore } from '../../core/ports.js';
import { SettingsStore } from '../../core/settings.js';
import { Softphone } from '../../core/softphone.js';
import type { CallInfo, SessionState, SoftphoneApi } from '../../shared/contract.js';
import { ProtocolError, type GuestResponse, type PublicQueueInfo } from '../../shared/protocol/index.js';

/** Connecting the guest's socket should take well under a second; this is the give-up. */
const CONNECT_TIMEOUT_MS = 15_000;

export interface GuestCall {
  /** The renderer contract of the guest's core (session snapshots, media, signaling). */
  readonly api: SoftphoneApi;
  readonly guest: GuestResponse;
  /** Connects with the guest token and places the call to the queue. */
  place(): Promise<CallInfo>;
  /** Hangs up (leaves the line while waiting). */
  hangup(callId: string): Promise<void>;
  /** Disconnects; the page can start over with a new guest. */
  close(): Promise<void>;
}

export class GuestLine {
  private readonly http: ApiClient;

  constructor(
    readonly queueId: string,
    readonly origin: string = location.origin,
  ) {
    this.http = new ApiClient(origin);
  }

  /** The queue's name and whether it takes calls now; `not_found` for an unknown or private queue. */
  info(): Promise<PublicQueueInfo> {
    return this.http.publicQueue(this.queueId);
  }

  /** Asks for a guest token (rate-limited per IP) and builds that guest's core. */
  async open(name: string): Promise<GuestCall> {
    const trimmed = name.trim();
    const guest = await this.http.guest({ queue: this.queueId, ...(trimmed ? { name: trimmed.slice(0, 60) } : {}) });
    const store = new MemoryStore();
    const appVersion = __APP_VERSION__;
    const phone = new Softphone({
      device: { deviceId: guest.deviceId, kind: 'web', name: 'Call page', appVersion },
      store,
      reconnectBaseMs: 300,
      reconnectMaxMs: 5_000,
    });
    const settings = new SettingsStore(store, { serverUrl: this.origin });
    await settings.load();
    const bridge = new HostBridge(phone, settings, {
      info: { kind: 'web', platform: navigator.platform || 'web', appVersion, deviceId: guest.deviceId },
    });
    const onOnline = () => phone.networkOnline();
    window.addEventListener('online', onOnline);
    const queue = this.queueId;
    return {
      api: inProcessApi(bridge),
      guest,
      place: async () => {
        await phone.startGuest(this.origin, guest);
        await connected(phone);
        return phone.dial({ queue });
      },
      hangup: (callId) => phone.hangup(callId),
      close: async () => {
        window.removeEventListener('online', onOnline);
        await phone.stop();
      },
    };
  }
}

/** Resolves once the guest's socket is up; rejects when the server refuses it or never answers. */
function connected(phone: Softphone): Promise<void> {
  const ready = (s: SessionState) => s.connection === 'connected';
  if (ready(phone.snapshot())) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      off();
      fn();
    };
    const off = phone.on('state', (s) => {
      if (ready(s)) done(resolve);
      else if (s.phase === 'signed-out') done(() => reject(new ProtocolError(s.error?.code ?? 'unauthorized', s.error?.message ?? 'the call was refused')));
    });
    const timer = setTimeout(
      () => done(() => reject(new ProtocolError('internal', 'cannot reach the server', { network: true }))),
      CONNECT_TIMEOUT_MS,
    );
  });
}
