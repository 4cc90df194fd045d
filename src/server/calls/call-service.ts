/**
 * Multi-device call routing: the server-side call state machine (diagram and policies in
 * docs/protocol.md, "Call state machine"). Every transition is a compare-and-set on the
 * live call's version, so the first device to accept wins even when several race, on one
 * node or many. Every call ends with exactly one durable history record per participant,
 * committed before the final acknowledgement.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ProtocolError,
  type CallOutcome,
  type CallView,
  type ClientRequest,
  type EndReason,
  type MediaSignal,
  type UserSummary,
} from '../../shared/protocol/index.js';
import type { Logger } from '../logger.js';
import type { PresenceService } from '../presence.js';
import type { RateLimits } from '../ratelimit.js';
import { inQueue, type LiveCall, type LiveState } from '../live/types.js';
import { answerOffer, currentOffer, lateOffer } from '../queues/queue-call.js';
import type { Storage, UserRow } from '../store/types.js';
import { CallAccess, goneError } from './call-access.js';
import { agentAutoAnswerMs, agentBusyReason, busyReason as busyRule, checkRingCap } from './invite-rules.js';
import { ringingCall, summary, toView } from './call-records.js';
import { completeEnding, recordEnding, RECORD_RETRY_MS, staleEnding, unrecorded, type EndingDeps } from './call-ending.js';
import { recoverCalls } from './call-recovery.js';
import type { CallServiceEvents } from './call-events.js';
import type { Notifier } from './notifier.js';
import type { QueueCallHooks } from './queue-hooks.js';

export { toView } from './call-records.js';
export type { CallServiceEvents } from './call-events.js';

export interface DeviceContext {
  userId: string;
  deviceId: string;
  user: UserSummary;
}

export interface CallServiceOptions {
  ringTimeoutMs: number;
  callReconnectGraceMs: number;
  endedCallRetentionMs: number;
  /** Calls ringing one callee at once; an invite beyond it is answered busy. */
  maxRingingPerUser: number;
}

/** Everything the call service works with, in one object. */
export interface CallServiceDeps {
  storage: Storage;
  live: LiveState;
  notifier: Notifier;
  presence: PresenceService;
  limits: RateLimits;
  log: Logger;
  options: CallServiceOptions;
  now?: () => number;
}

export class CallService extends EventEmitter<CallServiceEvents> {
  private readonly storage: Storage;
  private readonly live: LiveState;
  private readonly notifier: Notifier;
  private readonly presence: PresenceService;
  private readonly limits: RateLimits;
  private readonly log: Logger;
  private readonly opts: CallServiceOptions;
  private readonly now: () => number;
  private readonly access: CallAccess;
  /** Queue calls not answered yet are the queue engine's (queues/queue-service.ts). */
  private queueHooks: QueueCallHooks | undefined;
  private readonly ending: EndingDeps;

  constructor(deps: CallServiceDeps) {
    super();
    ({ storage: this.storage, live: this.live, notifier: this.notifier, presence: this.presence } = deps);
    ({ limits: this.limits, log: this.log, options: this.opts } = deps);
    this.now = deps.now ?? Date.now;
    this.access = new CallAccess(this.live, this.storage, this.opts.ringTimeoutMs);
    this.ending = { storage: this.storage, live: this.live, notifier: this.notifier, access: this.access, log: this.log,
      retentionMs: this.opts.endedCallRetentionMs, emit: (event, view) => this.emitSafely(event, view),
      refreshPresence: (c) => void this.refreshPresence(c) };
    this.live.calls.onDeadline((callId) => {
      this.onDeadline(callId).catch((err: unknown) => this.log.error({ err, callId }, 'deadline handling failed'));
    });
  }

  attachQueues(hooks: QueueCallHooks): void {
    this.queueHooks = hooks;
  }

  // ───────────────────────────── client requests ─────────────────────────────

