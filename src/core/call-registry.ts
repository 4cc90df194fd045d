/**
 * This device's calls: applies the server's call views to the session state
 * (never backwards, a declined call does not ring again), raises `ring` /
 * `ring-stopped` and the media events, and runs the calls' timers: the
 * ringing safety net, the removal of ended calls after a linger, and the
 * ring-loss timer that ends ringing calls when signaling stays lost.
 */
import type { CallInfo, MediaWanted, SessionState } from '../shared/contract.js';
import { ProtocolError, type CallView } from '../shared/protocol/index.js';
import { toCallInfo } from './call-model.js';
import { keepsPlaceOffline } from './queue-waiting.js';
import type { Timers } from './ports.js';

/**
 * What media this device should run for a call: `preparing` = get ready before the call is
 * up (our outgoing call rings: the offer; the user answers here: the microphone opens while
 * the answer travels); `active` = the call is up here.
 */
export type MediaStage = MediaWanted['stage'];
export type { MediaWanted };

export interface CallRegistryEvents {
  ring: CallInfo;
  'ring-stopped': CallInfo;
  'media-wanted': MediaWanted;
  'media-released': { callId: string };
}

export interface CallRegistryHost {
  state(): SessionState;
  update(patch: Partial<SessionState>): void;
  emit<E extends keyof CallRegistryEvents>(event: E, payload: CallRegistryEvents[E]): void;
  connected(): boolean;
  /** Hung up here and the server not told yet: server views must not revive the call. */
  hungUpHere(callId: string): boolean;
}

export interface CallRegistryOptions {
  deviceId: string;
  timers: Timers;
  /** How long an ended call stays in the state (so the UI can show the outcome). */
  endedLingerMs: number;
  /** Ringing calls are ended locally when signaling stays lost this long. */
  ringLossGraceMs: number;
}

export class CallRegistry {
  private ringLossTimer: unknown;
  private readonly callTimers = new Map<string, unknown>();
  /** Incoming calls the user is answering here (the answer is on its way to the server). */
  private readonly answering = new Set<string>();

  constructor(
    private readonly o: CallRegistryOptions,
    private readonly h: CallRegistryHost,
  ) {}

  /** This device's calls, as in the session state. */
  list(): readonly CallInfo[] {
    return this.h.state().calls;
  }

  /** The media this device should run now, call by call (e.g. for a renderer that reloaded). */
  mediaWanted(): MediaWanted[] {
    const out: MediaWanted[] = [];
    for (const call of this.h.state().calls) {
      const stage = this.mediaStage(call);
      if (stage) out.push({ callId: call.callId, stage, call });
    }
    return out;
  }

  /** The user answers the call here: its media starts preparing now. */
  answeringHere(callId: string): void {
    const c = this.findCall(callId);
    if (c?.local !== 'ringing-in' || this.answering.has(callId)) return;
    this.answering.add(callId);
    this.h.emit('media-wanted', { callId, stage: 'preparing', call: c });
  }

  /** The answer failed: unless the call is up here after all, its media stops. */
  answerFailed(callId: string): void {
    if (!this.answering.delete(callId)) return;
    if (this.findCall(callId)?.local !== 'active') this.h.emit('media-released', { callId });
  }

  /** Signed out: every call's media stops, then the calls are forgotten. */
  releaseAll(): void {
    for (const { callId } of this.mediaWanted()) this.h.emit('media-released', { callId });
    this.answering.clear();
  }

  private mediaStage(c: CallInfo): MediaStage | null {
    if (c.local === 'active') return 'active';
    if (c.local === 'ringing-out' && c.isOfferer) return 'preparing';
    if (c.local === 'ringing-in' && this.answering.has(c.callId)) return 'preparing';
    return null;
  }

  /** Stops every call timer (stopped, signed out). */
  stop(): void {
    this.clearRingLoss();
    for (const t of this.callTimers.values()) this.o.timers.clearTimeout(t);
    this.callTimers.clear();
  }

