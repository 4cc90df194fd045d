/**
 * The call policy of this device, one place for every surface: answering
 * holds every other call running here (call waiting), swap resumes one call
 * and holds the others, and hang-up and hold act here first — the call ends
 * (media released) or goes silent at once — and reach the server now or,
 * while it is unreachable, from an outbox sent on reconnect before the resume
 * sync (hang-ups carry `endedAt`, the moment the user ended the call).
 *
 * Auto-answer (support agents, docs/agents.md): a call that rings here with
 * `autoAnswerMs` set by the server is answered by this device after that delay,
 * through the same `answer` path as every surface (so call waiting holds the
 * others), unless the user answered or declined first or it stopped ringing;
 * `auto-answered` then tells the renderer to play the zip tone.
 */
import type { CallInfo } from '../shared/contract.js';
import {
  ProtocolError,
  type CallView,
  type ClientEventName,
  type ClientRequest,
  type ClientResponse,
} from '../shared/protocol/index.js';
import type { CallRegistry } from './call-registry.js';
import type { CoreLogger, Timers } from './ports.js';
import { errorBody } from './errors.js';

export interface CallPolicyDeps {
  calls: CallRegistry;
  request<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResponse<E>>;
  connected(): boolean;
  now(): number;
  emit(event: 'auto-answered', payload: { callId: string }): void;
  timers: Timers;
  log: CoreLogger;
}

export class CallPolicy {
  private readonly outbox = {
    hangups: new Map<string, { event: 'call:hangup' | 'call:cancel'; endedAt: number }>(),
    holds: new Map<string, boolean>(),
  };
  private readonly autoAnswers = new Map<string, unknown>();

  constructor(private readonly d: CallPolicyDeps) {}

  /** Hung up here, the server not told yet. */
  hungUpHere(callId: string): boolean {
    return this.outbox.hangups.has(callId);
  }

  /** Signed out: nothing queued is sent any more. */
  clear(): void {
    this.outbox.hangups.clear();
    this.outbox.holds.clear();
    for (const t of this.autoAnswers.values()) this.d.timers.clearTimeout(t);
    this.autoAnswers.clear();
  }

  /** A call started ringing here: arm its auto-answer if the server asked for one. */
  ringing(info: CallInfo): void {
    const delay = info.autoAnswerMs;
    if (delay === null || delay === undefined || info.direction !== 'incoming' || this.autoAnswers.has(info.callId)) return;
    const callId = info.callId;
    this.autoAnswers.set(
      callId,
      this.d.timers.setTimeout(() => void this.autoAnswer(callId), delay),
    );
  }

  /** The call stopped ringing here (answered, declined, ended, elsewhere): no auto-answer. */
  ringStopped(callId: string): void {
    this.cancelAutoAnswer(callId);
  }

  private cancelAutoAnswer(callId: string): void {
    this.d.timers.clearTimeout(this.autoAnswers.get(callId));
    this.autoAnswers.delete(callId);
  }

  private async autoAnswer(callId: string): Promise<void> {
    this.autoAnswers.delete(callId);
    if (this.d.calls.findCall(callId)?.local !== 'ringing-in') return;
    try {
      await this.answer(callId);
    } catch (err) {
      this.d.log.warn('auto-answer failed', { callId, error: errorBody(err) });
      return;
    }
    this.d.log.info('auto-answered', { callId });
    this.d.emit('auto-answered', { callId });
  }

  /**
   * Answers a call on this device. Call waiting is decided here, for every surface (main
   * window, ringing window, notification, shortcut, web page): every other call running
   * on this device goes on hold first, so the microphone never reaches two parties.
   */
  async answer(callId: string): Promise<CallInfo> {
    this.cancelAutoAnswer(callId);
    await this.holdOthers(callId);
    this.d.calls.answeringHere(callId);
    try {
      const { call } = await this.d.request('call:accept', { callId });
      return this.d.calls.applyView(call);
    } catch (err) {
      this.d.calls.answerFailed(callId);
      throw err;
    }
  }

  /** Switches to a call of this device: every other one goes on hold, this one resumes. */
  async swap(callId: string): Promise<void> {
    const target = this.d.calls.findCall(callId);
    if (target?.local !== 'active') throw new ProtocolError('not_found', 'That call is not in progress on this device.');
    await this.holdOthers(callId);
    if (target.held) await this.hold(callId, false);
  }

