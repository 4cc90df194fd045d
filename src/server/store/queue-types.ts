/**
 * Durable storage of queues (docs/support-line.md): their configuration, their members with
 * levels, and the wallboard's figures read with SQL from the durable call records. SQLite:
 * sqlite-queues.ts; PostgreSQL: postgres-queues.ts.
 */
import type { QueueConfig, QueueCreate, QueueUpdate } from '../../shared/protocol/index.js';

export type QueueRow = QueueConfig;

/** Defaults of a new queue (`queue add` and POST /api/admin/queues). */
export const QUEUE_DEFAULTS: Omit<QueueConfig, 'id' | 'name' | 'createdAt'> = {
  strategy: 'longest-idle',
  agentRingTimeoutSec: 15,
  wrapUpSec: 0,
  maxWaitSec: 600,
  serviceLevelSec: 20,
  joinEmpty: true,
  public: false,
  tierWaitSec: 30,
  dispositions: [],
  dispositionRequired: false,
};

export interface QueueMemberRow {
  queueId: string;
  userId: string;
  level: number;
  /** Order of joining (ascending): round-robin and top-down follow it within a level. */
  position: number;
}

/** One queue's day, counted from the callers' durable records of calls that ended in the period. */
export interface QueueDayCounts {
  answered: number;
  abandoned: number;
  unanswered: number;
  refused: number;
  /** Answered within the queue's service level (wait ≤ serviceLevelSec). */
  answeredWithinServiceLevel: number;
  /** Sum over answered calls of their wait (answer − enqueue) and talk (end − answer), in ms. */
  totalWaitMs: number;
  totalTalkMs: number;
}

export interface QueueStore {
  /** `conflict` when the id exists. Unset fields take QUEUE_DEFAULTS. */
  add(q: QueueCreate): Promise<QueueRow>;
  get(id: string): Promise<QueueRow | undefined>;
  list(): Promise<QueueRow[]>;
  /** undefined when there is no such queue. */
  update(id: string, patch: QueueUpdate): Promise<QueueRow | undefined>;
  /** Removes the queue and its memberships (its calls' records stay). */
  remove(id: string): Promise<boolean>;
  /** Adds the member, or changes the level of one (keeping their position). */
  setMember(queueId: string, userId: string, level?: number): Promise<QueueMemberRow>;
  removeMember(queueId: string, userId: string): Promise<boolean>;
  /** Ordered by level, then position. */
  members(queueId: string): Promise<QueueMemberRow[]>;
  /** Every membership of every queue in one read (the router and the wallboard). */
  allMembers(): Promise<QueueMemberRow[]>;
  /** Queue ids the user is a member of. */
  queuesOf(userId: string): Promise<string[]>;
  /** Counts of the queue's calls that ended at or after `since` (callers' records). */
  dayCounts(queueId: string, since: number, serviceLevelSec: number): Promise<QueueDayCounts>;
  /** Queue calls each agent answered that ended at or after `since`: userId → count. */
  handledSince(since: number): Promise<Record<string, number>>;
}
