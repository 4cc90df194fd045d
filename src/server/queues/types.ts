/**
 * What the queue engine (queue-service.ts) shows the rest of the server: the calls waiting in
 * each queue, and an event on every change of a queue's live state (the wallboard listens).
 */
import type { CallerKind, UserSummary } from '../../shared/protocol/index.js';

export interface WaitingCall {
  callId: string;
  queueId: string;
  enqueuedAt: number;
  priority: number;
  caller: UserSummary;
  callerKind: CallerKind;
  /** Agents whose phones ring for it now (empty: waiting in line). */
  offeredTo: string[];
}

export interface QueueLiveEvents {
  /** A call joined, left, was offered or put back in line; or a member's agent state changed. */
  changed: [queueId: string];
}

export interface QueueLiveView {
  /** The calls waiting in the queue, first to be served first (read from the shared live state). */
  waiting(queueId: string): Promise<WaitingCall[]>;
  on<E extends keyof QueueLiveEvents>(event: E, listener: (...args: QueueLiveEvents[E]) => void): unknown;
}
