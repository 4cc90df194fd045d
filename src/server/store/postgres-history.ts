/**
 * The call journal and history on PostgreSQL (store/types.ts HistoryStore); the same shapes
 * as sqlite.ts. `minAge`: unfinished calls younger than this are left to the node running them.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pageStart } from './cursor.js';
import { HISTORY_COLUMNS, historyFromRow, historyPage, historyParams, journalFromRow, type Row } from './rows.js';
import type { HistoryPage, HistoryStore } from './types.js';

type Queryable = Pick<pg.PoolClient, 'query'>;
type Run = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

export function createPostgresHistoryStore(run: Run, tx: Run, minAge: number): HistoryStore {
  const recordsForCall = async (db: Queryable, callId: string) => {
    const { rows } = await db.query<Row>(
      `SELECT h.*, COALESCE(u.last_seen_missed_at, 0) AS seen_up_to
       FROM history h LEFT JOIN users u ON u.id = h.user_id
       WHERE h.call_id = $1 ORDER BY h.user_id`,
      [callId],
    );
    return rows.map((r) => historyFromRow(r, Number(r.seen_up_to)));
  };
  return {
    journalStart: (row) =>
      run(async (db) => {
        const r = await db.query(
          `INSERT INTO calls (call_id, caller, callee, caller_device_id, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (call_id) DO NOTHING`,
          [row.callId, JSON.stringify(row.caller), JSON.stringify(row.callee), row.callerDeviceId, row.createdAt],
        );
        return r.rowCount === 1;
      }),
    journalAnswer: (callId, at, deviceId) =>
      run(async (db) => {
        await db.query(`UPDATE calls SET answered_at = $1, answered_device_id = $2 WHERE call_id = $3`, [
          at,
          deviceId,
          callId,
        ]);
      }),
    getJournal: (callId) =>
      run(async (db) => {
        const { rows } = await db.query<Row>(`SELECT * FROM calls WHERE call_id = $1`, [callId]);
        return rows[0] ? journalFromRow(rows[0]) : undefined;
      }),
    unfinishedCalls: () =>
      run(async (db) => {
        const { rows } =
          minAge > 0
            ? await db.query<Row>(
                `SELECT * FROM calls WHERE ended_at IS NULL AND created_at <= $1 ORDER BY created_at`,
                [Date.now() - minAge],
              )
            : await db.query<Row>(`SELECT * FROM calls WHERE ended_at IS NULL ORDER BY created_at`);
        return rows.map(journalFromRow);
      }),
    finishCall: (callId, end, records) =>
      tx(async (db) => {
        await db.query(
          `UPDATE calls SET ended_at = $1, outcome = $2, end_reason = $3 WHERE call_id = $4 AND ended_at IS NULL`,
          [end.endedAt, end.outcome, end.endReason, callId],
        );
        for (const r of records) {
          // A second finisher (another node, a retry) waits on the unique index, then writes nothing.
          await db.query(
            `INSERT INTO history (${HISTORY_COLUMNS.join(', ')}) VALUES (${HISTORY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
             ON CONFLICT (call_id, user_id) DO NOTHING`,
            historyParams(randomUUID(), r, (b) => b),
          );
        }
        return recordsForCall(db, callId);
      }),
    listHistory: (userId, { cursor, limit, lastSeenMissedAt }): Promise<HistoryPage> =>
      run(async (db) => {
        const c = pageStart(cursor);
        const { rows } = await db.query<Row>(
          `SELECT * FROM history WHERE user_id = $1 AND (ended_at < $2 OR (ended_at = $2 AND id < $3))
           ORDER BY ended_at DESC, id DESC LIMIT $4`,
          [userId, c.endedAt, c.id, limit + 1],
        );
        return historyPage(rows, limit, lastSeenMissedAt);
      }),
    missedCount: (userId, since) =>
      run(async (db) => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM history WHERE user_id = $1 AND missed AND ended_at > $2`,
          [userId, since],
        );
        return rows[0]!.n;
      }),
    recordsForCall: (callId) => run((db) => recordsForCall(db, callId)),
  };
}
