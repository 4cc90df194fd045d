/**
 * The queue planner, pure: given one queue's line, its members and their live agent states,
 * which calls to offer to which agents now, and when to look again. No clock, store or timer
 * here: the queue service (queue-service.ts) reads the inputs, applies each offer atomically
 * (call, then agent) and arms `wakeAt`. Same input, same plan (every tie is broken by user id).
 *
 * Rules (docs/support-line.md "Routing"):
 * - an agent is offered at most one call, and only when offerable (ready, outside any
 *   reject / no-answer delay, not in grace, not the caller);
 * - calls are served in line order (priority, then first in); each call in turn takes the
 *   agent(s) its rules pick among those not yet given one in this plan, so as many calls are
 *   offered at once as there are agents to take them (autofill); a call already offered is
 *   skipped; a call nobody can take now does not hold back the calls behind it;
 * - tiers: a member of level L is eligible for a call once it has waited
 *   (L - lowest member level of the queue) × tierWaitSec, or at once when no member of a
 *   lower level is logged in and ready. As in FreeSWITCH (tier-rule-no-agent-no-wait), a
 *   lower-level member "logged in and ready" is one taking queue calls: state ready (even
 *   inside a reject / no-answer delay), reserved, on-call or wrap-up, not in grace. So a
 *   lower-level agent busy on another call holds the higher tier back for the tier wait (it is
 *   overflow), while one who is not-ready, offline or whose devices are gone does not. For a
 *   given call, its own caller and the agents who declined or missed it never hold a tier
 *   back: a declined / missed call goes on to the next tier at once;
 * - strategies pick among the eligible agents of the lowest level that has one (see
 *   QueueStrategy in shared/protocol/queue.ts); `ring-all` offers the call to all of them,
 *   the next call in line takes what is left (often nobody: it waits);
 * - an agent who declined or missed this call (`tried`) is passed over while another eligible
 *   agent exists; when only tried agents are eligible, they are offered it again (their
 *   reject / no-answer delay and RONA's maxNoAnswer pace that), so a one-agent queue still
 *   works. Line order comes first: a tried agent is offered the first call again rather than
 *   a later call that they have not seen;
 * - `wakeAt`: the earliest future instant a call left waiting could be offered without any
 *   other event: an agent's no-offer delay ends and/or the call reaches that agent's tier.
 *   Other changes (an agent's state, a call joining or leaving) are events the service
 *   dispatches on; it must dispatch on ANY state change of a member's agent, since a
 *   lower-level agent going not-ready or offline can open a tier at once.
 */
import type { AgentState, QueueConfig } from '../../shared/protocol/index.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { QueueMemberRow } from '../store/queue-types.js';

export interface PlanCall {
  callId: string;
  /** When the call joined the queue (ms). */
  queuedAt: number;
  priority: number;
  /** The caller, if a user: never offered their own call. */
  callerUserId: string | null;
  /** Being offered now: skipped. */
  offered: boolean;
  /** Agents whose offer of this call was declined or missed. */
  tried: readonly string[];
}

export interface PlanInput {
  queue: QueueConfig;
  /** Ordered by level, then position. */
  members: readonly QueueMemberRow[];
  /** Live agent states by user id (members without one are offline). */
  agents: ReadonlyMap<string, AgentRecord>;
  /** The line, in any order: the planner sorts it. */
  calls: readonly PlanCall[];
  /** fewest-calls: queue calls each member answered today. */
  handledToday: Readonly<Record<string, number>>;
  /** round-robin: the member offered this queue's previous call. */
  lastOfferedTo: string | null;
  now: number;
}

export interface PlannedOffer {
  callId: string;
  /** One agent, or several for ring-all. */
  agentIds: string[];
}

export interface Plan {
  offers: PlannedOffer[];
  /**
   * When a call left waiting could next be offered without another event: it reaches a tier
   * with a ready agent, or a ready agent's no-offer delay ends (null: nothing to wait for).
   */
  wakeAt: number | null;
}

/** Offerable now: ready, outside a reject / no-answer delay, not in grace. */
export function offerable(a: AgentRecord, now: number): boolean {
  return a.state === 'ready' && a.graceUntil === null && (a.noOffersUntil === null || a.noOffersUntil <= now);
}

/** Serving order: higher priority first, then first in, then call id. */
export function lineOrder(a: PlanCall, b: PlanCall): number {
  return b.priority - a.priority || a.queuedAt - b.queuedAt || (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0);
}

const TAKING_CALLS: ReadonlySet<AgentState> = new Set<AgentState>(['ready', 'reserved', 'on-call', 'wrap-up']);

