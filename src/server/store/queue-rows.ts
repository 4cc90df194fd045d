/**
 * Row mapping and SQL shared by both stores' queue tables (sqlite-queues.ts,
 * postgres-queues.ts) and the queue columns of history records.
 */
import type { Disposition, QueueCallRecord, QueueCreate, QueueStrategy, QueueUpdate } from '../../shared/protocol/index.js';
import { QUEUE_DEFAULTS, type QueueDayCounts, type QueueMemberRow, type QueueRow } from './queue-types.js';
import type { Row } from './rows.js';

const flag = (v: unknown): boolean => v === true || v === 1;

export function queueFromRow(r: Row): QueueRow {
  return {
    id: r.id as string,
    name: r.name as string,
    strategy: r.strategy as QueueStrategy,
    agentRingTimeoutSec: Number(r.agent_ring_timeout_sec),
    wrapUpSec: Number(r.wrap_up_sec),
    maxWaitSec: Number(r.max_wait_sec),
    serviceLevelSec: Number(r.service_level_sec),
    joinEmpty: flag(r.join_empty),
    public: flag(r.public),
    tierWaitSec: Number(r.tier_wait_sec),
    dispositions: (typeof r.dispositions === 'string' ? JSON.parse(r.dispositions) : r.dispositions) as Disposition[],
    dispositionRequired: flag(r.disposition_required),
    createdAt: Number(r.created_at),
  };
}

export function memberFromRow(r: Row): QueueMemberRow {
  return { queueId: r.queue_id as string, userId: r.user_id as string, level: Number(r.level), position: Number(r.position) };
}

/** Column ← field of a queue's settings, in one order for INSERT and UPDATE. */
const SETTINGS = [
  ['name', 'name'],
  ['strategy', 'strategy'],
  ['agent_ring_timeout_sec', 'agentRingTimeoutSec'],
  ['wrap_up_sec', 'wrapUpSec'],
  ['max_wait_sec', 'maxWaitSec'],
  ['service_level_sec', 'serviceLevelSec'],
  ['join_empty', 'joinEmpty'],
  ['public', 'public'],
  ['tier_wait_sec', 'tierWaitSec'],
  ['dispositions', 'dispositions'],
  ['disposition_required', 'dispositionRequired'],
] as const;

type Bool = (b: boolean) => unknown;
const value = (v: unknown, bool: Bool) => (typeof v === 'boolean' ? bool(v) : Array.isArray(v) ? JSON.stringify(v) : v);

/** INSERT of a new queue: columns and values (defaults filled in). `p(i)` renders placeholder i (1-based). */
export function queueInsert(q: QueueCreate, now: number, bool: Bool, p: (i: number) => string): { sql: string; params: unknown[] } {
  const full = { ...QUEUE_DEFAULTS, name: q.id, ...q };
  const cols = ['id', ...SETTINGS.map(([c]) => c), 'created_at'];
  const params = [q.id, ...SETTINGS.map(([, f]) => value(full[f], bool)), now];
  return { sql: `INSERT INTO queues (${cols.join(', ')}) VALUES (${cols.map((_, i) => p(i + 1)).join(', ')})`, params };
}

/** UPDATE of the fields a patch sets (null when it sets none). The queue id is the last parameter. */
export function queueUpdate(id: string, patch: QueueUpdate, bool: Bool, p: (i: number) => string): { sql: string; params: unknown[] } | null {
  const set = SETTINGS.filter(([, f]) => patch[f] !== undefined);
  if (set.length === 0) return null;
  const params = [...set.map(([, f]) => value(patch[f], bool)), id];
  return { sql: `UPDATE queues SET ${set.map(([c], i) => `${c} = ${p(i + 1)}`).join(', ')} WHERE id = ${p(set.length + 1)}`, params };
}

/** The queue columns of a history record: queue_id, queue_outcome, queue_call (JSON). */
export function queueRecordParams(queue: { id: string } | null | undefined, q: QueueCallRecord | null | undefined): unknown[] {
  return [queue?.id ?? null, q?.outcome ?? null, q ? JSON.stringify(q) : null];
}