  async invite(ctx: DeviceContext, req: ClientRequest<'call:invite'>): Promise<CallView> {
    if ('queue' in req.to) throw new ProtocolError('bad_request', 'queue calls are placed by the queue service');
    await this.limits.consume('invite', ctx.userId);
    const callee =
      'userId' in req.to
        ? await this.storage.accounts.getUserById(req.to.userId)
        : await this.storage.accounts.getUserByUsername(req.to.username);
    if (!callee) throw new ProtocolError('not_found', 'no such user');
    if (callee.id === ctx.userId) throw new ProtocolError('bad_request', 'you cannot call yourself');
    return this.place(ctx, callee, req.callId);
  }

  /** Rings `callee`, a user. */
  private async place(ctx: DeviceContext, callee: UserSummary & Partial<UserRow>, id: string | undefined): Promise<CallView> {
    const callId = id ?? randomUUID();
    const existing = await this.live.calls.get(callId);
    if (existing) {
      // A retried invite (same id, same caller device, same callee) is answered with the
      // call as it is; the same id for another callee is a different call.
      const retry =
        existing.caller.id === ctx.userId && existing.callerDeviceId === ctx.deviceId && existing.callee.id === callee.id;
      if (retry) return toView(existing);
      throw new ProtocolError('conflict', 'call id already in use');
    }

    const call = ringingCall({
      callId,
      caller: summary(ctx.user),
      callee: summary(callee),
      callerDeviceId: ctx.deviceId,
      now: this.now(),
      ringTimeoutMs: this.opts.ringTimeoutMs,
    });
    // A person-to-person call to an agent follows their state (one read for both rules).
    const agent = await this.live.agents.get(callee.id);
    call.autoAnswerMs = agentAutoAnswerMs(agent);

    // One read of the callee's calls serves the ring cap and the busy check.
    const calleeCalls = await this.live.calls.activeForUser(callee.id);
    checkRingCap(callee.id, calleeCalls, this.opts.maxRingingPerUser);
    // Durable trace first: once anything rings, the call has a record (docs/architecture.md,
    // "Durability", on why ringing does not start before the row's disk sync).
    if (!(await this.storage.history.journalStart(call))) {
      throw new ProtocolError('conflict', 'call id already in use');
    }

    const busyReason = (callee.status ? busyRule(callee as UserRow, calleeCalls) : null) ?? agentBusyReason(agent);
    const devices = busyReason ? [] : await this.live.devices.list(callee.id);
    call.ringingDeviceIds = devices.map((d) => d.deviceId);
    if (!(await this.live.calls.insert(call))) throw new ProtocolError('conflict', 'call id already in use');
    this.logTransition(call, 'new', busyReason ? 'busy' : 'ringing', { ringingDevices: call.ringingDeviceIds.length });

    if (busyReason) {
      // Busy or do-not-disturb: answered by the server, no device rings. The end records are
      // written after the start row, so their sync covers it.
      return this.finish(call.callId, 'busy', busyReason);
    }

    await this.live.calls.setDeadline(callId, call.ringDeadline);
    const view = toView(call);
    for (const d of devices) this.notifier.toDevice(d.deviceId, 'call:incoming', { call: view });
    this.emitSafely('ring', view);
    this.notifier.toUser(ctx.userId, 'call:outgoing-elsewhere', { call: view }, ctx.deviceId);
    this.notifier.toDevice(ctx.deviceId, 'call:ringing', { call: view, ringingDevices: devices.length });
    return view;
  }

  async accept(ctx: DeviceContext, callId: string): Promise<CallView> {
    const call = await this.access.mutateAs(ctx.userId, callId, (c) => {
      // A queue call ringing this agent: they become its callee (queues/queue-call.ts).
      if (inQueue(c) && currentOffer(c, ctx.userId)) return answerOffer(c, ctx.user, ctx.deviceId, this.now());
      this.requireCallee(ctx, c);
      if (c.state === 'answered' && c.answeredDeviceId === ctx.deviceId) return null; // retried accept
      if (c.state === 'answered') {
        throw new ProtocolError('conflict', 'the call was answered on another device', {
          answeredDeviceId: c.answeredDeviceId,
        });
      }
      if (c.state !== 'ringing') throw goneError(toView(c));
      if (c.declinedDeviceIds.includes(ctx.deviceId)) throw new ProtocolError('conflict', 'this device declined the call');
      return {
        ...c,
        state: 'answered',
        answeredDeviceId: ctx.deviceId,
        answeredAt: this.now(),
        ringingDeviceIds: [ctx.deviceId],
      };
    });
    if (!call.changed) return toView(call.call);

    this.logTransition(call.call, 'ringing', 'answered', { deviceId: ctx.deviceId });
    return this.announceAnswer(call.call);
  }

