/**
 * What callers in line are told (`queue:waiting`, docs/protocol.md "Queues"): their place,
 * how many wait, whether an agent's phone rings for them, an estimated wait, and when
 * max-wait ends the call. Sent to all of the caller's devices whenever one of those
 * changes (after every dispatch of the queue, queue-dispatch.ts).
 */
import type { QueueConfig, QueueWaiting } from '../../shared/protocol/index.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { Notifier } from '../calls/notifier.js';
import type { LiveCall } from '../live/types.js';

/** A typical queue call's handling time when nothing better is known (for the estimate). */
export const TYPICAL_HANDLE_SEC = 120;

/**
 * A simple estimate: the callers ahead are shared by the agents logged in, each taking a
 * typical call's time; 0 when an agent is ready for this caller; null with nobody logged in.
 */
export function estimateWaitSec(position: number, agentsLoggedIn: number, agentsReady: number): number | null {
  if (agentsLoggedIn === 0) return null;
  if (agentsReady >= position) return 0;
  return Math.ceil((position - agentsReady) / agentsLoggedIn) * TYPICAL_HANDLE_SEC;
}

export function waitingNotice(queue: QueueConfig, line: readonly LiveCall[], i: number, loggedIn: number, ready: number): QueueWaiting {
  const c = line[i]!;
  return {
    callId: c.callId,
    queue: { id: queue.id, name: queue.name },
    stage: (c.offeredTo?.length ?? 0) > 0 ? 'offered' : 'waiting',
    position: i + 1,
    waiting: line.length,
    estimatedWaitSec: estimateWaitSec(i + 1, loggedIn, ready),
    enqueuedAt: c.queuedAt ?? c.createdAt,
    maxWaitAt: c.maxWaitAt ?? null,
  };
}

export class WaitingNotices {
  /** What each caller was last told by this node (callId → notice as JSON). */
  private readonly sent = new Map<string, string>();

  constructor(private readonly notifier: Notifier) {}

  /** Tells every caller in `line` (in serving order) whose notice changed. */
  publish(queue: QueueConfig, line: readonly LiveCall[], agents: ReadonlyMap<string, AgentRecord>): void {
    let loggedIn = 0;
    let ready = 0;
    for (const a of agents.values()) {
      if (a.state !== 'offline') loggedIn++;
      if (a.state === 'ready') ready++;
    }
    line.forEach((c, i) => {
      const notice = waitingNotice(queue, line, i, loggedIn, ready);
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
