/**
 * The queue planner, pure: given one queue's line, its members and their live agent states,
 * which calls to offer to which agents now, and when to look again (a tier threshold).
 * No clock, store or timer here: the queue service (queue-service.ts) reads the inputs,
 * applies each offer atomically (call, then agent) and arms `wakeAt`.
 *
 * Rules (docs/support-line.md "Routing"):
 * - an agent is offered at most one call, and only when offerable (ready, outside any
 *   reject / no-answer delay, not in grace, not the caller);
 * - calls are served in line order (priority, then first in); as many calls are offered at
 *   once as there are agents to take them (autofill); a call already offered is skipped;
 * - tiers: a member of level L is eligible for a call once it has waited
 *   (L - lowest level) × tierWaitSec, or at once when no member of a lower level is logged
 *   in and ready;
 * - strategies pick among the eligible agents of the lowest tier that has one (see
 *   QueueStrategy in shared/protocol/queue.ts); `ring-all` offers one call to all of them;
 * - an agent who declined or missed this call is passed over while another agent is
 *   eligible.
 */
import type { QueueConfig } from '../../shared/protocol/index.js';
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
  /** When a waiting call reaches the next tier (null: nothing to wait for). */
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

/**
 * Placeholder until the planner lands: longest-idle over every member, no tiers.
 * (The full planner replaces this body; the signature is the contract.)
 */
export function plan(input: PlanInput): Plan {
  const free = input.members
    .map((m) => input.agents.get(m.userId))
    .filter((a): a is AgentRecord => !!a && offerable(a, input.now))
    .sort((x, y) => x.idleSince - y.idleSince || x.userId.localeCompare(y.userId));
  const offers: PlannedOffer[] = [];
  for (const call of [...input.calls].sort(lineOrder)) {
    if (call.offered) continue;
    const i = free.findIndex((a) => a.userId !== call.callerUserId);
    if (i < 0) break;
    offers.push({ callId: call.callId, agentIds: [free[i]!.userId] });
    free.splice(i, 1);
  }
  return { offers, wakeAt: null };
}
