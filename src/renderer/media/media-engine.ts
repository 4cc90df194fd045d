/**
 * Runs the media of every call the core wants on this device. The UI reads each
 * call's media status (connection, quality, mute) from here and asks it to
 * mute, send DTMF or switch devices.
 *
 * Media starts and stops on the core's explicit `call.media` events alone, never
 * by comparing snapshots: `wanted` with stage `preparing` (our outgoing call
 * rings: the offer, microphone and candidates get ready; the user answers here,
 * on whichever surface: the microphone opens while the answer travels — so the
 * answer does not wait for media, docs/performance.md) or `active` (the call is
 * up here); `released` stops it at once (hung up, even with the server
 * unreachable; ended; answer failed; signed out). A renderer that starts, or
 * reloads mid-call, asks the core once which media it wants (`call.mediaWanted`).
 * Session snapshots only refresh the call details (hold) of running media.
 *
 * Only the main window runs an engine; the compact ringing window does not,
 * so a call never has two peer connections on one device.
 */
import type { CallInfo, DeviceSettings, MediaWanted, SessionState, SoftphoneApi } from '../../shared/contract.js';
import type { MediaSignal } from '../../shared/protocol/index.js';
import type { SessionStore } from '../state/session-store.js';
import type { SettingsCache } from '../state/settings-store.js';
import { CallMedia, INITIAL_STATUS, type MediaStatus } from './call-media.js';
import { IceServerCache } from './ice-servers.js';
import { log } from '../log.js';

/** Signals that arrive before their call is active here wait this long at most. */
const PENDING_SIGNAL_MS = 10_000;
const MAX_PENDING_SIGNALS = 100;

export type MediaStatuses = ReadonlyMap<string, MediaStatus>;

export class MediaEngine {
  private readonly media = new Map<string, CallMedia>();
  private readonly pending = new Map<string, { at: number; signal: MediaSignal }[]>();
  private readonly iceServers: IceServerCache;
  /** Whose ICE servers (TURN credentials) are cached. */
  private userId: string | null = null;
  private statuses: MediaStatuses = new Map();
  private readonly listeners = new Set<() => void>();
  private settings: DeviceSettings;
  /** The signaling connection as of the last snapshot (to notice it coming back). */
  private connection: SessionState['connection'] | null = null;

  constructor(
    private readonly api: SoftphoneApi,
    private readonly session: SessionStore,
    private readonly settingsCache: SettingsCache,
    private readonly container: HTMLElement,
  ) {
    this.settings = settingsCache.current;
    this.iceServers = new IceServerCache(() => api.invoke('media.iceServers', {}).then((r) => r.iceServers));
  }

  start(): () => void {
    const offs = [
      this.session.subscribe((s) => this.update(s)),
      this.api.on('call.signal', (m) => this.onSignal(m.callId, m.signal)),
      this.api.on('call.media', (m) => (m.media === 'wanted' ? this.mediaWanted(m) : this.mediaReleased(m.callId))),
      this.settingsCache.subscribe((s) => this.onSettings(s)),
    ];
    this.update(this.session.current);
    // A renderer that (re)starts mid-call: the core says which media it wants now.
    this.api.invoke('call.mediaWanted', {}).then(
      ({ calls }) => calls.forEach((m) => this.mediaWanted(m)),
      (err: unknown) => log.warn('could not ask which calls want media', err),
    );
    return () => {
      offs.forEach((off) => off());
      for (const m of this.media.values()) m.close();
      this.media.clear();
    };
  }

