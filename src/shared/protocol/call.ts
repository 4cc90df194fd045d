/** Call model: states, outcomes, live call view and history records. */
import { z } from 'zod';
import { DeviceKind, Id, Timestamp, UserSummary } from './common.js';
import { CallerKind, QueueCallRecord } from './queue.js';

/**
 * Server-side call state machine (see docs/protocol.md for the diagram):
 *
 *   ringing ──► answered ──► ended (outcome completed)
 *      │
 *      └──────────────────► ended (outcome declined | busy | cancelled | missed | failed)
 *
 * A call is created straight into `ringing`, or straight into `ended` when the
 * callee is busy or on do-not-disturb; the transition log writes its creation as
 * `from: "new"`. `ended` is reached once every participant's history is committed.
 */
export const CALL_STATES = ['ringing', 'answered', 'ended'] as const;
export const CallState = z.enum(CALL_STATES);
export type CallState = z.infer<typeof CallState>;

/** How a call finished. `completed` = answered then hung up. */
export const CALL_OUTCOMES = ['completed', 'declined', 'busy', 'cancelled', 'missed', 'failed'] as const;
export const CallOutcome = z.enum(CALL_OUTCOMES);
export type CallOutcome = z.infer<typeof CallOutcome>;

/** Why a call ended, in more detail than the outcome. */
export const END_REASONS = [
  'hangup',
  'declined',
  'busy',
  'dnd',
  'cancelled',
  'timeout',
  'device_lost',
  'server_restart',
  'failed',
  /** A queue call found no agent to offer it to (or, join-empty no, no member was logged in). */
  'no_agents',
  /** A queue call waited the queue's max-wait and nobody took it. */
  'max_wait',
] as const;
export const EndReason = z.enum(END_REASONS);
export type EndReason = z.infer<typeof EndReason>;

export const QueueRef = z.object({ id: Id, name: z.string().max(80) });
export type QueueRef = z.infer<typeof QueueRef>;

export const CallDevice = z.object({ deviceId: Id, kind: DeviceKind, name: z.string().max(80) });
export type CallDevice = z.infer<typeof CallDevice>;

/** What clients see of a live call. */
export const CallView = z.object({
  callId: Id,
  state: CallState,
  caller: UserSummary,
  callee: UserSummary,
  callerDeviceId: Id,
  answeredDeviceId: Id.nullable(),
  createdAt: Timestamp,
  answeredAt: Timestamp.nullable(),
  /** When the ring times out (ms epoch). */
  ringDeadline: Timestamp,
  outcome: CallOutcome.nullable(),
  endReason: EndReason.nullable(),
  /** A call to a queue (docs/agents.md): the callee is the agent it is offered to. */
  queue: QueueRef.nullable().optional(),
  /**
   * Set by the server on an offered queue call (or an internal call) to an agent with
   * auto-answer: the agent's device answers this many ms after it starts ringing.
   */
  autoAnswerMs: z.number().int().min(0).max(3000).nullable().optional(),
  /** `guest`: the caller came from a public web page (`/call/<queue>`), "via web". */
  callerKind: CallerKind.optional(),
  /** A queue call: when it joined the queue (the agent's "waited" is offer.at − queuedAt). */
  queuedAt: Timestamp.nullable().optional(),
  /**
   * The offer that rings this agent (queue calls, on the agent's devices). `seq` grows with
   * every offer of the call: a call offered again to an agent who missed it rings again.
   */
  offer: z.object({ seq: z.number().int().positive(), at: Timestamp, deadline: Timestamp }).nullable().optional(),
});
export type CallView = z.infer<typeof CallView>;

export const Direction = z.enum(['outgoing', 'incoming']);
export type Direction = z.infer<typeof Direction>;

/** One durable history record; exactly one per participant per call. */
export const HistoryRecord = z.object({
  id: z.string(),
  callId: Id,
  direction: Direction,
  peer: UserSummary,
  outcome: CallOutcome,
  endReason: EndReason,
  /** Unanswered incoming call that the user did not decline. */
  missed: z.boolean(),
  startedAt: Timestamp,
  answeredAt: Timestamp.nullable(),
  endedAt: Timestamp,
  durationSec: z.number().int().nonnegative(),
  answeredDeviceId: Id.nullable(),
  seen: z.boolean(),
  queue: QueueRef.nullable().optional(),
  /** Given by the agent in wrap-up (agent's record only). */
  disposition: z.string().max(32).nullable().optional(),
  notes: z.string().max(2000).nullable().optional(),
  /** A queue call: its outcome, wait and talk time, the offers made (docs/support-line.md). */
  queueCall: QueueCallRecord.nullable().optional(),
});
export type HistoryRecord = z.infer<typeof HistoryRecord>;
