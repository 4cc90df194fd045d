/**
 * What callers in line are told (`queue:waiting`, docs/protocol.md "Queues"): their place,
 * how many wait, whether an agent's phone rings for them, an estimated wait (estimate.ts), and when
 * max-wait ends the call. Sent to all of the caller's devices whenever one of those
 * changes (after every dispatch of the queue, queue-dispatch.ts).
 */
import type { QueueConfig, QueueWaiting } from '../../shared/protocol/index.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { Notifier } from '../calls/notifier.js';
import type { LiveCall } from '../live/types.js';
import type { QueueMemberRow } from '../store/queue-types.js';
import { estimateWaitSec, staff } from './estimate.js';

/** What the estimate knows about the queue now (estimate.ts). */
export interface EstimateBasis {
  /** The queue's recent answered calls and their total talk time (ms). */
  answered: number;
  totalTalkMs: number;
  members: readonly QueueMemberRow[];
  agents: ReadonlyMap<string, AgentRecord>;
  now: number;
}

/** The notice of the caller at index `i` of the line (in serving order). */
export function waitingNotice(queue: QueueConfig, line: readonly LiveCall[], i: number, basis: EstimateBasis): QueueWaiting {
  const c = line[i]!;
  const offered = (c.offeredTo?.length ?? 0) > 0;
  const { free, working } = staff(basis.members, basis.agents, basis.now, c.callerKind === 'guest' ? null : c.caller.id);
  const waitingAhead = line.slice(0, i).filter((x) => (x.offeredTo?.length ?? 0) === 0).length;
  return {
    callId: c.callId,
    queue: { id: queue.id, name: queue.name },
    stage: offered ? 'offered' : 'waiting',
    position: i + 1,
    waiting: line.length,
    estimatedWaitSec: estimateWaitSec({
      waitingAhead,
      offered,
      answered: basis.answered,
      totalTalkMs: basis.totalTalkMs,
      wrapUpSec: queue.wrapUpSec,
      agentsFree: free,
      agentsWorking: working,
    }),
    enqueuedAt: c.queuedAt ?? c.createdAt,
    maxWaitAt: c.maxWaitAt ?? null,
  };
}

export class WaitingNotices {
  /** What each caller was last told by this node (callId → notice as JSON). */
  private readonly sent = new Map<string, string>();

  constructor(private readonly notifier: Notifier) {}

  /** Tells every caller in `line` (in serving order) whose notice changed. */
  publish(queue: QueueConfig, line: readonly LiveCall[], basis: EstimateBasis): void {
    line.forEach((c, i) => {
      const notice = waitingNotice(queue, line, i, basis);
      const key = JSON.stringify(notice);
      if (this.sent.get(c.callId) === key) return;
      this.sent.set(c.callId, key);
      this.notifier.toUser(c.caller.id, 'queue:waiting', notice);
    });
  }

  /** Sends the caller's notice again (their device came back). */
  resend(callId: string): void {
    this.sent.delete(callId);
  }

  forget(callId: string): void {
    this.sent.delete(callId);
  }
}
