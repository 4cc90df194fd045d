/**
 * A support line (docs/support-line.md, docs/protocol.md "Queues"): queues that callers (users
 * or guests from a web page) call, routed by the server to agents, and the supervisor's
 * wallboard.
 *
 * A queue call is one call whose callee changes: while it waits, its callee is the queue; an
 * offer rings one agent (or, with `ring-all`, every ready agent) and the call's callee becomes
 * the agent who answers. A declined or missed offer puts the call back in its place in line.
 *
 *   call:invite {to:{queue}} ──► waiting ──offer──► offered ──accept──► answered ──► ended (answered)
 *                                   ▲                  │ decline / RONA / agent lost
 *                                   └──────────────────┘
 *   waiting/offered ──caller hangs up──► ended (abandoned)
 *   waiting/offered ──max-wait──────────► ended (unanswered, reason max_wait)
 *   call:invite, join-empty no, no member logged in ──► ended at once (refused, reason no_agents)
 */
import { z } from 'zod';
import { Id, Timestamp, UserSummary } from './common.js';
import { Disposition, AgentState, AgentView } from './agent.js';

export const QUEUE_STRATEGIES = ['longest-idle', 'ring-all', 'round-robin', 'fewest-calls', 'top-down'] as const;
/**
 * How the agent for the first caller in line is chosen among the ready members of the lowest
 * tier that has one:
 * - `longest-idle`: whose last queue call ended (or who became ready) longest ago;
 * - `ring-all`: every ready member of the tier at once, the first to answer takes it;
 * - `round-robin`: the member after the one offered the previous call, in member order;
 * - `fewest-calls`: who answered the fewest calls of this queue today;
 * - `top-down`: the first in member order (level, then when they were added).
 */
export const QueueStrategy = z.enum(QUEUE_STRATEGIES);
export type QueueStrategy = z.infer<typeof QueueStrategy>;

/** A queue id doubles as the path of its public page (`/call/<id>`): lower case. */
export const QueueId = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "_" and "-"');

export const QueueConfig = z.object({
  id: QueueId,
  name: z.string().trim().min(1).max(80),
  strategy: QueueStrategy,
  /** How long an offer rings an agent before it counts as missed (RONA). */
  agentRingTimeoutSec: z.number().int().min(1).max(600),
  /** Wrap-up after a call of this queue; 0 = none. */
  wrapUpSec: z.number().int().min(0).max(3600),
  /** A caller waiting this long is told nobody could take the call (`max_wait`); 0 = no limit. */
  maxWaitSec: z.number().int().min(0).max(86_400),
  /** Service level: % of answered calls answered within this many seconds of waiting. */
  serviceLevelSec: z.number().int().min(1).max(3600),
  /** `false`: a call is refused (`no_agents`) while no member is logged in (every member offline). */
  joinEmpty: z.boolean(),
  /** Guests may call it from `/call/<id>` (POST /api/guest); a private queue takes signed-in callers only. */
  public: z.boolean(),
  /**
   * Tiers: members of level n+1 are offered a call once it has waited n × this many seconds,
   * or at once when no member of a lower level is logged in and ready (FreeSWITCH tier rules).
   */
  tierWaitSec: z.number().int().min(0).max(3600),
  dispositions: z.array(Disposition).max(50),
  dispositionRequired: z.boolean(),
  createdAt: Timestamp,
});
export type QueueConfig = z.infer<typeof QueueConfig>;

/** Admin: a new queue (unset fields get the defaults in docs/support-line.md). */
export const QueueCreate = QueueConfig.omit({ createdAt: true })
  .partial()
  .required({ id: true })
  .strict();
export type QueueCreate = z.infer<typeof QueueCreate>;
export const QueueUpdate = QueueConfig.omit({ createdAt: true, id: true }).partial().strict();
export type QueueUpdate = z.infer<typeof QueueUpdate>;