  // ───────────────────────────── for the UI ─────────────────────────────

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): MediaStatuses => this.statuses;

  setMuted(callId: string, muted: boolean): void {
    this.media.get(callId)?.setMuted(muted);
  }

  /**
   * The core wants media here for the call. `preparing`: our outgoing call rings (the
   * offer gets ready) or the user is answering it here, on any surface (the microphone
   * opens in parallel with the answer, never before the user chose to answer: privacy).
   * `active`: the call is up here; media that was not prepared in this renderer starts
   * fresh (it reloaded, or the app restarted): the far end replaces its peer connection.
   * Idempotent: the start-up list and a live event may name the same call.
   */
  private mediaWanted({ callId, stage, call: named }: MediaWanted): void {
    // The newest details of the call (the start-up list may be older than a live event).
    const state = this.session.current;
    const call = (state?.phase === 'signed-in' ? state.calls.find((c) => c.callId === callId) : undefined) ?? named;
    let m = this.media.get(callId);
    const fresh = !m;
    if (!m) {
      m = this.createMedia(call);
      if (stage === 'preparing') {
        if (call.isOfferer) m.prepareOffer();
        else m.prepareAnswer();
      }
    }
    m.update(call);
    if (stage === 'active' && !m.isStarted) {
      m.start(fresh);
      for (const p of this.pending.get(callId) ?? []) if (Date.now() - p.at < PENDING_SIGNAL_MS) m.onSignal(p.signal);
      this.pending.delete(callId);
    }
  }

  /** The core says the call's media must stop now (hung up, answer failed, ended). */
  private mediaReleased(callId: string): void {
    const m = this.media.get(callId);
    if (!m) return;
    m.close();
    this.media.delete(callId);
    this.pending.delete(callId);
    this.setStatus(callId, { phase: 'ended' });
  }

  async sendDtmf(callId: string, digits: string): Promise<void> {
    const m = this.media.get(callId);
    if (m) await m.sendDtmf(digits);
    else await this.api.invoke('call.dtmf', { callId, digits });
  }

  // ───────────────────────────── session ─────────────────────────────

  private update(state: SessionState | null): void {
    const calls = state?.phase === 'signed-in' ? state.calls : [];
    const connection = state?.connection ?? null;
    const reconnected = connection === 'connected' && this.connection !== null && this.connection !== 'connected';
    this.connection = connection;
    const userId = state?.phase === 'signed-in' ? (state.user?.id ?? null) : null;
    if (userId !== this.userId) {
      // TURN credentials are per user.
      this.userId = userId;
      this.iceServers.clear();
    }
    for (const c of calls) {
      // A call that may become active here soon: have the ICE servers at hand.
      const ringing = c.local === 'ringing-in' || c.local === 'ringing-out';
      if (ringing && this.iceServers.peek() === null) this.iceServers.prefetch();
      // Running media follows the call's details (hold); it starts and stops on `call.media` alone.
      this.media.get(c.callId)?.update(c);
    }
    // Signaling is back: media recoveries that could not reach the far end meanwhile retry now.
    if (reconnected) for (const m of this.media.values()) m.signalingRestored();
    // Forget statuses of calls the session no longer lists.
    const listed = new Set(calls.map((c) => c.callId));
    if ([...this.statuses.keys()].some((id) => !listed.has(id))) {
      this.statuses = new Map([...this.statuses].filter(([id]) => listed.has(id)));
      this.notify();
    }
  }

  private createMedia(c: CallInfo): CallMedia {
    const callId = c.callId;
    const m = new CallMedia(callId, c.isOfferer, {
      api: this.api,
      container: this.container,
      inputDeviceId: () => this.settings.inputDeviceId,
      outputDeviceId: () => this.settings.outputDeviceId,
      iceServers: () => this.iceServers.get(),
      onStatus: (patch) => this.setStatus(callId, patch),
      hangup: (reason) => {
        this.setStatus(callId, { endReason: reason });
        this.api.invoke('call.hangup', { callId }).catch((err: unknown) => log.warn('hang-up after media failure failed', err));
      },
    });
    this.media.set(callId, m);
    return m;
  }

  private onSignal(callId: string, signal: MediaSignal): void {
    const m = this.media.get(callId);
    if (m) {
      m.onSignal(signal);
      return;
    }
    // The signal overtook the snapshot that makes the call active here: keep it briefly.
    const list = this.pending.get(callId) ?? [];
    if (list.length < MAX_PENDING_SIGNALS) list.push({ at: Date.now(), signal });
    this.pending.set(callId, list);
  }

  private onSettings(s: DeviceSettings): void {
    const previous = this.settings;
    this.settings = s;
    for (const m of this.media.values()) {
      if (s.inputDeviceId !== previous.inputDeviceId) void m.setInput(s.inputDeviceId);
      if (s.outputDeviceId !== previous.outputDeviceId) void m.setOutput(s.outputDeviceId);
    }
  }

  private setStatus(callId: string, patch: Partial<MediaStatus>): void {
    const next = new Map(this.statuses);
    next.set(callId, { ...(this.statuses.get(callId) ?? INITIAL_STATUS), ...patch });
    this.statuses = next;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