  /**
   * Commits an answer and tells everyone. `resent`: the node that committed it died before
   * (the answering agent's offer deadline finds it, agents/agent-service.ts): told again, the
   * answering device included, with the call's deadline armed for its state.
   */
  async announceAnswer(c: LiveCall, resent = false): Promise<CallView> {
    await (resent ? this.armDeadline(c) : this.live.calls.clearDeadline(c.callId));
    await this.storage.history.journalAnswer(c.callId, c.answeredAt!, c.answeredDeviceId!);
    const view = toView(c);
    // Stop every other ringing surface first: that is the latency users notice.
    this.notifier.toUser(c.callee.id, 'call:answered-elsewhere', { call: view }, c.answeredDeviceId!);
    this.notifier.toUser(c.caller.id, 'call:answered', { call: view });
    if (resent) this.notifier.toDevice(c.answeredDeviceId!, 'call:answered', { call: view });
    this.emitSafely('ring-stopped', view);
    this.emitSafely('answered', view);
    void this.refreshPresence(c);
    return view;
  }

  async decline(ctx: DeviceContext, callId: string): Promise<CallView> {
    const queued = await this.queueCall(ctx, callId);
    if (queued) return this.queueHooks!.decline(ctx, queued);
    const result = await this.access.mutateAs(ctx.userId, callId, (c) => {
      this.requireCallee(ctx, c);
      if (c.state !== 'ringing') throw goneError(toView(c));
      if (c.declinedDeviceIds.includes(ctx.deviceId)) return null;
      return {
        ...c,
        declinedDeviceIds: [...c.declinedDeviceIds, ctx.deviceId],
        ringingDeviceIds: c.ringingDeviceIds.filter((d) => d !== ctx.deviceId),
      };
    });
    const c = result.call;
    // Policy: the call is declined once no device is left ringing and at least
    // one declined; a device that merely went offline does not decline.
    if (c.state === 'ringing' && c.ringingDeviceIds.length === 0 && c.declinedDeviceIds.length > 0) {
      return this.finish(callId, 'declined', 'declined');
    }
    return toView(c);
  }

  async cancel(ctx: DeviceContext, callId: string): Promise<CallView> {
    const c = await this.access.loadForEnding(callId, ctx.userId);
    if (c.caller.id !== ctx.userId) throw this.notYours();
    if (c.state === 'ended') return this.endedView(c);
    if (c.state === 'answered') throw new ProtocolError('conflict', 'the call was answered; hang up instead');
    return this.finish(callId, 'cancelled', 'cancelled', ['ringing']);
  }

  /**
   * `endedAt`: when the user hung up, if that was earlier than now (the device was cut off
   * from the server and tells it after its reconnect). It becomes both records' end time,
   * clamped between the answer and now: a party can shorten its call, never lengthen it.
   */
  async hangup(ctx: DeviceContext, callId: string, endedAt?: number): Promise<CallView> {
    const c = await this.access.loadForEnding(callId, ctx.userId);
    const isCaller = c.caller.id === ctx.userId;
    const offered = 'version' in c && (c.offeredTo?.includes(ctx.userId) ?? false);
    if (!isCaller && c.callee.id !== ctx.userId && !offered) throw this.notYours();
    if (c.state === 'ended') return this.endedView(c);
    if (c.state === 'ringing') {
      return isCaller ? this.cancel(ctx, callId) : this.decline(ctx, callId);
    }
    if (ctx.deviceId !== c.callerDeviceId && ctx.deviceId !== c.answeredDeviceId) {
      throw new ProtocolError('forbidden', 'the call is on another of your devices');
    }
    return this.finish(callId, 'completed', 'hangup', ['answered'], endedAt);
  }