export const MemberLevel = z.number().int().min(1).max(9);
export const QueueMember = z.object({
  queueId: QueueId,
  user: UserSummary,
  /** Tier: 1 is offered first. */
  level: MemberLevel,
  /** Member order within the queue (when they were added): round-robin and top-down follow it. */
  position: z.number().int().nonnegative(),
});
export type QueueMember = z.infer<typeof QueueMember>;

/** Serving order inside a queue: higher priority first, then first-in, first-out. */
export const QueuePriority = z.number().int().min(0).max(9);

/** A call's place in line, sent to the caller's devices (`queue:waiting`) on every change. */
export const QueueWaiting = z.object({
  callId: Id,
  queue: z.object({ id: QueueId, name: z.string().max(80) }),
  /** `offered`: an agent's phone is ringing; `waiting`: in line. */
  stage: z.enum(['waiting', 'offered']),
  /** 1 = next to be served. */
  position: z.number().int().positive(),
  /** Calls waiting in the queue, this one included. */
  waiting: z.number().int().positive(),
  /** From the queue's recent answered calls and the ready agents; null = no estimate yet. */
  estimatedWaitSec: z.number().int().nonnegative().nullable(),
  enqueuedAt: Timestamp,
  /** When `max_wait` ends the call (null: no limit). */
  maxWaitAt: Timestamp.nullable(),
});
export type QueueWaiting = z.infer<typeof QueueWaiting>;

/** A queue as the directory shows it. */
export const DirectoryQueue = z.object({
  id: QueueId,
  name: z.string().max(80),
  /** Agents logged in (not offline) / ready now. */
  agentsLoggedIn: z.number().int().nonnegative(),
  agentsReady: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
});
export type DirectoryQueue = z.infer<typeof DirectoryQueue>;

/** One offer of a queue call, as its records list them. */
export const OFFER_RESULTS = ['answered', 'missed', 'declined', 'withdrawn'] as const;
export const QueueOffer = z.object({
  agent: UserSummary,
  at: Timestamp,
  /** missed = rang out (RONA) or the agent's device went away; withdrawn = another took it, or the caller left. */
  result: z.enum(OFFER_RESULTS),
});
export type QueueOffer = z.infer<typeof QueueOffer>;

export const QUEUE_OUTCOMES = ['answered', 'abandoned', 'unanswered', 'refused'] as const;
export const QueueOutcome = z.enum(QUEUE_OUTCOMES);
export type QueueOutcome = z.infer<typeof QueueOutcome>;

export const CALLER_KINDS = ['user', 'guest'] as const;
export const CallerKind = z.enum(CALLER_KINDS);
export type CallerKind = z.infer<typeof CallerKind>;

/** What a queue call's history records add (both the caller's and the answering agent's). */
export const QueueCallRecord = z.object({
  outcome: QueueOutcome,
  /** From joining the queue to the answer (or to the end, unanswered). */
  waitSec: z.number().int().nonnegative(),
  talkSec: z.number().int().nonnegative(),
  offers: z.array(QueueOffer).max(200),
  callerKind: CallerKind,
});
export type QueueCallRecord = z.infer<typeof QueueCallRecord>;

// ───────────────────────────── guests (HTTP) ─────────────────────────────

/** A guest's name: optional, bounded; the server strips control and markup characters. */
export const GuestName = z.string().max(60);

/** POST /api/guest: a token for one call to one public queue. Rate-limited per IP. */
export const GuestRequest = z.object({ queue: QueueId, name: GuestName.optional() }).strict();
export type GuestRequest = z.infer<typeof GuestRequest>;
export const GuestResponse = z.object({
  /** An access token good for one call to this queue and nothing else (no directory, presence, history). */
  token: z.string(),
  expiresIn: z.number().int().positive(),
  /** The guest as agents see them (username `guest`, display name = the sanitised name or "Web caller"). */
  user: UserSummary,
  deviceId: Id,
  queue: z.object({ id: QueueId, name: z.string().max(80) }),
});
export type GuestResponse = z.infer<typeof GuestResponse>;

