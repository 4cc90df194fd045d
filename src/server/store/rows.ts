/**
 * Row → record mapping shared by both stores (sqlite.ts, postgres.ts), so a duration, a
 * `seen` flag or a nullable column cannot come out differently from one of them. The
 * drivers differ only in representation, which the readers below absorb: booleans are 0/1
 * in SQLite and true/false in PostgreSQL, JSON columns are text in SQLite and parsed JSONB
 * in PostgreSQL, and BIGINT arrives as a number from both (postgres.ts registers the int8
 * parser).
 */
import type { HistoryRecord, QueueCallRecord, QueueRef, Role, UserSummary } from '../../shared/protocol/index.js';
import { queueRecordParams } from './queue-rows.js';
import { encodeCursor } from './cursor.js';
import type { CallJournalRow, DeviceRow, HistoryPage, NewHistoryRecord, PushRegistrationRow, RefreshTokenRow, UserRow } from './types.js';

export type Row = Record<string, unknown>;

const flag = (v: unknown): boolean => v === true || v === 1;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** Whole seconds between answer and end (rounded); 0 for a call never answered. */
export function durationSec(answeredAt: number | null, endedAt: number): number {
  return answeredAt === null ? 0 : Math.max(0, Math.round((endedAt - answeredAt) / 1000));
}

/** Roles are stored as a comma-separated list (`agent,supervisor`). */
export function parseRoles(v: unknown): Role[] {
  if (typeof v !== 'string' || v === '') return [];
  return v.split(',').filter((x): x is Role => x === 'agent' || x === 'supervisor' || x === 'admin');
}

export function userFromRow(r: Row): UserRow {
  return {
    id: r.id as string,
    username: r.username as string,
    displayName: r.display_name as string,
    passwordHash: r.password_hash as string,
    status: r.status as UserRow['status'],
    callWaiting: flag(r.call_waiting),
    roles: parseRoles(r.roles),
    lastSeenMissedAt: num(r.last_seen_missed_at),
    createdAt: num(r.created_at),
  };
}

export function deviceFromRow(r: Row): DeviceRow {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    kind: r.kind as DeviceRow['kind'],
    name: r.name as string,
    appVersion: r.app_version as string,
    createdAt: num(r.created_at),
    lastSeenAt: num(r.last_seen_at),
  };
}

export function tokenFromRow(r: Row): RefreshTokenRow {
  return {
    tokenHash: r.token_hash as string,
    userId: r.user_id as string,
    familyId: r.family_id as string,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    usedAt: numOrNull(r.used_at),
    revokedAt: numOrNull(r.revoked_at),
  };
}

export function pushFromRow(r: Row): PushRegistrationRow {
  const alg = strOrNull(r.e2e_alg) as 'p256' | 'x25519' | null;
  return {
    deviceId: r.device_id as string,
    userId: r.user_id as string,
    familyId: r.family_id as string,
    provider: r.provider as PushRegistrationRow['provider'],
    token: r.token as string,
    bundleId: strOrNull(r.bundle_id),
    environment: strOrNull(r.environment) as PushRegistrationRow['environment'],
    e2e: alg ? { alg, publicKey: r.e2e_public_key as string } : null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function journalFromRow(r: Row): CallJournalRow {
  return {
    callId: r.call_id as string,
    caller: json<UserSummary>(r.caller),
    callee: json<UserSummary>(r.callee),
    callerDeviceId: r.caller_device_id as string,
    createdAt: num(r.created_at),
    answeredAt: numOrNull(r.answered_at),
    answeredDeviceId: strOrNull(r.answered_device_id),
    endedAt: numOrNull(r.ended_at),
    outcome: strOrNull(r.outcome) as CallJournalRow['outcome'],
    endReason: strOrNull(r.end_reason) as CallJournalRow['endReason'],
  };
}

/** `seen`: a missed call counts as unseen until the user's lastSeenMissedAt passes its end. */
export function historyFromRow(r: Row, lastSeenMissedAt: number): HistoryRecord {
  const answeredAt = numOrNull(r.answered_at);
  const endedAt = num(r.ended_at);
  const missed = flag(r.missed);
  return {
    id: r.id as string,
    callId: r.call_id as string,
    direction: r.direction as HistoryRecord['direction'],
    peer: json<UserSummary>(r.peer),
    outcome: r.outcome as HistoryRecord['outcome'],
    endReason: r.end_reason as HistoryRecord['endReason'],
    missed,
    startedAt: num(r.started_at),
    answeredAt,
    endedAt,
    durationSec: durationSec(answeredAt, endedAt),
    answeredDeviceId: strOrNull(r.answered_device_id),
    seen: !missed || endedAt <= lastSeenMissedAt,
    queue: r.queue ? json<QueueRef>(r.queue) : null,
    disposition: strOrNull(r.disposition),
    notes: strOrNull(r.notes),
    queueCall: r.queue_call ? json<QueueCallRecord>(r.queue_call) : null,
  };
}

/** The history columns a new record fills, in the order of `historyParams`. */
export const HISTORY_COLUMNS = [
  'id', 'call_id', 'user_id', 'direction', 'peer', 'outcome', 'end_reason', 'missed',
  'started_at', 'answered_at', 'ended_at', 'answered_device_id', 'queue', 'queue_id', 'queue_outcome', 'queue_call',
] as const;

/** A new record's values for HISTORY_COLUMNS; `bool` renders the missed flag for the driver. */
export function historyParams(id: string, r: NewHistoryRecord, bool: (b: boolean) => unknown): unknown[] {
  return [
    id, r.callId, r.userId, r.direction, JSON.stringify(r.peer), r.outcome, r.endReason, bool(r.missed),
    r.startedAt, r.answeredAt, r.endedAt, r.answeredDeviceId, r.queue ? JSON.stringify(r.queue) : null,
    ...queueRecordParams(r.queue, r.queueCall),
  ];
}

/**
 * One history page from `limit + 1` rows fetched newest first after the cursor: the extra
 * row only says whether another page exists.
 */
export function historyPage(rows: Row[], limit: number, lastSeenMissedAt: number): HistoryPage {
  const items = rows.slice(0, limit).map((r) => historyFromRow(r, lastSeenMissedAt));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ endedAt: last.endedAt, id: last.id }) : null };
}