  /** A device (typically woken by push) asks to ring for a pending call. */
  async claim(ctx: DeviceContext, callId: string): Promise<CallView> {
    const queued = await this.queueCall(ctx, callId);
    if (queued) return this.queueHooks!.claim(ctx, queued);
    const result = await this.access.mutateAs(ctx.userId, callId, (c) => {
      this.requireCallee(ctx, c);
      if (c.state === 'answered' && c.answeredDeviceId === ctx.deviceId) return null;
      if (c.state !== 'ringing') throw goneError(toView(c));
      if (c.declinedDeviceIds.includes(ctx.deviceId)) throw new ProtocolError('conflict', 'this device declined the call');
      if (c.ringingDeviceIds.includes(ctx.deviceId)) return null;
      return { ...c, ringingDeviceIds: [...c.ringingDeviceIds, ctx.deviceId] };
    });
    const view = toView(result.call);
    if (result.changed) {
      this.logTransition(result.call, 'ringing', 'ringing', { claimedBy: ctx.deviceId });
      this.notifier.toDevice(ctx.deviceId, 'call:incoming', { call: view });
    }
    return view;
  }

  /** Relays media signaling between the two devices bound to an answered call. */
  async signal(ctx: DeviceContext, callId: string, signal: MediaSignal): Promise<number> {
    const c = await this.access.load(callId, ctx.userId);
    const fromCaller = ctx.deviceId === c.callerDeviceId && ctx.userId === c.caller.id;
    const fromCallee = ctx.deviceId === c.answeredDeviceId && ctx.userId === c.callee.id;
    if (!fromCaller && !fromCallee) throw new ProtocolError('forbidden', 'this device is not in the call');
    if (c.state === 'ended') throw goneError(toView(c));
    if (c.state !== 'answered') throw new ProtocolError('conflict', 'the call is not answered yet');
    const target = fromCaller ? c.answeredDeviceId! : c.callerDeviceId;
    this.notifier.toDevice(target, 'call:signal', { callId, fromDeviceId: ctx.deviceId, signal });
    return 1;
  }

  // ───────────────────────────── device lifecycle ─────────────────────────────

  /**
   * After every (re)connect: re-binds the device to its calls, rings it for
   * calls still ringing for its user, and reports calls it knew that are over.
   */
  async sync(ctx: DeviceContext, knownCallIds: string[]): Promise<{ calls: CallView[]; ended: CallView[] }> {
    const calls: CallView[] = [];
    for (const c of await this.live.calls.activeForUser(ctx.userId)) {
      const bound = c.callerDeviceId === ctx.deviceId || c.answeredDeviceId === ctx.deviceId;
      // Object.hasOwn: device ids are client-chosen, and `constructor` or `__proto__` is a valid one.
      if (bound && Object.hasOwn(c.lostDevices, ctx.deviceId)) {
        const r = await this.access.mutate(c.callId, (x) => {
          if (!Object.hasOwn(x.lostDevices, ctx.deviceId)) return null;
          const lostDevices = { ...x.lostDevices };
          delete lostDevices[ctx.deviceId];
          // A device is back: the call lives on, so the crash-time estimate no longer applies.
          const { lastAliveAt: _, ...rest } = x;
          return { ...rest, lostDevices };
        }).catch(() => undefined);
        if (r?.changed) this.logTransition(r.call, r.call.state, r.call.state, { rebound: ctx.deviceId });
        if (r) await this.armDeadline(r.call);
      }
      const rings = c.callee.id === ctx.userId || (c.offeredTo?.includes(ctx.userId) ?? false);
      if (c.state === 'ringing' && rings && !c.declinedDeviceIds.includes(ctx.deviceId)) {
        const view = await this.claim(ctx, c.callId).catch(() => undefined);
        if (view) calls.push(view);
        continue;
      }
      if (bound || c.caller.id === ctx.userId || c.state === 'answered') calls.push(toView(c));
    }
    const ended: CallView[] = [];
    for (const id of knownCallIds) {
      if (calls.some((c) => c.callId === id)) continue;
      const view = await this.access.finalView(id);
      if (view && (view.caller.id === ctx.userId || view.callee.id === ctx.userId)) ended.push(view);
    }
    return { calls, ended };
  }