/**
 * Logged in and taking calls (ready, even inside a delay; reserved; on-call; wrap-up; not in
 * grace): holds the higher tiers back, and counts as staff in the wait estimate.
 */
export function takingCalls(a: AgentRecord): boolean {
  return TAKING_CALLS.has(a.state) && a.graceUntil === null;
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Member order: level, then position (round-robin and top-down follow it). */
function memberOrder(a: QueueMemberRow, b: QueueMemberRow): number {
  return a.level - b.level || a.position - b.position || byId(a.userId, b.userId);
}

interface Seat {
  userId: string;
  level: number;
  /** Index in member order. */
  index: number;
  agent: AgentRecord | undefined;
}

/** Which calls to offer to which agents now, and when to look again (see the header). */
export function plan(input: PlanInput): Plan {
  const { now } = input;
  const seats: Seat[] = [...input.members]
    .sort(memberOrder)
    .map((m, index) => ({ userId: m.userId, level: m.level, index, agent: input.agents.get(m.userId) }));
  const base = seats.length > 0 ? seats[0]!.level : 0;
  const tierMs = input.queue.tierWaitSec * 1000;

  // For each call, the lowest level of a member who holds the tiers above it back (see the
  // header); one pass over the members per call keeps a plan O(calls × members).
  const holders = seats.filter((s) => s.agent !== undefined && takingCalls(s.agent));
  const holdCache = new Map<PlanCall, number>();
  const holdLevel = (call: PlanCall): number => {
    let level = holdCache.get(call);
    if (level === undefined) {
      const h = holders.find((s) => s.userId !== call.callerUserId && !call.tried.includes(s.userId));
      holdCache.set(call, (level = h ? h.level : Infinity)); // holders are in member order
    }
    return level;
  };
  /** When members of `level` become eligible for `call` (-Infinity: at once). */
  const opensAt = (call: PlanCall, level: number): number =>
    level > holdLevel(call) ? call.queuedAt + (level - base) * tierMs : -Infinity;

  const free = seats.filter((s) => s.agent !== undefined && offerable(s.agent, now));
  const taken = new Set<string>();
  let last = input.lastOfferedTo;
  const offers: PlannedOffer[] = [];
  const left: PlanCall[] = [];

  for (const call of [...input.calls].sort(lineOrder)) {
    if (call.offered) continue;
    if (taken.size === free.length) {
      left.push(call);
      continue;
    }
    const candidates = free.filter((s) => !taken.has(s.userId) && s.userId !== call.callerUserId && opensAt(call, s.level) <= now);
    const fresh = candidates.filter((s) => !call.tried.includes(s.userId));
    const eligible = fresh.length > 0 ? fresh : candidates;
    if (eligible.length === 0) {
      left.push(call);
      continue;
    }
    const tier = eligible[0]!.level; // seats are in member order: the first has the lowest level
    const agentIds = choose(
      input,
      eligible.filter((s) => s.level === tier),
      last,
      seats,
    );
    for (const id of agentIds) taken.add(id);
    last = agentIds[agentIds.length - 1]!;
    offers.push({ callId: call.callId, agentIds });
  }

  // Who could be offered a call later without another event: ready, free after this plan.
  const later = seats.filter((s) => s.agent?.state === 'ready' && s.agent.graceUntil === null && !taken.has(s.userId));
  let wakeAt: number | null = null;
  for (const call of later.length > 0 ? left : []) {
    for (const s of later) {
      const a = s.agent!;
      if (s.userId === call.callerUserId) continue;
      const at = Math.max(a.noOffersUntil ?? now, opensAt(call, s.level));
      if (at > now && (wakeAt === null || at < wakeAt)) wakeAt = at;
    }
  }
  return { offers, wakeAt };
}

/** The strategy: who among `pool` (eligible, one level, in member order, never empty) gets the call. */
function choose(input: PlanInput, pool: Seat[], last: string | null, seats: Seat[]): string[] {
  const idle = (s: Seat): number => s.agent!.idleSince;
  switch (input.queue.strategy) {
    case 'ring-all':
      return pool.map((s) => s.userId);
    case 'top-down':
      return [pool[0]!.userId];
    case 'round-robin': {
      const after = last === null ? -1 : seats.findIndex((s) => s.userId === last);
      return [(pool.find((s) => s.index > after) ?? pool[0]!).userId];
    }
    case 'fewest-calls': {
      const n = (s: Seat): number => input.handledToday[s.userId] ?? 0;
      return [[...pool].sort((x, y) => n(x) - n(y) || idle(x) - idle(y) || byId(x.userId, y.userId))[0]!.userId];
    }
    case 'longest-idle':
      return [[...pool].sort((x, y) => idle(x) - idle(y) || byId(x.userId, y.userId))[0]!.userId];
  }
}
