/** The queue tables on PostgreSQL (store/queue-types.ts); the same SQL shapes as sqlite-queues.ts. */
import type pg from 'pg';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { QueueStore } from './queue-types.js';
import { dayCountsFromRow, dayCountsSql, HANDLED_SQL, memberFromRow, queueFromRow, queueInsert, queueUpdate } from './queue-rows.js';
import type { Row } from './rows.js';

type Queryable = Pick<pg.PoolClient, 'query'>;
type Run = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

const p = (i: number) => `$${i}`;
const bool = (b: boolean) => b;
const rowsOf = async (db: Queryable, sql: string, params: unknown[] = []) => (await db.query<Row>(sql, params)).rows;

export function createPostgresQueueStore(run: Run, tx: Run): QueueStore {
  const get = async (db: Queryable, id: string) => {
    const [r] = await rowsOf(db, `SELECT * FROM queues WHERE id = $1`, [id]);
    return r ? queueFromRow(r) : undefined;
  };
  return {
    add: (q) =>
      run(async (db) => {
        const ins = queueInsert(q, Date.now(), bool, p);
        const r = await db.query(`${ins.sql} ON CONFLICT (id) DO NOTHING`, ins.params);
        if (r.rowCount !== 1) throw new ProtocolError('conflict', `queue ${q.id} already exists`);
        return (await get(db, q.id))!;
      }),
    get: (id) => run((db) => get(db, id)),
    list: () => run(async (db) => (await rowsOf(db, `SELECT * FROM queues ORDER BY id`)).map(queueFromRow)),
    update: (id, patch) =>
      run(async (db) => {
        const up = queueUpdate(id, patch, bool, p);
        if (up) await db.query(up.sql, up.params);
        return get(db, id);
      }),
    remove: (id) => run(async (db) => ((await db.query(`DELETE FROM queues WHERE id = $1`, [id])).rowCount ?? 0) > 0),
    setMember: (queueId, userId, level) =>
      tx(async (db) => {
        // The queue row lock serialises position numbering of concurrent adds.
        await db.query(`SELECT 1 FROM queues WHERE id = $1 FOR UPDATE`, [queueId]);
        const [r] = await rowsOf(
          db,
          `INSERT INTO queue_members (queue_id, user_id, level, position)
           VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM queue_members WHERE queue_id = $1))
           ON CONFLICT (queue_id, user_id) DO UPDATE SET level = COALESCE($4, queue_members.level)
           RETURNING *`,
          [queueId, userId, level ?? 1, level ?? null],
        );
        return memberFromRow(r!);
      }),
    removeMember: (queueId, userId) =>
      run(async (db) => {
        const r = await db.query(`DELETE FROM queue_members WHERE queue_id = $1 AND user_id = $2`, [queueId, userId]);
        return (r.rowCount ?? 0) > 0;
      }),
    members: (queueId) =>
      run(async (db) =>
        (await rowsOf(db, `SELECT * FROM queue_members WHERE queue_id = $1 ORDER BY level, position, user_id`, [queueId])).map(memberFromRow),
      ),
    allMembers: () =>
      run(async (db) => (await rowsOf(db, `SELECT * FROM queue_members ORDER BY queue_id, level, position, user_id`)).map(memberFromRow)),
    queuesOf: (userId) =>
      run(async (db) =>
        (await rowsOf(db, `SELECT queue_id FROM queue_members WHERE user_id = $1 ORDER BY queue_id`, [userId])).map((r) => r.queue_id as string),
      ),
    dayCounts: (queueId, since, serviceLevelSec) =>
      run(async (db) => dayCountsFromRow((await rowsOf(db, dayCountsSql(p), [serviceLevelSec * 1000, queueId, since]))[0])),
    handledSince: (since) =>
      run(async (db) => Object.fromEntries((await rowsOf(db, HANDLED_SQL(p), [since])).map((r) => [r.user_id as string, Number(r.n)]))),
  };
}
