/**
 * Dispatch of one queue: read its line, its members and their live agent states, ask the
 * planner (planner.ts) who gets which call, apply the offers (queue-offers.ts), then arm
 * each waiting call's one deadline and tell the callers their place (`queue:waiting`).
 *
 * Any node can dispatch any queue (the compare-and-sets make racing dispatches safe). It
 * runs when a call joins or leaves, an offer ends, an agent's state is committed, and when a
 * call's deadline fires. Runs of one queue on one node are coalesced: a request during a
 * run makes one more run after it.
 */
import type { QueueConfig } from '../../shared/protocol/index.js';
import { HANDLE_WINDOW_MS } from './estimate.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import { inQueue, type LiveCall } from '../live/types.js';
import { lineOrder, plan, type PlanCall } from './planner.js';
import { isWaiting } from './queue-call.js';
import type { OfferDeps, Offers } from './queue-offers.js';
import { WaitingNotices } from './queue-waiting.js';
import { dayStartOf } from './wallboard-figures.js';

/** A call still offered this long after its offer deadline has lost its agent's timer (a node died). */
export const OFFER_BACKSTOP_MS = 3_000;
/** Runs in a row for one queue before the rest waits for the next trigger (agents taken by other queues). */
const MAX_RERUNS = 10;
const RERUN_PAUSE_MS = 50;
/** The recent answered calls behind the wait estimate are read again after this. */
const RECENT_TTL_MS = 10_000;
/** An armed deadline is written again at most this often when unchanged (another node may have moved it). */
const REARM_AFTER_MS = 5_000;

export interface DispatchDeps extends OfferDeps {
  offers: Offers;
  /** How long a lost device may take to come back (CallService.lostGrace). */
  lostGrace: (c: LiveCall) => number;
  /** After every run: the queue's live state may have changed. */
  changed: (queueId: string) => void;
}

export function toPlanCall(c: LiveCall): PlanCall {
  return {
    callId: c.callId,
    queuedAt: c.queuedAt ?? c.createdAt,
    priority: c.priority ?? 0,
    callerUserId: c.callerKind === 'guest' ? null : c.caller.id,
    offered: (c.offeredTo?.length ?? 0) > 0,
    tried: (c.offers ?? []).filter((o) => o.result === 'declined' || o.result === 'missed').map((o) => o.agentId),
  };
}

export function sortLine(calls: LiveCall[]): LiveCall[] {
  return [...calls].sort((a, b) => lineOrder(toPlanCall(a), toPlanCall(b)));
}