  /** The device's signaling connection dropped (not replaced by a newer one). */
  async deviceLost(userId: string, deviceId: string): Promise<void> {
    for (const c of await this.live.calls.activeForUser(userId)) {
      const r = await this.access.mutate(c.callId, (x) => {
        if (x.state === 'ended') return null;
        const bound = x.callerDeviceId === deviceId || x.answeredDeviceId === deviceId;
        if (x.state === 'ringing' && x.ringingDeviceIds.includes(deviceId) && x.answeredDeviceId !== deviceId) {
          return { ...x, ringingDeviceIds: x.ringingDeviceIds.filter((d) => d !== deviceId) };
        }
        if (bound && !Object.hasOwn(x.lostDevices, deviceId)) {
          return { ...x, lostDevices: { ...x.lostDevices, [deviceId]: this.now() } };
        }
        return null;
      }).catch(() => undefined);
      if (r?.changed) {
        this.log.info({ callId: c.callId, deviceId, state: r.call.state }, 'call device lost');
        const x = r.call;
        if (inQueue(x) && c.ringingDeviceIds.includes(deviceId) && this.queueHooks) {
          await this.queueHooks.ringingDeviceLost(x, userId, deviceId);
          continue;
        }
        // The last ringing device went away after another one declined: declined now
        // (a missed call is one nobody declined), not pending until the ring timeout.
        if (x.state === 'ringing' && x.ringingDeviceIds.length === 0 && x.declinedDeviceIds.length > 0) {
          await this.finish(x.callId, 'declined', 'declined', ['ringing']).catch((err: unknown) => {
            this.log.warn({ err, callId: x.callId }, 'ending a declined call failed');
          });
          continue;
        }
        await this.armDeadline(x);
      }
    }
  }

  // ───────────────────────────── recovery ─────────────────────────────

  /** At start and in the reconciler: calls/call-recovery.ts recoverCalls. */
  recover(opts: { lastAliveAt?: number } = {}): Promise<{ failed: number; restored: number }> {
    return recoverCalls({
      ...{ storage: this.storage, live: this.live, ending: this.ending, ringTimeoutMs: this.opts.ringTimeoutMs },
      ...{ now: this.now(), lastAliveAt: opts.lastAliveAt },
      fail: (callId) => this.finish(callId, 'failed', 'server_restart'),
      restore: async (call) => {
        await this.armDeadline(call);
        this.logTransition(call, 'answered', 'answered', { restored: true });
      },
    });
  }

  // ───────────────────────────── internals ─────────────────────────────

  private async onDeadline(callId: string): Promise<void> {
    const c = await this.live.calls.get(callId);
    if (c && unrecorded(c)) return void (await completeEnding(this.ending, c, 'deadline'));
    if (!c || c.state === 'ended') return;
    if (inQueue(c) && this.queueHooks) return this.queueHooks.deadline(c);
    const now = this.now();
    if (c.state === 'ringing' && now >= c.ringDeadline - 5) {
      await this.finish(callId, 'missed', 'timeout', ['ringing']);
      return;
    }
    const expired = Object.values(c.lostDevices).filter((since) => now >= since + this.lostGrace(c) - 5);
    if (expired.length > 0) {
      // The call ends when its signaling was last known alive, not when the grace ran out:
      // the moment the device was lost, or for a call restored after a crash, the last
      // liveness mark the crashed process wrote (the downtime is not call time).
      const lastAlive = c.lastAliveAt ?? Math.min(...expired);
      if (c.state === 'answered') await this.finish(callId, 'completed', 'device_lost', ['answered'], lastAlive);
      else await this.finish(callId, 'failed', 'device_lost', ['ringing']);
      return;
    }
    await this.armDeadline(c);
  }