/** GET /api/queues/:id/public: what the public page shows before calling. */
export const PublicQueueInfo = z.object({
  id: QueueId,
  name: z.string().max(80),
  /** Someone can take a call now (an agent logged in), or the queue takes calls while empty. */
  open: z.boolean(),
  waiting: z.number().int().nonnegative(),
});
export type PublicQueueInfo = z.infer<typeof PublicQueueInfo>;

// ───────────────────────────── admin (HTTP, admin role) ─────────────────────────────

export const QueueResponse = z.object({ queue: QueueConfig });
export const QueueListResponse = z.object({ queues: z.array(QueueConfig) });
export const MemberUpsert = z.object({ level: MemberLevel.optional() }).strict();
export const MemberListResponse = z.object({ members: z.array(QueueMember) });

// ───────────────────────────── wallboard ─────────────────────────────

export const QueueStats = z.object({
  queue: z.object({ id: QueueId, name: z.string().max(80) }),
  serviceLevelSec: z.number().int().positive(),
  /** Live: calls waiting now, and since when the longest has waited (clients tick it). */
  waiting: z.number().int().nonnegative(),
  oldestWaitingSince: Timestamp.nullable(),
  /** Live: members by agent state. */
  agents: z.record(AgentState, z.number().int().nonnegative()),
  /** From the durable records of calls that ended since `dayStart`. */
  answered: z.number().int().nonnegative(),
  abandoned: z.number().int().nonnegative(),
  unanswered: z.number().int().nonnegative(),
  refused: z.number().int().nonnegative(),
  /**
   * Calls answered within serviceLevelSec, as a % of the calls that ended answered, abandoned or
   * unanswered (refused ones never waited); null when there was none.
   */
  serviceLevelPct: z.number().min(0).max(100).nullable(),
  avgSpeedOfAnswerSec: z.number().nonnegative().nullable(),
  avgHandleTimeSec: z.number().nonnegative().nullable(),
});
export type QueueStats = z.infer<typeof QueueStats>;

export const AgentStats = z.object({
  agent: AgentView,
  queues: z.array(QueueId),
  /** Queue calls this agent answered that ended since `dayStart`. */
  handledToday: z.number().int().nonnegative(),
});
export type AgentStats = z.infer<typeof AgentStats>;

export const Wallboard = z.object({
  at: Timestamp,
  /** Start of "today" (the server's local midnight). */
  dayStart: Timestamp,
  queues: z.array(QueueStats),
  agents: z.array(AgentStats),
});
export type Wallboard = z.infer<typeof Wallboard>;

/** Client → server queue and wallboard events (merged into `clientEvents`). */
export const queueClientEvents = {
  /** Supervisor: the wallboard now; the socket then gets `wallboard:update` (≤ 4 a second, ≤ 1 s late). */
  'wallboard:subscribe': { request: z.object({}).strict(), response: z.object({ wallboard: Wallboard }) },
  'wallboard:unsubscribe': { request: z.object({}).strict(), response: z.object({}) },
  /** Supervisor: log an agent out of the queues (not-ready, system reason `logged-out`), audited. */
  'supervisor:logout': { request: z.object({ userId: Id }).strict(), response: z.object({ agent: AgentView }) },
} as const;

/** Server → client queue events (merged into `serverEvents`). */
export const queueServerEvents = {
  /**
   * An agent's devices: the offer `seq` of the queue call stopped ringing here (missed, declined,
   * taken by another agent, or the caller left) while the call itself goes on. The device drops
   * the call; a later offer of it (a higher `seq`) rings again.
   */
  'call:offer-ended': z.object({ callId: Id, seq: z.number().int().positive(), result: z.enum(OFFER_RESULTS) }),
  /** The caller's devices: their place in line changed (position, estimate, offered). */
  'queue:waiting': QueueWaiting,
  'wallboard:update': z.object({ wallboard: Wallboard }),
} as const;