export class Dispatcher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly armed = new Map<string, { at: number | null; setAt: number }>();
  private readonly recent = new Map<string, { answered: number; totalTalkMs: number; at: number }>();
  readonly notices: WaitingNotices;

  constructor(private readonly d: DispatchDeps) {
    this.notices = new WaitingNotices(d.notifier);
  }

  /** Runs the queue's dispatch (coalesced); resolves when the run it joined is over. */
  dispatch(queueId: string): Promise<void> {
    const current = this.running.get(queueId);
    if (current) {
      this.again.add(queueId);
      return current;
    }
    const run = (async () => {
      try {
        for (let i = 0; i < MAX_RERUNS; i++) {
          this.again.delete(queueId);
          const contended = await this.runOnce(queueId).catch((err: unknown) => {
            this.d.log.error({ err, queue: queueId }, 'queue dispatch failed');
            return false;
          });
          if (!contended && !this.again.has(queueId)) return;
        }
        // Still asked for after the runs in a row: once more, a moment later.
        setTimeout(() => void this.dispatch(queueId), RERUN_PAUSE_MS).unref();
      } finally {
        // In the same step as the last check: a request from now on starts a new run.
        this.running.delete(queueId);
        this.again.delete(queueId);
      }
    })();
    this.running.set(queueId, run);
    return run;
  }

  /** Forgets what this node armed for a call (its deadline fired, or it ended). */
  forget(callId: string): void {
    this.armed.delete(callId);
    this.notices.forget(callId);
  }

  /** The call's own deadline: max-wait, a lost device's grace, its offer's backstop. */
  ownDeadline(c: LiveCall): number | null {
    const times: number[] = [];
    if (c.maxWaitAt != null) times.push(c.maxWaitAt);
    for (const since of Object.values(c.lostDevices)) times.push(since + this.d.lostGrace(c));
    const ringing = (c.offers ?? []).filter((o) => o.seq === c.offerSeq && o.result === null);
    if (ringing.length > 0) {
      // Past it while an agent is still reserved: their own timer is late; look again a little later.
      const backstop = Math.max(...ringing.map((o) => o.deadline)) + OFFER_BACKSTOP_MS;
      times.push(backstop > this.d.now() ? backstop : this.d.now() + OFFER_BACKSTOP_MS);
    }
    return times.length > 0 ? Math.min(...times) : null;
  }

  /** Arms the call's one deadline at its own time, or earlier at `wake` (a tier threshold, an agent's delay end). */
  async arm(c: LiveCall, wake: number | null = null): Promise<void> {
    const own = this.ownDeadline(c);
    const at = own === null ? wake : wake === null ? own : Math.min(own, wake);
    const now = this.d.now();
    const last = this.armed.get(c.callId);
    if (last && last.at === at && now - last.setAt < REARM_AFTER_MS) return;
    this.armed.set(c.callId, { at, setAt: now });
    if (at === null) await this.d.live.calls.clearDeadline(c.callId);
    else await this.d.live.calls.setDeadline(c.callId, at);
  }

  /** One run; true when an agent was taken by someone else meanwhile (run again). */
  private async runOnce(queueId: string): Promise<boolean> {
    const queue = await this.d.storage.queues.get(queueId);
    let line = (await this.d.live.lines.calls(queueId)).filter(inQueue);
    if (!queue) {
      // The queue was removed: nobody can take its calls.
      await Promise.all(line.map((c) => this.d.calls.finish(c.callId, 'missed', 'no_agents', ['ringing']).catch(() => undefined)));
      line = [];
    }
    if (!queue || line.length === 0) {
      this.d.changed(queueId);
      return false;
    }
    const now = this.d.now();
    const members = await this.d.storage.queues.members(queueId);
    const records = await Promise.all(members.map((m) => this.d.live.agents.get(m.userId)));
    const agents = new Map<string, AgentRecord>();
    for (const a of records) if (a) agents.set(a.userId, a);
    const p = plan({
      queue,
      members,
      agents,
      calls: line.map(toPlanCall),
      handledToday: queue.strategy === 'fewest-calls' ? await this.d.storage.queues.handledSince(dayStartOf(now)) : {},
      lastOfferedTo: queue.strategy === 'round-robin' ? await this.d.live.lines.lastOffered(queueId) : null,
      now,
    });
    let contended = false;
    if (p.offers.length > 0) {
      const byId = new Map(line.map((c) => [c.callId, c]));
      const results = await Promise.all(
        p.offers.map((o) => {
          const call = byId.get(o.callId);
          const candidates = o.agentIds.map((id) => agents.get(id)).filter((a): a is AgentRecord => !!a);
          return call ? this.d.offers.offer(queue, call, candidates) : Promise.resolve({ ringing: [], contended: false });
        }),
      );
      contended = results.some((r) => r.contended);
      line = (await this.d.live.lines.calls(queueId)).filter(inQueue);
    }
    await this.armLine(line, p.wakeAt, agents, now);
    const recent = await this.recentCalls(queue);
    this.notices.publish(queue, sortLine(line), { ...recent, members, agents, now });
    this.d.changed(queueId);
    return contended;
  }

  /**
   * Every call keeps its own deadline; the first waiting call also wakes the queue at the next
   * tier threshold or when an agent's reject / no-answer delay ends (one call, not all of them).
   */
  private async armLine(line: LiveCall[], wakeAt: number | null, agents: ReadonlyMap<string, AgentRecord>, now: number): Promise<void> {
    const delays = [...agents.values()]
      .filter((a) => a.state === 'ready' && a.noOffersUntil !== null && a.noOffersUntil > now)
      .map((a) => a.noOffersUntil!);
    const wakes = [...delays, ...(wakeAt !== null && wakeAt > now ? [wakeAt] : [])];
    const wake = wakes.length > 0 ? Math.min(...wakes) : null;
    const head = sortLine(line).find(isWaiting);
    await Promise.all(line.map((c) => this.arm(c, c === head ? wake : null)));
  }

  /** The queue's answered calls of the last HANDLE_WINDOW_MS (for the wait estimate), read at most every RECENT_TTL_MS. */
  private async recentCalls(queue: QueueConfig): Promise<{ answered: number; totalTalkMs: number }> {
    const now = this.d.now();
    const cached = this.recent.get(queue.id);
    if (cached && now - cached.at < RECENT_TTL_MS) return cached;
    const counts = await this.d.storage.queues.dayCounts(queue.id, now - HANDLE_WINDOW_MS, queue.serviceLevelSec);
    const fresh = { answered: counts.answered, totalTalkMs: counts.totalTalkMs, at: now };
    this.recent.set(queue.id, fresh);
    return fresh;
  }
}