  async decline(callId: string): Promise<void> {
    this.cancelAutoAnswer(callId);
    const offer = this.d.calls.findCall(callId)?.offer;
    const { call } = await this.d.request('call:decline', { callId });
    // A queue offer declined here is over here: the call goes back in line, not to this device.
    if (offer) return this.d.calls.offerEnded({ callId, seq: offer.seq });
    const info = this.d.calls.applyView(call);
    // Declined here: this device stops ringing even if others still ring.
    if (info.local === 'ringing-in') this.d.calls.setCall({ ...info, local: 'elsewhere' });
  }

  /**
   * Hangs up (or cancels an outgoing call). The call ends here at once, media released,
   * whatever the server's state: when it is unreachable, the hang-up is sent (with the
   * moment the user ended the call) as soon as the connection is back.
   */
  async hangup(callId: string): Promise<void> {
    const current = this.d.calls.findCall(callId);
    const event = current?.local === 'ringing-out' ? 'call:cancel' : 'call:hangup';
    const endedAt = this.d.now();
    const mine = current?.local === 'active' || current?.local === 'ringing-out';
    if (current && mine) {
      this.d.calls.setCall({
        ...current,
        state: 'ended',
        local: 'ended',
        outcome: current.answeredAt === null ? 'cancelled' : 'completed',
        endReason: current.answeredAt === null ? 'cancelled' : 'hangup',
      });
    }
    this.outbox.holds.delete(callId);
    if (mine && !this.d.connected()) {
      this.outbox.hangups.set(callId, { event, endedAt });
      return;
    }
    await this.sendHangup(callId, event, endedAt, mine);
  }

  /** Holds or resumes a call: applied here at once (media silenced), told to the far end when connected. */
  async hold(callId: string, held: boolean): Promise<void> {
    const c = this.d.calls.findCall(callId);
    if (c) this.d.calls.setCall({ ...c, held });
    if (!this.d.connected()) {
      this.outbox.holds.set(callId, held);
      return;
    }
    try {
      await this.d.request('call:signal', { callId, signal: { type: 'hold', held } });
    } catch (err) {
      if (!(err instanceof ProtocolError && (err.details?.offline || err.details?.timeout))) throw err;
      this.outbox.holds.set(callId, held);
    }
  }

  private async holdOthers(callId: string): Promise<void> {
    for (const c of this.d.calls.list()) {
      if (c.callId !== callId && c.local === 'active' && !c.held) await this.hold(c.callId, true);
    }
  }

  private async sendHangup(callId: string, event: 'call:hangup' | 'call:cancel', endedAt: number, queue = true): Promise<void> {
    try {
      const { call } = event === 'call:hangup' ? await this.d.request(event, { callId, endedAt }) : await this.d.request(event, { callId });
      this.outbox.hangups.delete(callId);
      this.d.calls.applyView(call);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'gone') {
        // Already over on the server: reflect that instead of failing the user's action.
        this.outbox.hangups.delete(callId);
        const final = err.details?.call as CallView | undefined;
        if (final) this.d.calls.applyView(final);
        return;
      }
      if (queue && err instanceof ProtocolError && (err.details?.offline || err.details?.timeout)) {
        this.outbox.hangups.set(callId, { event, endedAt });
        return;
      }
      this.outbox.hangups.delete(callId);
      throw err;
    }
  }

  /** Sends what the user did while disconnected (before the resume sync reads the server's state). */
  async flushOutbox(): Promise<void> {
    for (const [callId, h] of [...this.outbox.hangups]) {
      await this.sendHangup(callId, h.event, h.endedAt).catch((err: unknown) => {
        this.d.log.warn('queued hang-up failed', { callId, error: errorBody(err) });
      });
    }
    for (const [callId, held] of [...this.outbox.holds]) {
      this.outbox.holds.delete(callId);
      if (this.d.calls.findCall(callId)?.local !== 'active') continue;
      await this.d.request('call:signal', { callId, signal: { type: 'hold', held } }).catch((err: unknown) => {
        this.d.log.warn('queued hold failed', { callId, error: errorBody(err) });
      });
    }
  }
}
