/**
 * This device's calls: applies the server's call views to the session state
 * (never backwards, a declined call does not ring again), raises `ring` /
 * `ring-stopped` and the media events, and runs the calls' timers: the
 * ringing safety net, the removal of ended calls after a linger, and the
 * ring-loss timer that ends ringing calls when signaling stays lost. Queue offers
 * (queue-offers.ts) ring until their offer's deadline and are let go quietly when they end.
 */
import type { CallInfo, MediaWanted, SessionState } from '../shared/contract.js';
import { ProtocolError, type CallView, type MediaSignal } from '../shared/protocol/index.js';
import { toCallInfo } from './call-model.js';
import { keepsPlaceOffline } from './queue-waiting.js';
import type { Timers } from './ports.js';
import { OfferBook, isPendingOffer, ringDeadlineOf } from './queue-offers.js';

/** A call that rings past its deadline with no word from the server ends here this much later. */
const RING_SAFETY_MS = 5_000;
/** The same for a queue offer, whose deadline is on the server's clock (the agent's clock offset). */
const OFFER_SAFETY_MS = 1_000;

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
  private readonly offers = new OfferBook();

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
    this.offers.clear();
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
    let previous = this.findCall(view.callId);
    // Hung up here, the server not told yet: the call is over for this device.
    if (this.h.hungUpHere(view.callId) && view.state !== 'ended') return previous ?? toCallInfo(view, user.id, this.o.deviceId);
    const offer = this.offers.verdict(view, previous, user.id);
    if (offer === 'stale') return previous ?? toCallInfo(view, user.id, this.o.deviceId);
    if (offer === 'new-offer' && previous) {
      // Offered again (it rang out or was declined here): a new ring, not the old call revived.
      this.drop(previous.callId);
      previous = undefined;
    }
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

  /**
   * `call:offer-ended`: the offer `seq` stopped ringing here while the call goes on. The call
   * leaves this device quietly: no missed call (the line's call is not the agent's, and the
   * server records none for an agent who only missed an offer), no ended-call screen.
   */
  offerEnded({ callId, seq }: { callId: string; seq: number }): void {
    const c = this.findCall(callId);
    if (!this.offers.endedIsCurrent(c, seq)) return;
    this.offers.markEnded(callId, seq);
    if (c && isPendingOffer(c)) this.drop(callId);
  }

  /** After a resume sync: the server's views of our calls; a known call it has no trace of ends here. */
  applySync(views: readonly CallView[], known: readonly string[]): void {
    const seen = new Set<string>();
    for (const view of views) {
      seen.add(view.callId);
      this.applyView(view);
    }
    for (const id of known) {
      const c = this.findCall(id);
      if (seen.has(id) || !c || c.local === 'ended') continue;
      if (isPendingOffer(c)) this.offerEnded({ callId: id, seq: c.offer!.seq });
      else this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'failed', endReason: 'server_restart' });
    }
  }

  /** Hold and DTMF from the far end, kept with the call. */
  remoteSignal(callId: string, signal: MediaSignal): void {
    const c = this.findCall(callId);
    if (c && signal.type === 'hold') this.setCall({ ...c, remoteHeld: signal.held });
    if (c && signal.type === 'dtmf') this.setCall({ ...c, receivedDigits: c.receivedDigits + signal.digits });
  }

  setCall(info: CallInfo): void {
    const previous = this.findCall(info.callId);
    const before = previous ? this.mediaStage(previous) : null;
    if (info.local !== 'ringing-in') this.answering.delete(info.callId);
    this.commit(
      previous ? this.h.state().calls.map((c) => (c.callId === info.callId ? info : c)) : [...this.h.state().calls, info],
    );
    if (info.local === 'ringing-in' && previous?.local !== 'ringing-in') {
      this.h.emit('ring', info);
      this.armRingTimer(info);
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

  /** Forgets a call at once, without an ended state: ringing, media and timers stop. */
  private drop(callId: string): void {
    const c = this.findCall(callId);
    if (!c) return;
    const before = this.mediaStage(c);
    this.o.timers.clearTimeout(this.callTimers.get(callId));
    this.callTimers.delete(callId);
    this.answering.delete(callId);
    this.commit(this.h.state().calls.filter((x) => x.callId !== callId));
    if (c.local === 'ringing-in') this.h.emit('ring-stopped', { ...c, local: 'ended' });
    if (before) this.h.emit('media-released', { callId });
  }

  private commit(calls: CallInfo[]): void {
    const active = calls.some((c) => c.local === 'active');
    this.h.update({
      calls,
      presence: this.h.state().status === 'dnd' ? 'dnd' : active ? 'busy' : this.h.state().status,
    });
  }

  /** The server's clock for an offer's deadline (agents know their offset), this device's otherwise. */
  private ringClock(c: CallInfo): number {
    return this.o.timers.now() + (c.offer ? (this.h.state().agentClockOffsetMs ?? 0) : 0);
  }

  private armRingTimer(info: CallInfo): void {
    this.armCallTimer(info, ringDeadlineOf(info) - this.ringClock(info) + (info.offer ? OFFER_SAFETY_MS : RING_SAFETY_MS));
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
        } else if (c.local === 'ringing-in' && this.ringClock(c) >= ringDeadlineOf(c)) {
          // An offer that outlived its deadline rang out (the server's word got lost): let it go.
          if (c.offer) this.offerEnded({ callId: c.callId, seq: c.offer.seq });
          else this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'missed', endReason: 'timeout' });
        } else if (c.local === 'ringing-in') {
          this.armRingTimer(c);
        }
      }, Math.max(0, delayMs)),
    );
  }
}
