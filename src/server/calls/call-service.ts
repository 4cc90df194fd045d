/**
 * Multi-device call routing: the server-side call state machine.
 *
 *   ringing ──accept──► answered ──hangup / device lost──► ended (completed)
 *      │
 *      ├─ every ringing device declined ─► ended (declined)
 *      ├─ caller cancelled ──────────────► ended (cancelled)
 *      ├─ ring deadline passed ──────────► ended (missed)
 *      └─ caller lost / server restart ──► ended (failed)
 *   (busy and dnd end the call at once, before any device rings)
 *
 * Every transition is a compare-and-set on the live call's version, so the
 * first device to accept wins even when several race, on one node or many.
 * Every call ends with exactly one durable history record per participant,
 * committed before the final acknowledgement.
 */
import { randomUUID } from 'node:crypto';
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
import type { LiveCall, LiveState } from '../live/types.js';
import type { NewHistoryRecord, Storage, UserRow } from '../store/types.js';
import type { Notifier } from './notifier.js';

export interface DeviceContext {
  userId: string;
  deviceId: string;
  user: UserSummary;
}

export interface CallServiceOptions {
  ringTimeoutMs: number;
  callReconnectGraceMs: number;
  endedCallRetentionMs: number;
}

/** Hooks for devices that must be woken (push); optional. */
export interface CallHooks {
  /** A call starts ringing for `callee`; resolves with how many devices were woken. */
  onRing?(call: CallView): void;
  /** A ringing call ended (answered elsewhere, cancelled, …): tell woken devices. */
  onRingStopped?(call: CallView): void;
}

type Mutation = (call: Readonly<LiveCall>) => LiveCall | null;

const MAX_CAS_ATTEMPTS = 20;

export function toView(c: LiveCall): CallView {
  return {
    callId: c.callId,
    state: c.state,
    caller: c.caller,
    callee: c.callee,
    callerDeviceId: c.callerDeviceId,
    answeredDeviceId: c.answeredDeviceId,
    createdAt: c.createdAt,
    answeredAt: c.answeredAt,
    ringDeadline: c.ringDeadline,
    outcome: c.outcome,
    endReason: c.endReason,
  };
}

function summary(u: UserRow | UserSummary): UserSummary {
  return { id: u.id, username: u.username, displayName: u.displayName };
}

export class CallService {
  hooks: CallHooks = {};

  constructor(
    private readonly storage: Storage,
    private readonly live: LiveState,
    private readonly notifier: Notifier,
    private readonly presence: PresenceService,
    private readonly limits: RateLimits,
    private readonly log: Logger,
    private readonly opts: CallServiceOptions,
    private readonly now: () => number = Date.now,
  ) {
    live.calls.onDeadline((callId) => {
      this.onDeadline(callId).catch((err: unknown) => this.log.error({ err, callId }, 'deadline handling failed'));
    });
  }

  // ───────────────────────────── client requests ─────────────────────────────

  async invite(ctx: DeviceContext, req: ClientRequest<'call:invite'>): Promise<CallView> {
    await this.limits.consume('invite', ctx.userId);
    const callee =
      'userId' in req.to
        ? await this.storage.accounts.getUserById(req.to.userId)
        : await this.storage.accounts.getUserByUsername(req.to.username);
    if (!callee) throw new ProtocolError('not_found', 'no such user');
    if (callee.id === ctx.userId) throw new ProtocolError('bad_request', 'you cannot call yourself');

    const callId = req.callId ?? randomUUID();
    const existing = await this.live.calls.get(callId);
    if (existing) {
      // A retried invite (same id, same caller device) is answered with the call as it is.
      if (existing.caller.id === ctx.userId && existing.callerDeviceId === ctx.deviceId) return toView(existing);
      throw new ProtocolError('conflict', 'call id already in use');
    }

    const now = this.now();
    const call: LiveCall = {
      callId,
      version: 0,
      state: 'ringing',
      caller: summary(ctx.user),
      callee: summary(callee),
      callerDeviceId: ctx.deviceId,
      ringingDeviceIds: [],
      declinedDeviceIds: [],
      answeredDeviceId: null,
      createdAt: now,
      answeredAt: null,
      ringDeadline: now + this.opts.ringTimeoutMs,
      endedAt: null,
      outcome: null,
      endReason: null,
      lostDevices: {},
    };

    // Durable trace first: once anything rings, the call has a record (docs/architecture.md,
    // "Durability", on why ringing does not start before the row's disk sync).
    if (!(await this.storage.history.journalStart(call))) {
      throw new ProtocolError('conflict', 'call id already in use');
    }

    const busyReason = await this.busyReason(callee);
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
    this.hooks.onRing?.(view);
    this.notifier.toUser(ctx.userId, 'call:outgoing-elsewhere', { call: view }, ctx.deviceId);
    this.notifier.toDevice(ctx.deviceId, 'call:ringing', { call: view, ringingDevices: devices.length });
    return view;
  }

