/**
 * What the queue load test's devices saw, as the worker processes report it to the runner
 * (bench/workers/queue-agents.ts, queue-callers.ts) and the analysis reads it
 * (bench/lib/queue-analysis.ts). Times are epoch ms on the machine's one clock.
 */
import type { Epoch } from '../workers/queue-link.js';

export type { Epoch };

/** The agent's state as the server last told its device (`agent:changed`, `agent:get`). */
export interface AgentStateEvt {
  t: number;
  kind: 'state';
  state: string;
  reason: string | null;
  callId: string | null;
  noOffersUntil: number | null;
  graceUntil: number | null;
  /** The server's time of the change (AgentView.since). */
  since: number;
}

export type AgentEvt =
  /** `call:incoming`: an offer rings this agent (seq null: a server without offer seqs). */
  | { t: number; kind: 'incoming'; callId: string; seq: number | null; queue: string | null; offerAt: number | null }
  | { t: number; kind: 'offer-ended'; callId: string; seq: number; result: string }
  /** The ack of the agent's `call:accept` (t = when the ack arrived). */
  | { t: number; kind: 'accepted'; callId: string; ok: boolean; code: string | null }
  /** The ack of the agent's `call:decline` (sentAt: when the decline left the device). */
  | { t: number; kind: 'declined'; callId: string; ok: boolean; code: string | null; sentAt: number }
  | { t: number; kind: 'ended'; callId: string; endReason: string | null }
  | AgentStateEvt
  /**
   * The ack of `session:sync` after a (re)connect: the calls still ringing on this device
   * (offers) and the ones it answered that are still up, as of some moment after `sentAt`.
   */
  | { t: number; kind: 'synced'; ringing: string[]; active: string[]; sentAt: number };

export interface AgentLog {
  userId: string;
  username: string;
  lb: number;
  epochs: Epoch[];
  events: AgentEvt[];
}

/** One call a caller placed, from the invite to what ended it. */
export interface CallerCall {
  callId: string;
  callerId: string;
  lb: number;
  /** `call:invite` left the caller's socket. */
  sentAt: number;
  /** The invite's ack arrived (null: no ack, e.g. its node died before answering). */
  ackAt: number | null;
  ackError: string | null;
  /** The server's enqueue time from the ack's view (`queuedAt`), when it has one. */
  queuedAt: number | null;
  /** `queue:waiting` updates received. */
  waitingUpdates: number;
  answeredAt: number | null;
  /** The callee of the answered call: the agent who took it. */
  answeredBy: string | null;
  endedAt: number | null;
  endReason: string | null;
  outcome: string | null;
  /** The caller meant to give up after this many ms of waiting (null: waits). */
  patienceMs: number | null;
  /** `call:cancel` sent (the caller gave up waiting). */
  cancelledAt: number | null;
  /** `call:hangup` sent (after talking). */
  hangupAt: number | null;
  /**
   * The invite's ack was lost and no node had the call when the caller asked: it was never
   * placed, or it ended at once (the records tell).
   */
  neverPlaced: boolean;
}

export interface CallerLog {
  calls: CallerCall[];
  /** Invites not sent because every caller device was busy. */
  skipped: number;
  /** Error acks by `<request>:<code>` (the invites' are in the calls too). */
  errorCodes: Record<string, number>;
  epochs: { userId: string; lb: number; epochs: Epoch[] }[];
}
