/**
 * Runs the media of every call that is active on this device, driven by the
 * session snapshots and media signals the host pushes. The UI reads each
 * call's media status (connection, quality, mute) from here and asks it to
 * mute, send DTMF or switch devices.
 *
 * Snapshots reach the engine straight from the host's `session` event (the
 * session store calls its listeners in order, the engine's before React's), so
 * media work never waits for a render.
 *
 * Media is prepared before the call is active, so the answer does not wait for
 * it (docs/performance.md, time to audio): while our outgoing call rings the
 * caller's device prepares its offer (microphone, peer connection, candidates);
 * when the user answers here (the core's `call.media` → `wanted` event, from
 * whichever surface answered), the microphone opens while the answer travels.
 * `call.media` → `released` stops a call's media at once (e.g. hung up while
 * the server is unreachable).
 * A call that ends before it is active here takes its prepared media with it
 * in the same snapshot: tracks stopped, peer connection closed.
 *
 * Only the main window runs an engine; the compact ringing window does not,
 * so a call never has two peer connections on one device.
 */
import type { CallInfo, DeviceSettings, SessionState, SoftphoneApi } from '../../shared/contract.js';
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
  /** Calls this renderer saw before they became active (so their media is new, not resumed). */
  private readonly seenBeforeActive = new Set<string>();
  private readonly pending = new Map<string, { at: number; signal: MediaSignal }[]>();
  /** Incoming calls the user is answering on this device (their microphone is opening). */
  private readonly answering = new Set<string>();
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
      this.api.on('call.media', (m) => (m.media === 'wanted' ? this.mediaWanted(m.callId) : this.mediaReleased(m.callId))),
      this.settingsCache.subscribe((s) => this.onSettings(s)),
    ];
    this.update(this.session.current);
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
   * The core says media is wanted here for the call. For an incoming call the user is
   * answering (on any surface of this device), the microphone starts opening now, in
   * parallel with the answer (not before the user chose to answer: privacy); the core
   * releases it at once if the answer fails. An active call's media starts from the
   * snapshot that makes it active.
   */
  private mediaWanted(callId: string): void {
    const state = this.session.current;
    const call = state?.phase === 'signed-in' ? state.calls.find((c) => c.callId === callId) : undefined;
    if (call?.local === 'ringing-in' && !call.isOfferer && !this.media.has(callId)) {
      this.answering.add(callId);
      this.createMedia(call).prepareAnswer();
      return;
    }
    this.update(state);
  }

  /** The core says the call's media must stop now (hung up, answer failed, ended). */
  private mediaReleased(callId: string): void {
    this.answering.delete(callId);
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
    // The media this device runs (active calls) or prepares (our outgoing call while it
    // rings; an incoming call the user is answering here).
    const wanted = new Map<string, CallInfo>();
    for (const c of calls) {
      const ringing = c.local === 'ringing-in' || c.local === 'ringing-out';
      if (ringing) this.seenBeforeActive.add(c.callId);
      if (c.local !== 'ringing-in') this.answering.delete(c.callId);
      // A call that may become active here soon: have the ICE servers at hand.
      if (ringing && this.iceServers.peek() === null) this.iceServers.prefetch();
      if (c.local === 'active' || (c.local === 'ringing-out' && c.isOfferer) || (c.local === 'ringing-in' && this.answering.has(c.callId))) {
        wanted.set(c.callId, c);
      }
    }
    for (const id of this.answering) if (!wanted.has(id)) this.answering.delete(id);
    for (const [callId, m] of this.media) {
      if (!wanted.has(callId)) {
        m.close();
        this.media.delete(callId);
        this.pending.delete(callId);
        this.setStatus(callId, { phase: 'ended' });
      }
    }
    for (const c of wanted.values()) {
      let m = this.media.get(c.callId);
      if (!m) {
        m = this.createMedia(c);
        if (c.local === 'ringing-out') m.prepareOffer();
      }
      m.update(c);
      if (c.local === 'active' && !m.isStarted) {
        m.start(!this.seenBeforeActive.has(c.callId));
        for (const p of this.pending.get(c.callId) ?? []) if (Date.now() - p.at < PENDING_SIGNAL_MS) m.onSignal(p.signal);
        this.pending.delete(c.callId);
      }
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
