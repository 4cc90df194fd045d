/**
 * The queue engine (docs/protocol.md "Queues", docs/support-line.md "Routing"): callers join
 * a queue's line, offers go to agents as the planner decides, a declined or missed offer
 * puts the call back in its place, and every queue call ends with exactly one record for
 * the caller and one for the agent who answered (written by the call service's finish).
 *
 * A queue call is one LiveCall whose callee changes (queue-call.ts). Its live state and the
 * line index are in the shared live state, so any node can dispatch any queue and a dead
 * node's callers stay in line; their one deadline each (max-wait, a tier threshold, an
 * offer's backstop, a lost device's grace) is the call's cluster-wide deadline.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ProtocolError,
  type CallView,
  type CallerKind,
  type DirectoryQueue,
  type PublicQueueInfo,
  type Role,
} from '../../shared/protocol/index.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { AgentQueueHooks, AgentService } from '../agents/agent-service.js';
import { goneError } from '../calls/call-access.js';
import { agentView, summary, toView } from '../calls/call-records.js';
import type { CallService, DeviceContext } from '../calls/call-service.js';
import type { Notifier } from '../calls/notifier.js';
import type { QueueCallHooks } from '../calls/queue-hooks.js';
import { inQueue, isQueueCall, type LiveCall, type LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../store/types.js';
import { currentOffer, newQueueCall, withdrawnByAnswer } from './queue-call.js';
import { Dispatcher, OFFER_BACKSTOP_MS, sortLine } from './queue-dispatch.js';
import { NO_WRAP_UP, Offers } from './queue-offers.js';
import type { QueueLiveEvents, QueueLiveView, WaitingCall } from './types.js';

export interface QueueServiceDeps {
  storage: Storage;
  live: LiveState;
  calls: CallService;
  agents: AgentService;
  notifier: Notifier;
  log: Logger;
  now?: () => number;
}

export interface QueueInviteOptions {
  callId?: string;
  callerKind: CallerKind;
  /** The caller's roles: a priority is honoured for supervisors and admins only. */
  roles?: readonly Role[];
}

const PRIORITY_ROLES: readonly Role[] = ['supervisor', 'admin'];