  /**
   * Signaling lost while calls ring: end them locally after a grace so nothing rings forever.
   * Armed once per loss: every failed reconnect attempt calls this again, and re-arming would
   * push the end back each time (with a short backoff, for as long as the server stays away).
   */
  armRingLoss(): void {
    if (this.ringLossTimer !== undefined) return;
    // A queue call waiting in line keeps its place on the server (queue-waiting.ts).
    const losable = (c: CallInfo) => (c.local === 'ringing-in' || c.local === 'ringing-out') && !keepsPlaceOffline(c, this.o.timers.now());
    if (!this.h.state().calls.some(losable)) return;
    this.ringLossTimer = this.o.timers.setTimeout(() => {
      this.ringLossTimer = undefined;
      if (this.h.connected()) return;
      for (const c of this.h.state().calls) {
        if (losable(c)) {
          this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'failed', endReason: 'device_lost' });
        }
      }
    }, this.o.ringLossGraceMs);
  }

  clearRingLoss(): void {
    this.o.timers.clearTimeout(this.ringLossTimer);
    this.ringLossTimer = undefined;
  }

  findCall(callId: string): CallInfo | undefined {
    return this.h.state().calls.find((c) => c.callId === callId);
  }

  applyView(view: CallView, overrides: Partial<CallInfo> = {}): CallInfo {
    const user = this.h.state().user;
    if (!user) throw new ProtocolError('unauthorized', 'not signed in');
    const previous = this.findCall(view.callId);
    // Hung up here, the server not told yet: the call is over for this device.
    if (this.h.hungUpHere(view.callId) && view.state !== 'ended') return previous ?? toCallInfo(view, user.id, this.o.deviceId);
    // Never move a call backwards (a late "ringing" after "answered").
    if (previous?.local === 'ended') return previous;
    if (previous && view.state === 'ringing' && previous.state === 'answered') return previous;
    const info = toCallInfo(view, user.id, this.o.deviceId, previous, overrides);
    // A device that declined does not ring again for the same call.
    if (previous?.local === 'elsewhere' && info.local === 'ringing-in' && previous.state === 'ringing') {
      return previous;
    }
    this.setCall(info);
    return info;
  }

  setCall(info: CallInfo): void {
    const previous = this.findCall(info.callId);
    const before = previous ? this.mediaStage(previous) : null;
    if (info.local !== 'ringing-in') this.answering.delete(info.callId);
    const calls = previous
      ? this.h.state().calls.map((c) => (c.callId === info.callId ? info : c))
      : [...this.h.state().calls, info];
    const active = calls.some((c) => c.local === 'active');
    this.h.update({
      calls,
      presence: this.h.state().status === 'dnd' ? 'dnd' : active ? 'busy' : this.h.state().status,
    });
    if (info.local === 'ringing-in' && previous?.local !== 'ringing-in') {
      this.h.emit('ring', info);
      this.armCallTimer(info, info.ringDeadline - this.o.timers.now() + 5_000);
    }
    if (previous?.local === 'ringing-in' && info.local !== 'ringing-in') this.h.emit('ring-stopped', info);
    if (info.local === 'ended' && previous?.local !== 'ended') {
      this.armCallTimer(info, this.o.endedLingerMs);
    }
    // The media events: the renderer starts and stops media on these alone.
    const stage = this.mediaStage(info);
    if (stage && stage !== before) this.h.emit('media-wanted', { callId: info.callId, stage, call: info });
    else if (before && !stage) this.h.emit('media-released', { callId: info.callId });
  }

  /** Ringing safety net (the server vanished) and removal of ended calls. */
  armCallTimer(info: CallInfo, delayMs: number): void {
    this.o.timers.clearTimeout(this.callTimers.get(info.callId));
    this.callTimers.set(
      info.callId,
      this.o.timers.setTimeout(() => {
        this.callTimers.delete(info.callId);
        const c = this.findCall(info.callId);
        if (!c) return;
        if (c.local === 'ended') {
          this.h.update({ calls: this.h.state().calls.filter((x) => x.callId !== c.callId) });
        } else if (c.local === 'ringing-in' && this.o.timers.now() >= c.ringDeadline) {
          this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'missed', endReason: 'timeout' });
        }
      }, Math.max(0, delayMs)),
    );
  }
}