/**
 * The day's counts of one queue from the callers' records (one per call). Parameters: the
 * service level in ms, the queue id, the start of the period.
 */
export function dayCountsSql(p: (i: number) => string): string {
  return `SELECT
      COUNT(*) FILTER (WHERE queue_outcome = 'answered') AS answered,
      COUNT(*) FILTER (WHERE queue_outcome = 'abandoned') AS abandoned,
      COUNT(*) FILTER (WHERE queue_outcome = 'unanswered') AS unanswered,
      COUNT(*) FILTER (WHERE queue_outcome = 'refused') AS refused,
      COUNT(*) FILTER (WHERE queue_outcome = 'answered' AND answered_at - started_at <= ${p(1)}) AS within_sl,
      COALESCE(SUM(answered_at - started_at) FILTER (WHERE queue_outcome = 'answered'), 0) AS wait_ms,
      COALESCE(SUM(ended_at - answered_at) FILTER (WHERE queue_outcome = 'answered'), 0) AS talk_ms
    FROM history WHERE queue_id = ${p(2)} AND direction = 'outgoing' AND ended_at >= ${p(3)}`;
}

export function dayCountsFromRow(r: Row | undefined): QueueDayCounts {
  const n = (v: unknown) => Number(v ?? 0);
  return {
    answered: n(r?.answered),
    abandoned: n(r?.abandoned),
    unanswered: n(r?.unanswered),
    refused: n(r?.refused),
    answeredWithinServiceLevel: n(r?.within_sl),
    totalWaitMs: n(r?.wait_ms),
    totalTalkMs: n(r?.talk_ms),
  };
}

/** Answered queue calls per agent (their own records) that ended at or after parameter 1. */
export const HANDLED_SQL = (p: (i: number) => string) =>
  `SELECT user_id, COUNT(*) AS n FROM history
   WHERE queue_id IS NOT NULL AND direction = 'incoming' AND queue_outcome = 'answered' AND ended_at >= ${p(1)}
   GROUP BY user_id`;

/** Migration 5 of both stores: queue settings, member levels, the queue columns of history. */
export function queueMigrationSql(kind: 'sqlite' | 'postgres'): string {
  const int = kind === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const bool = kind === 'sqlite' ? 'INTEGER' : 'BOOLEAN';
  const b = (v: boolean) => (kind === 'sqlite' ? (v ? '1' : '0') : v ? 'TRUE' : 'FALSE');
  const d = QUEUE_DEFAULTS;
  return `
    ALTER TABLE queues ADD COLUMN strategy TEXT NOT NULL DEFAULT '${d.strategy}';
    ALTER TABLE queues ADD COLUMN max_wait_sec ${int} NOT NULL DEFAULT ${d.maxWaitSec};
    ALTER TABLE queues ADD COLUMN service_level_sec ${int} NOT NULL DEFAULT ${d.serviceLevelSec};
    ALTER TABLE queues ADD COLUMN join_empty ${bool} NOT NULL DEFAULT ${b(d.joinEmpty)};
    ALTER TABLE queues ADD COLUMN public ${bool} NOT NULL DEFAULT ${b(d.public)};
    ALTER TABLE queues ADD COLUMN tier_wait_sec ${int} NOT NULL DEFAULT ${d.tierWaitSec};
    ALTER TABLE queue_members ADD COLUMN level ${int} NOT NULL DEFAULT 1;
    ALTER TABLE queue_members ADD COLUMN position ${int} NOT NULL DEFAULT 0;
    CREATE INDEX queue_members_user ON queue_members(user_id);
    ALTER TABLE history ADD COLUMN queue_id TEXT;
    ALTER TABLE history ADD COLUMN queue_outcome TEXT;
    ALTER TABLE history ADD COLUMN queue_call TEXT;
    CREATE INDEX history_queue ON history(queue_id, ended_at) WHERE queue_id IS NOT NULL;
    INSERT INTO agent_reasons (code, label, system, position) VALUES ('logged-out', 'Logged out', ${b(true)}, 6);`;
}