  async accept(ctx: DeviceContext, callId: string): Promise<CallView> {
    const call = await this.mutate(callId, (c) => {
      this.requireCallee(ctx, c);
      if (c.state === 'answered' && c.answeredDeviceId === ctx.deviceId) return null; // retried accept
      if (c.state === 'answered') {
        throw new ProtocolError('conflict', 'the call was answered on another device', {
          answeredDeviceId: c.answeredDeviceId,
        });
      }
      if (c.state !== 'ringing') throw this.gone(c);
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

    const c = call.call;
    this.logTransition(c, 'ringing', 'answered', { deviceId: ctx.deviceId });
    await this.live.calls.clearDeadline(callId);
    await this.storage.history.journalAnswer(callId, c.answeredAt!, ctx.deviceId);
    const view = toView(c);
    // Stop every other ringing surface first: that is the latency users notice.
    this.notifier.toUser(c.callee.id, 'call:answered-elsewhere', { call: view }, ctx.deviceId);
    this.notifier.toUser(c.caller.id, 'call:answered', { call: view });
    this.hooks.onRingStopped?.(view);
    void this.refreshPresence(c);
    return view;
  }

  async decline(ctx: DeviceContext, callId: string): Promise<CallView> {
    const result = await this.mutate(callId, (c) => {
      this.requireCallee(ctx, c);
      if (c.state !== 'ringing') throw this.gone(c);
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
    const c = await this.load(callId);
    if (c.caller.id !== ctx.userId) throw this.notYours();
    if (c.state === 'answered') throw new ProtocolError('conflict', 'the call was answered; hang up instead');
    if (c.state === 'ended') return toView(c);
    return this.finish(callId, 'cancelled', 'cancelled', ['ringing']);
  }

  async hangup(ctx: DeviceContext, callId: string): Promise<CallView> {
    const c = await this.load(callId);
    const isCaller = c.caller.id === ctx.userId;
    const isCallee = c.callee.id === ctx.userId;
    if (!isCaller && !isCallee) throw this.notYours();
    if (c.state === 'ended') return toView(c);
    if (c.state === 'ringing') {
      return isCaller ? this.cancel(ctx, callId) : this.decline(ctx, callId);
    }
    if (ctx.deviceId !== c.callerDeviceId && ctx.deviceId !== c.answeredDeviceId) {
      throw new ProtocolError('forbidden', 'the call is on another of your devices');
    }
    return this.finish(callId, 'completed', 'hangup', ['answered']);
  }

  /** A device (typically woken by push) asks to ring for a pending call. */
  async claim(ctx: DeviceContext, callId: string): Promise<CallView> {
    const result = await this.mutate(callId, (c) => {
      this.requireCallee(ctx, c);
      if (c.state === 'answered' && c.answeredDeviceId === ctx.deviceId) return null;
      if (c.state !== 'ringing') throw this.gone(c);
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
    const c = await this.load(callId);
    const fromCaller = ctx.deviceId === c.callerDeviceId && ctx.userId === c.caller.id;
    const fromCallee = ctx.deviceId === c.answeredDeviceId && ctx.userId === c.callee.id;
    if (!fromCaller && !fromCallee) throw new ProtocolError('forbidden', 'this device is not in the call');
    if (c.state === 'ended') throw this.gone(c);
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
        const r = await this.mutate(c.callId, (x) => {
          if (!Object.hasOwn(x.lostDevices, ctx.deviceId)) return null;
          const lostDevices = { ...x.lostDevices };
          delete lostDevices[ctx.deviceId];
          return { ...x, lostDevices };
        }).catch(() => undefined);
        if (r?.changed) this.logTransition(r.call, r.call.state, r.call.state, { rebound: ctx.deviceId });
        if (r) await this.armDeadline(r.call);
      }
      if (c.state === 'ringing' && c.callee.id === ctx.userId && !c.declinedDeviceIds.includes(ctx.deviceId)) {
        const view = await this.claim(ctx, c.callId).catch(() => undefined);
        if (view) calls.push(view);
        continue;
      }
      if (bound || c.caller.id === ctx.userId || c.state === 'answered') calls.push(toView(c));
    }
    const ended: CallView[] = [];
    for (const id of knownCallIds) {
      if (calls.some((c) => c.callId === id)) continue;
      const view = await this.finalView(id);
      if (view && (view.caller.id === ctx.userId || view.callee.id === ctx.userId)) ended.push(view);
    }
    return { calls, ended };
  }

  /** The device's signaling connection dropped (not replaced by a newer one). */
  async deviceLost(userId: string, deviceId: string): Promise<void> {
    for (const c of await this.live.calls.activeForUser(userId)) {
      const r = await this.mutate(c.callId, (x) => {
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
        await this.armDeadline(r.call);
      }
    }
  }

  // ───────────────────────────── recovery ─────────────────────────────

  /**
   * At start: calls the journal shows unfinished and live state does not know
   * (the process died). Unanswered ones end as failed; answered ones are
   * restored with both devices marked lost, so they are kept if a device
   * comes back within the grace period and ended otherwise.
   */
  async recover(): Promise<{ failed: number; restored: number }> {
    let failed = 0;
    let restored = 0;
    for (const j of await this.storage.history.unfinishedCalls()) {
      if (await this.live.calls.get(j.callId)) continue;
      const now = this.now();
      const call: LiveCall = {
        callId: j.callId,
        version: 0,
        state: j.answeredAt !== null ? 'answered' : 'ringing',
        caller: j.caller,
        callee: j.callee,
        callerDeviceId: j.callerDeviceId,
        ringingDeviceIds: j.answeredDeviceId ? [j.answeredDeviceId] : [],
        declinedDeviceIds: [],
        answeredDeviceId: j.answeredDeviceId,
        createdAt: j.createdAt,
        answeredAt: j.answeredAt,
        ringDeadline: j.createdAt + this.opts.ringTimeoutMs,
        endedAt: null,
        outcome: null,
        endReason: null,
        lostDevices: {},
      };
      if (call.state === 'answered') {
        call.lostDevices = { [call.callerDeviceId]: now, [call.answeredDeviceId!]: now };
      }
      await this.live.calls.insert(call);
      if (call.state === 'ringing') {
        await this.finish(call.callId, 'failed', 'server_restart');
        failed++;
      } else {
        await this.armDeadline(call);
        this.logTransition(call, 'answered', 'answered', { restored: true });
        restored++;
      }
    }
    return { failed, restored };
  }

  // ───────────────────────────── internals ─────────────────────────────

  private async onDeadline(callId: string): Promise<void> {
    const c = await this.live.calls.get(callId);
    if (!c || c.state === 'ended') return;
    const now = this.now();
    if (c.state === 'ringing' && now >= c.ringDeadline - 5) {
      await this.finish(callId, 'missed', 'timeout', ['ringing']);
      return;
    }
    const expired = Object.entries(c.lostDevices).some(([, since]) => now >= since + this.lostGrace(c) - 5);
    if (expired) {
      if (c.state === 'answered') await this.finish(callId, 'completed', 'device_lost', ['answered']);
      else await this.finish(callId, 'failed', 'device_lost', ['ringing']);
      return;
    }
    await this.armDeadline(c);
  }

  private lostGrace(c: LiveCall): number {
    // A caller whose connection drops while ringing gets less patience than a live conversation.
    return c.state === 'ringing' ? Math.min(this.opts.callReconnectGraceMs, 15_000) : this.opts.callReconnectGraceMs;
  }

  private async armDeadline(c: LiveCall): Promise<void> {
    if (c.state === 'ended') return this.live.calls.clearDeadline(c.callId);
    const times = Object.values(c.lostDevices).map((since) => since + this.lostGrace(c));
    if (c.state === 'ringing') times.push(c.ringDeadline);
    if (times.length === 0) return this.live.calls.clearDeadline(c.callId);
    await this.live.calls.setDeadline(c.callId, Math.min(...times));
  }

  private async busyReason(callee: UserRow): Promise<EndReason | null> {
    if (callee.status === 'dnd') return 'dnd';
    if (!callee.callWaiting && (await this.presence.inAnsweredCall(callee.id))) return 'busy';
    return null;
  }

  /**
   * Ends the call (if it is in one of `from`), commits one history record per
   * participant, then tells every device of both users. Idempotent.
   */
  private async finish(
    callId: string,
    outcome: CallOutcome,
    reason: EndReason,
    from: LiveCall['state'][] = ['ringing', 'answered'],
  ): Promise<CallView> {
    const result = await this.mutate(callId, (c) => {
      if (c.state === 'ended') return null;
      if (!from.includes(c.state)) {
        throw new ProtocolError('conflict', `the call is ${c.state}`, { state: c.state });
      }
      return { ...c, state: 'ended', outcome, endReason: reason, endedAt: this.now(), lostDevices: {} };
    });
    const c = result.call;
    if (!result.changed) return toView(c);
    const previous = c.answeredAt !== null ? 'answered' : 'ringing';
    this.logTransition(c, previous, 'ended', { outcome, reason });
    await this.live.calls.clearDeadline(callId);

    const records = await this.storage.history.finishCall(
      callId,
      { endedAt: c.endedAt!, outcome, endReason: reason },
      this.historyRecords(c),
    );
    const view = toView(c);
    this.notifier.toUser(c.caller.id, 'call:ended', { call: view });
    this.notifier.toUser(c.callee.id, 'call:ended', { call: view });
    if (previous === 'ringing') this.hooks.onRingStopped?.(view);
    await Promise.all(
      records.map(async (record) => {
        const userId = record.direction === 'outgoing' ? c.caller.id : c.callee.id;
        // Only a missed record changes the user's missed count: count only then.
        if (!record.missed) return this.notifier.toUser(userId, 'history:added', { record });
        const user = await this.storage.accounts.getUserById(userId);
        const missedCount = user ? await this.storage.history.missedCount(userId, user.lastSeenMissedAt) : 0;
        this.notifier.toUser(userId, 'history:added', { record, missedCount });
      }),
    );
    await this.live.calls.expire(callId, this.opts.endedCallRetentionMs);
    if (previous === 'answered') void this.refreshPresence(c);
    return view;
  }

  private historyRecords(c: LiveCall): NewHistoryRecord[] {
    const base = {
      callId: c.callId,
      endReason: c.endReason!,
      startedAt: c.createdAt,
      answeredAt: c.answeredAt,
      endedAt: c.endedAt!,
      answeredDeviceId: c.answeredDeviceId,
    };
    const outcome = c.outcome!;
    const calleeMissed = c.answeredAt === null && outcome !== 'declined';
    return [
      { ...base, userId: c.caller.id, direction: 'outgoing', peer: c.callee, outcome, missed: false },
      {
        ...base,
        userId: c.callee.id,
        direction: 'incoming',
        peer: c.caller,
        // The caller heard "busy"; for the callee it is a call they missed.
        outcome: outcome === 'busy' ? 'missed' : outcome,
        missed: calleeMissed,
      },
    ];
  }

  private async refreshPresence(c: LiveCall): Promise<void> {
    try {
      await Promise.all([this.presence.refresh(c.caller.id), this.presence.refresh(c.callee.id)]);
    } catch (err) {
      this.log.warn({ err, callId: c.callId }, 'presence refresh failed');
    }
  }

  /** Optimistic update loop: retries on concurrent modification. */
  private async mutate(callId: string, fn: Mutation): Promise<{ call: LiveCall; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.load(callId);
      // Stored calls are immutable (frozen in memory): mutations build new objects.
      const next = fn(current);
      if (next === null) return { call: current, changed: false };
      const stored = { ...next, version: current.version + 1 };
      if (await this.live.calls.compareAndSet(stored, current.version)) return { call: stored, changed: true };
    }
    throw new ProtocolError('internal', 'call state is contended; try again');
  }

  private async load(callId: string): Promise<LiveCall> {
    const c = await this.live.calls.get(callId);
    if (c) return c;
    const view = await this.finalView(callId);
    if (view) throw new ProtocolError('gone', 'the call is over', { outcome: view.outcome, endReason: view.endReason, call: view });
    throw new ProtocolError('not_found', 'no such call');
  }

  /** The final view of a finished call, from live state or the durable journal. */
  private async finalView(callId: string): Promise<CallView | undefined> {
    const c = await this.live.calls.get(callId);
    if (c) return c.state === 'ended' ? toView(c) : undefined;
    const j = await this.storage.history.getJournal(callId);
    if (!j || j.endedAt === null) return undefined;
    return {
      callId: j.callId,
      state: 'ended',
      caller: j.caller,
      callee: j.callee,
      callerDeviceId: j.callerDeviceId,
      answeredDeviceId: j.answeredDeviceId,
      createdAt: j.createdAt,
      answeredAt: j.answeredAt,
      ringDeadline: j.createdAt + this.opts.ringTimeoutMs,
      outcome: j.outcome,
      endReason: j.endReason,
    };
  }

  private requireCallee(ctx: DeviceContext, c: LiveCall): void {
    if (c.callee.id !== ctx.userId) throw this.notYours();
  }

  private notYours(): ProtocolError {
    return new ProtocolError('forbidden', 'this is not your call');
  }

  private gone(c: LiveCall): ProtocolError {
    return new ProtocolError('gone', 'the call is over', { outcome: c.outcome, endReason: c.endReason, call: toView(c) });
  }

  private logTransition(c: LiveCall, from: string, to: string, extra: Record<string, unknown> = {}): void {
    this.log.info(
      { callId: c.callId, from, to, caller: c.caller.id, callee: c.callee.id, ...extra },
      'call transition',
    );
  }
}