export class QueueService extends EventEmitter<QueueLiveEvents> implements QueueLiveView, QueueCallHooks, AgentQueueHooks {
  private readonly now: () => number;
  private readonly offers: Offers;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly d: QueueServiceDeps) {
    super();
    this.now = d.now ?? Date.now;
    this.offers = new Offers({ ...d, now: this.now });
    this.dispatcher = new Dispatcher({
      ...d,
      now: this.now,
      offers: this.offers,
      lostGrace: (c) => d.calls.lostGrace(c),
      changed: (queueId) => this.emitSafely(queueId),
    });
    d.calls.attachQueues(this);
    d.agents.attachQueues(this);
    d.calls.on('answered', (view) => void this.safely(this.onAnswered(view), 'queue call answer'));
    d.calls.on('ended', (view) => void this.safely(this.onEnded(view), 'queue call end'));
  }

  // ───────────────────────────── callers ─────────────────────────────

  /** A user's or a guest's call to a queue: it waits in line, or is refused at once (`no_agents`). */
  async invite(ctx: DeviceContext, to: { queue: string; priority?: number }, opts: QueueInviteOptions): Promise<CallView> {
    const queue = await this.d.storage.queues.get(to.queue);
    if (!queue) throw new ProtocolError('not_found', 'no such queue');
    const callId = opts.callId ?? randomUUID();
    const existing = await this.d.live.calls.get(callId);
    if (existing) {
      // A retried invite (same id, caller device and queue) is answered with the call as it is.
      const retry = existing.caller.id === ctx.userId && existing.callerDeviceId === ctx.deviceId && existing.queue?.id === queue.id;
      if (retry) return toView(existing);
      throw new ProtocolError('conflict', 'call id already in use');
    }
    const mayPrioritise = opts.roles?.some((r) => PRIORITY_ROLES.includes(r)) ?? false;
    const now = this.now();
    const call = newQueueCall({
      callId,
      caller: summary(ctx.user),
      callerDeviceId: ctx.deviceId,
      queue,
      priority: mayPrioritise ? (to.priority ?? 0) : 0,
      callerKind: opts.callerKind,
      now,
    });
    const refused = (opts.callerKind === 'guest' && !queue.public) || (!queue.joinEmpty && !(await this.anyLoggedIn(queue.id)));
    // Durable trace first, as for every call (docs/architecture.md, "Durability").
    if (!(await this.d.storage.history.journalStart(call))) throw new ProtocolError('conflict', 'call id already in use');
    if (refused) {
      if (!(await this.d.live.calls.insert(call))) throw new ProtocolError('conflict', 'call id already in use');
      this.d.log.info({ callId, queue: queue.id, caller: ctx.userId }, 'queue call refused: no agents');
      return this.d.calls.finish(callId, 'busy', 'no_agents', ['ringing']);
    }
    // The line entry first: a reader forgets an entry without a call only after a grace.
    await this.d.live.lines.add(queue.id, callId, now);
    if (!(await this.d.live.calls.insert(call))) throw new ProtocolError('conflict', 'call id already in use');
    this.d.log.info({ callId, queue: queue.id, caller: ctx.userId, callerKind: opts.callerKind, priority: call.priority }, 'queue call joined');
    const view = toView(call);
    this.d.notifier.toUser(ctx.userId, 'call:outgoing-elsewhere', { call: view }, ctx.deviceId);
    this.d.notifier.toDevice(ctx.deviceId, 'call:ringing', { call: view, ringingDevices: 0 });
    await this.dispatcher.arm(call);
    void this.dispatcher.dispatch(queue.id);
    return view;
  }

  // ───────────────────────────── views ─────────────────────────────

  async waiting(queueId: string): Promise<WaitingCall[]> {
    const line = sortLine((await this.d.live.lines.calls(queueId)).filter(inQueue));
    return line.map((c) => ({
      callId: c.callId,
      queueId,
      enqueuedAt: c.queuedAt ?? c.createdAt,
      priority: c.priority ?? 0,
      caller: c.caller,
      callerKind: c.callerKind ?? 'user',
      offeredTo: [...(c.offeredTo ?? [])],
    }));
  }

  /** Queues whose id or name contains `match` (any case), with their agents and line now. */
  async directory(match: string): Promise<DirectoryQueue[]> {
    const m = match.trim().toLowerCase();
    const queues = (await this.d.storage.queues.list()).filter((q) => !m || q.id.includes(m) || q.name.toLowerCase().includes(m));
    return Promise.all(
      queues.map(async (q) => {
        const agents = await this.memberAgents(q.id);
        return {
          id: q.id,
          name: q.name,
          agentsLoggedIn: agents.filter((a) => a.state !== 'offline').length,
          agentsReady: agents.filter((a) => a.state === 'ready').length,
          waiting: (await this.d.live.lines.calls(q.id)).filter(inQueue).length,
        };
      }),
    );
  }

  /** What the public page of a public queue shows (undefined: no such public queue). */
  async publicInfo(queueId: string): Promise<PublicQueueInfo | undefined> {
    const q = await this.d.storage.queues.get(queueId);
    if (!q || !q.public) return undefined;
    const open = q.joinEmpty || (await this.anyLoggedIn(q.id));
    const waiting = (await this.d.live.lines.calls(q.id)).filter(inQueue).length;
    return { id: q.id, name: q.name, open, waiting };
  }

  /** Looks at the queue's line now (e.g. after its members changed). */
  dispatch(queueId: string): Promise<void> {
    return this.dispatcher.dispatch(queueId);
  }

  // ───────────────────────────── QueueCallHooks (calls/call-service.ts) ─────────────────────────────

  async decline(ctx: DeviceContext, c: LiveCall): Promise<CallView> {
    if (!currentOffer(c, ctx.userId)) {
      if (c.caller.id === ctx.userId) throw new ProtocolError('bad_request', 'cancel your own call instead');
      throw new ProtocolError('conflict', 'this call is not being offered to you');
    }
    const r = await this.offers.end(c.callId, ctx.userId, 'declined');
    // The agent follows step 2: back to what they were, with the reject delay.
    await this.d.agents.apply(ctx.userId, (a) =>
      a.state === 'reserved' && a.callId === c.callId
        ? { type: 'call-ended', callId: c.callId, endReason: 'declined', answered: false, wrapUp: NO_WRAP_UP }
        : null,
    );
    if (r?.changed && c.queue) void this.dispatcher.dispatch(c.queue.id);
    return agentView(r?.call ?? c, ctx.userId);
  }

  async claim(ctx: DeviceContext, c: LiveCall): Promise<CallView> {
    const offer = currentOffer(c, ctx.userId);
    if (!offer) {
      if (c.caller.id === ctx.userId) return toView(c);
      throw new ProtocolError('conflict', 'this call is not being offered to you');
    }
    if (offer.deviceIds.includes(ctx.deviceId)) return agentView(c, ctx.userId);
    const r = await this.offers.access.mutate(c.callId, (x) => {
      const o = currentOffer(x, ctx.userId);
      if (!inQueue(x) || !o || o.deviceIds.includes(ctx.deviceId)) return null;
      return {
        ...x,
        ringingDeviceIds: [...x.ringingDeviceIds, ctx.deviceId],
        offers: x.offers!.map((y) => (y === o ? { ...y, deviceIds: [...y.deviceIds, ctx.deviceId] } : y)),
      };
    });
    if (!currentOffer(r.call, ctx.userId)) throw goneError(toView(r.call));
    const view = agentView(r.call, ctx.userId);
    if (r.changed) this.d.notifier.toDevice(ctx.deviceId, 'call:incoming', { call: view });
    return view;
  }

  async deadline(c: LiveCall): Promise<void> {
    this.dispatcher.forget(c.callId);
    const now = this.now();
    const grace = this.d.calls.lostGrace(c);
    const lost = Object.values(c.lostDevices).filter((since) => now >= since + grace - 5);
    if (lost.length > 0) {
      // The caller's device never came back: the caller is gone (abandoned).
      await this.d.calls.finish(c.callId, 'failed', 'device_lost', ['ringing'], Math.min(...lost));
      return;
    }
    if (c.maxWaitAt != null && now >= c.maxWaitAt - 5) {
      await this.d.calls.finish(c.callId, 'missed', 'max_wait', ['ringing']);
      return;
    }
    // Offers whose agent holds no reservation for the call any more (their node died mid-offer).
    for (const o of (c.offers ?? []).filter((x) => x.seq === c.offerSeq && x.result === null)) {
      if (now < o.deadline + OFFER_BACKSTOP_MS - 5) continue;
      const a = await this.d.live.agents.get(o.agentId);
      if (!a || a.state !== 'reserved' || a.callId !== c.callId) await this.offers.end(c.callId, o.agentId, 'missed');
    }
    if (c.queue) await this.dispatcher.dispatch(c.queue.id);
  }

  async armDeadline(c: LiveCall): Promise<void> {
    await this.dispatcher.arm(c);
    this.dispatcher.notices.resend(c.callId);
    if (c.queue) void this.dispatcher.dispatch(c.queue.id);
  }

  async ringingDeviceLost(c: LiveCall, userId: string, deviceId: string): Promise<void> {
    const offer = currentOffer(c, userId);
    if (!offer || offer.deviceIds.some((d) => d !== deviceId && c.ringingDeviceIds.includes(d))) return this.armDeadline(c);
    // The agent's last ringing device went away: the offer is missed (RONA rules apply).
    await this.d.agents.apply(userId, (a) =>
      a.state === 'reserved' && a.callId === c.callId
        ? { type: 'call-ended', callId: c.callId, endReason: 'timeout', answered: false, wrapUp: NO_WRAP_UP }
        : null,
    );
    // Not reserved any more (a race): end the offer here.
    await this.offerMissed(c.callId, userId);
  }

  // ───────────────────────────── AgentQueueHooks (agents/agent-service.ts) ─────────────────────────────

  async offerMissed(callId: string, userId: string): Promise<void> {
    const r = await this.offers.end(callId, userId, 'missed');
    if (r?.changed && r.call.queue) void this.dispatcher.dispatch(r.call.queue.id);
  }

  changed(before: AgentRecord, after: AgentRecord): void {
    const moved =
      before.state !== after.state || before.noOffersUntil !== after.noOffersUntil || before.graceUntil !== after.graceUntil;
    if (!moved) return;
    void this.safely(
      this.d.storage.queues.queuesOf(after.userId).then((ids) => Promise.all(ids.map((id) => this.dispatcher.dispatch(id)))),
      'dispatch after an agent change',
    );
  }

  // ───────────────────────────── internals ─────────────────────────────

  /** Answered: the other agents of a ring-all offer are withdrawn; the call left the line. */
  private async onAnswered(view: CallView): Promise<void> {
    if (!view.queue || view.queuedAt == null) return;
    const c = await this.d.live.calls.get(view.callId);
    if (!c || !isQueueCall(c)) return;
    this.dispatcher.forget(c.callId);
    const withdrawn = withdrawnByAnswer(c).map((o) => o.agentId);
    if (withdrawn.length > 0) this.offers.ended(c, withdrawn, 'withdrawn');
    await Promise.all(withdrawn.map((a) => this.offers.release(a, c.callId)));
    await this.d.live.lines.remove(view.queue.id, c.callId);
    this.d.log.info({ callId: c.callId, queue: view.queue.id, agent: c.callee.id, waitedMs: (c.answeredAt ?? 0) - c.queuedAt }, 'queue call answered');
    await this.dispatcher.dispatch(view.queue.id);
  }

  /** Ended (abandoned, max-wait, refused, or after the answer): offers still ringing are withdrawn. */
  private async onEnded(view: CallView): Promise<void> {
    if (!view.queue || view.queuedAt == null) return;
    const c = await this.d.live.calls.get(view.callId);
    this.dispatcher.forget(view.callId);
    if (c && isQueueCall(c) && c.answeredAt === null) {
      const ringing = c.offeredTo ?? [];
      if (ringing.length > 0) this.offers.ended(c, ringing, 'withdrawn');
      await Promise.all(ringing.map((a) => this.offers.release(a, c.callId)));
    }
    await this.d.live.lines.remove(view.queue.id, view.callId);
    await this.dispatcher.dispatch(view.queue.id);
  }

  private async memberAgents(queueId: string): Promise<AgentRecord[]> {
    const members = await this.d.storage.queues.members(queueId);
    const agents = await Promise.all(members.map((m) => this.d.live.agents.get(m.userId)));
    return agents.filter((a): a is AgentRecord => !!a);
  }

  private async anyLoggedIn(queueId: string): Promise<boolean> {
    return (await this.memberAgents(queueId)).some((a) => a.state !== 'offline');
  }

  private emitSafely(queueId: string): void {
    try {
      this.emit('changed', queueId);
    } catch (err) {
      this.d.log.error({ err, queueId }, 'queue change subscriber failed');
    }
  }

  private async safely(p: Promise<unknown>, what: string): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof ProtocolError && (err.code === 'conflict' || err.code === 'gone' || err.code === 'not_found')) return;
      this.d.log.error({ err }, `${what} failed`);
    }
  }
}