  /** How long a device lost from the call may take to come back. */
  lostGrace(c: LiveCall): number {
    // A caller whose connection drops while ringing gets less patience than a live conversation.
    return c.state === 'ringing' ? Math.min(this.opts.callReconnectGraceMs, 15_000) : this.opts.callReconnectGraceMs;
  }

  private async armDeadline(c: LiveCall): Promise<void> {
    if (c.state === 'ended') return this.live.calls.clearDeadline(c.callId);
    if (inQueue(c) && this.queueHooks) return this.queueHooks.armDeadline(c);
    const times = Object.values(c.lostDevices).map((since) => since + this.lostGrace(c));
    if (c.state === 'ringing') times.push(c.ringDeadline);
    if (times.length === 0) return this.live.calls.clearDeadline(c.callId);
    await this.live.calls.setDeadline(c.callId, Math.min(...times));
  }

  /**
   * Ends the call (if it is in one of `from`), commits one history record per
   * participant, then tells every device of both users. Idempotent.
   */
  async finish(
    callId: string,
    outcome: CallOutcome,
    reason: EndReason,
    from: LiveCall['state'][] = ['ringing', 'answered'],
    at?: number,
  ): Promise<CallView> {
    const result = await this.access.mutate(callId, (c) => {
      if (c.state === 'ended') return null;
      if (!from.includes(c.state)) {
        throw new ProtocolError('conflict', `the call is ${c.state}`, { state: c.state });
      }
      const now = this.now();
      const endedAt = at === undefined ? now : Math.min(now, Math.max(at, c.answeredAt ?? c.createdAt));
      return { ...c, state: 'ended', outcome, endReason: reason, endedAt, lostDevices: {}, unrecordedSince: now };
    });
    const c = result.call;
    if (!result.changed) return staleEnding(c, this.now()) ? completeEnding(this.ending, c, 'retry') : toView(c);
    this.logTransition(c, c.answeredAt !== null ? 'answered' : 'ringing', 'ended', { outcome, reason });
    // Kept until the records are committed: if this node dies first, another one writes them.
    await this.live.calls.setDeadline(callId, this.now() + RECORD_RETRY_MS);
    return recordEnding(this.ending, c);
  }

  /** An ending request for a call that is over: its final view (and its records, if its node died ending it). */
  private endedView(c: LiveCall | CallView): Promise<CallView> | CallView {
    if (!('version' in c)) return c;
    return staleEnding(c, this.now()) ? completeEnding(this.ending, c, 'retry') : toView(c);
  }

  private async refreshPresence(c: LiveCall): Promise<void> {
    try {
      await Promise.all([this.presence.refresh(c.caller.id), this.presence.refresh(c.callee.id)]);
    } catch (err) {
      this.log.warn({ err, callId: c.callId }, 'presence refresh failed');
    }
  }

  /** The call, if it is a queue call ringing or waiting (the queue engine's to handle). */
  private async queueCall(ctx: DeviceContext, callId: string): Promise<LiveCall | undefined> {
    if (!this.queueHooks) return undefined;
    const c = await this.access.load(callId, ctx.userId);
    return inQueue(c) ? c : undefined;
  }

  private requireCallee(ctx: DeviceContext, c: LiveCall): void {
    if (c.callee.id !== ctx.userId) throw lateOffer(c, ctx.userId) ?? this.notYours();
  }

  private notYours(): ProtocolError {
    return new ProtocolError('forbidden', 'this is not your call');
  }

  private emitSafely<E extends keyof CallServiceEvents>(event: E, ...args: CallServiceEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: CallServiceEvents[E]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'call event subscriber failed');
    }
  }

  private logTransition(c: LiveCall, from: string, to: string, extra: Record<string, unknown> = {}): void {
    this.log.info(
      { callId: c.callId, from, to, caller: c.caller.id, callee: c.callee.id, ...extra },
      'call transition',
    );
  }
}
