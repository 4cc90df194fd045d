/** The agent tables on SQLite (store/agent-types.ts); writes go through the store's group commit. */
import type Database from 'better-sqlite3';
import { ProtocolError } from '../../shared/protocol/index.js';
import { lostRole, type AgentStore } from './agent-types.js';
import { autoAnswerFromRow, logFromRow, logParams, reasonFromRow } from './agent-rows.js';
import { parseRoles, type Row } from './rows.js';

export function createSqliteAgentStore(db: Database.Database, write: <T>(fn: () => T) => Promise<T>): AgentStore {
  const s = {
    setRoles: db.prepare(`UPDATE users SET roles = ? WHERE id = ?`),
    roles: db.prepare(`SELECT roles FROM users WHERE id = ?`),
    revocation: db.prepare(`INSERT INTO revocations (user_id, at) VALUES (?, ?)`),
    reasons: db.prepare(`SELECT * FROM agent_reasons ORDER BY position, code`),
    reason: db.prepare(`SELECT * FROM agent_reasons WHERE code = ?`),
    addReason: db.prepare(
      `INSERT INTO agent_reasons (code, label, system, position)
       VALUES (?, ?, 0, (SELECT coalesce(max(position), 0) + 1 FROM agent_reasons))`,
    ),
    removeReason: db.prepare(`DELETE FROM agent_reasons WHERE code = ? AND system = 0`),
    log: db.prepare(
      `INSERT INTO agent_log (user_id, at, from_state, to_state, reason, actor, by_user_id, call_id, cause)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listLog: db.prepare(`SELECT * FROM agent_log WHERE user_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`),
    autoAnswer: db.prepare(`SELECT auto_answer FROM agent_settings WHERE user_id = ?`),
    setAutoAnswer: db.prepare(
      `INSERT INTO agent_settings (user_id, auto_answer) VALUES (?, ?)
       ON CONFLICT(user_id) DO UPDATE SET auto_answer = excluded.auto_answer`,
    ),
    wrapUp: db.prepare(`UPDATE history SET disposition = ?, notes = ? WHERE call_id = ? AND user_id = ?`),
  };
  return {
    setRoles: (userId, roles) =>
      write(() => {
        const before = s.roles.get(userId) as Row | undefined;
        if (!before) return false;
        s.setRoles.run([...new Set(roles)].join(','), userId);
        if (lostRole(parseRoles(before.roles), roles)) s.revocation.run(userId, Date.now());
        return true;
      }),
    listReasons: async () => (s.reasons.all() as Row[]).map(reasonFromRow),
    addReason: (code, label) =>
      write(() => {
        if (s.reason.get(code)) throw new ProtocolError('conflict', `reason ${code} already exists`);
        s.addReason.run(code, label);
        return reasonFromRow(s.reason.get(code) as Row);
      }),
    removeReason: (code) =>
      write(() => {
        const r = s.reason.get(code) as Row | undefined;
        if (r && reasonFromRow(r).system) throw new ProtocolError('forbidden', `${code} is a system reason`);
        return s.removeReason.run(code).changes > 0;
      }),
    appendLog: (entries) =>
      write(() => {
        for (const e of entries) s.log.run(...logParams(e));
      }),
    listLog: async (userId, { limit, before }) =>
      (s.listLog.all(userId, before ?? Number.MAX_SAFE_INTEGER, limit) as Row[]).map(logFromRow),
    getAutoAnswer: async (userId) => autoAnswerFromRow(s.autoAnswer.get(userId) as Row | undefined),
    setAutoAnswer: (userId, a) =>
      write(() => {
        s.setAutoAnswer.run(userId, JSON.stringify(a));
      }),
    saveWrapUp: (callId, userId, disposition, notes) =>
      write(() => s.wrapUp.run(disposition, notes, callId, userId).changes > 0),
  };
}
