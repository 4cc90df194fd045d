/**
 * A waiting caller's estimated wait (QueueWaiting.estimatedWaitSec), pure: from the queue's
 * recent answered calls and its agents. No clock or store here: the queue service reads the
 * figures (e.g. storage.queues.dayCounts over the last HANDLE_WINDOW_MS, cached a little) and
 * calls `estimateWaitSec` for each caller on every change of the line.
 *
 * The formula:
 *   n     = waitingAhead + 1                 this caller's rank among calls that need an agent
 *                                            (calls ahead that are being offered already have one)
 *   if the call is being offered, or n ≤ free: 0          (an agent's phone rings, or will now)
 *   if answered = 0 or working = 0:            null       (nothing to estimate from yet)
 *   aht   = totalTalkMs / answered + wrapUpSec × 1000      average handle time (talk + wrap-up)
 *   wait  = ceil((n − free) × aht / working / 1000) s
 * where `free` = members who can be offered a call now and `working` = members taking calls
 * (ready, reserved, on-call, wrap-up; not in grace). The n − free callers left over each need
 * an agent to finish a call; `working` agents finish one every aht / working on average. This
 * leans long (a busy agent is on average part-way through their call), which is the better
 * side to err on for a caller.
 */
import type { AgentRecord } from '../agents/agent-machine.js';
import type { QueueMemberRow } from '../store/queue-types.js';
import { offerable, takingCalls } from './planner.js';

/** How far back the answered calls the estimate averages should go (a suggestion for the service). */
export const HANDLE_WINDOW_MS = 60 * 60_000;

export interface WaitEstimateInput {
  /** Calls ahead of this one in line that are waiting for an agent (not being offered now). */
  waitingAhead: number;
  /** This call is being offered now (an agent's phone rings). */
  offered: boolean;
  /** The queue's recent answered calls: how many, and their total talk time (ms). */
  answered: number;
  totalTalkMs: number;
  /** The queue's wrap-up (s): an agent is busy for it after each call. */
  wrapUpSec: number;
  /** Members who can be offered a call now, and members taking calls (see `staff`). */
  agentsFree: number;
  agentsWorking: number;
}

/** Seconds this caller can expect to wait from now; null = no estimate yet. */
export function estimateWaitSec(i: WaitEstimateInput): number | null {
  const n = Math.max(0, Math.floor(i.waitingAhead)) + 1;
  const free = Math.max(0, Math.floor(i.agentsFree));
  if (i.offered || n <= free) return 0;
  const working = Math.max(free, Math.floor(i.agentsWorking));
  if (!(i.answered > 0) || !(working > 0) || !Number.isFinite(i.totalTalkMs)) return null;
  const aht = Math.max(0, i.totalTalkMs) / i.answered + Math.max(0, i.wrapUpSec) * 1000;
  return Math.ceil(((n - free) * aht) / working / 1000);
}

export interface Staff {
  /** Offerable now (planner.offerable), not the caller. */
  free: number;
  /** Taking calls (planner.takingCalls), not the caller. */
  working: number;
}

/** Counts a queue's members for the estimate; members without a live state are offline. */
export function staff(
  members: readonly QueueMemberRow[],
  agents: ReadonlyMap<string, AgentRecord>,
  now: number,
  callerUserId: string | null = null,
): Staff {
  let free = 0;
  let working = 0;
  for (const m of members) {
    const a = agents.get(m.userId);
    if (!a || m.userId === callerUserId) continue;
    if (offerable(a, now)) free++;
    if (takingCalls(a)) working++;
  }
  return { free, working };
}
