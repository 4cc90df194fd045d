/** The agent tables on PostgreSQL (store/agent-types.ts); the same SQL shapes as sqlite-agents.ts. */
import type pg from 'pg';
import { ProtocolError } from '../../shared/protocol/index.js';
import { lostRole, type AgentStore } from './agent-types.js';
import { autoAnswerFromRow, logFromRow, logParams, reasonFromRow } from './agent-rows.js';
import { parseRoles, type Row } from './rows.js';

export type { AgentStore } from './agent-types.js';

type Queryable = Pick<pg.PoolClient, 'query'>;
type Run = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

const rowsOf = async (db: Queryable, sql: string, params: unknown[] = []) => (await db.query<Row>(sql, params)).rows;

export function createPostgresAgentStore(run: Run, tx: Run): AgentStore {
  return {
    setRoles: (userId, roles) =>
      tx(async (db) => {
        const [before] = await rowsOf(db, `SELECT roles FROM users WHERE id = $1 FOR UPDATE`, [userId]);
        if (!before) return false;
        await db.query(`UPDATE users SET roles = $1 WHERE id = $2`, [[...new Set(roles)].join(','), userId]);
        if (lostRole(parseRoles(before.roles), roles)) {
          await db.query(`INSERT INTO revocations (user_id, at) VALUES ($1, $2)`, [userId, Date.now()]);
        }
        return true;
      }),
    listReasons: () => run(async (db) => (await rowsOf(db, `SELECT * FROM agent_reasons ORDER BY position, code`)).map(reasonFromRow)),
    addReason: (code, label) =>
      run(async (db) => {
        const rows = await rowsOf(
          db,
          `INSERT INTO agent_reasons (code, label, system, position)
           VALUES ($1, $2, FALSE, (SELECT coalesce(max(position), 0) + 1 FROM agent_reasons))
           ON CONFLICT (code) DO NOTHING RETURNING *`,
          [code, label],
        );
        if (!rows[0]) throw new ProtocolError('conflict', `reason ${code} already exists`);
        return reasonFromRow(rows[0]);
      }),
    removeReason: (code) =>
      run(async (db) => {
        const [r] = await rowsOf(db, `SELECT * FROM agent_reasons WHERE code = $1`, [code]);
        if (r && reasonFromRow(r).system) throw new ProtocolError('forbidden', `${code} is a system reason`);
        return ((await db.query(`DELETE FROM agent_reasons WHERE code = $1 AND NOT system`, [code])).rowCount ?? 0) > 0;
      }),
    appendLog: (entries) =>
      tx(async (db) => {
        for (const e of entries) {
          await db.query(
            `INSERT INTO agent_log (user_id, at, from_state, to_state, reason, actor, by_user_id, call_id, cause)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            logParams(e),
          );
        }
      }),
    listLog: (userId, { limit, before }) =>
      run(async (db) =>
        (
          await rowsOf(db, `SELECT * FROM agent_log WHERE user_id = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3`, [
            userId,
            before ?? Number.MAX_SAFE_INTEGER,
            limit,
          ])
        ).map(logFromRow),
      ),
    getAutoAnswer: (userId) =>
      run(async (db) => autoAnswerFromRow((await rowsOf(db, `SELECT auto_answer FROM agent_settings WHERE user_id = $1`, [userId]))[0])),
    setAutoAnswer: (userId, a) =>
      run(async (db) => {
        await db.query(
          `INSERT INTO agent_settings (user_id, auto_answer) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET auto_answer = EXCLUDED.auto_answer`,
          [userId, JSON.stringify(a)],
        );
      }),
    saveWrapUp: (callId, userId, disposition, notes) =>
      run(async (db) => {
        const r = await db.query(`UPDATE history SET disposition = $1, notes = $2 WHERE call_id = $3 AND user_id = $4`, [
          disposition,
          notes,
          callId,
          userId,
        ]);
        return (r.rowCount ?? 0) > 0;
      }),
  };
}
