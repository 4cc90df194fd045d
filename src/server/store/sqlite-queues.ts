/** The queue tables on SQLite (store/queue-types.ts); writes go through the store's group commit. */
import type Database from 'better-sqlite3';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { QueueStore } from './queue-types.js';
import { dayCountsFromRow, dayCountsSql, HANDLED_SQL, memberFromRow, queueFromRow, queueInsert, queueUpdate } from './queue-rows.js';
import type { Row } from './rows.js';

const p = () => '?';
const bool = (b: boolean) => (b ? 1 : 0);

export function createSqliteQueueStore(db: Database.Database, write: <T>(fn: () => T) => Promise<T>): QueueStore {
  const s = {
    queue: db.prepare(`SELECT * FROM queues WHERE id = ?`),
    queues: db.prepare(`SELECT * FROM queues ORDER BY id`),
    remove: db.prepare(`DELETE FROM queues WHERE id = ?`),
    member: db.prepare(`SELECT * FROM queue_members WHERE queue_id = ? AND user_id = ?`),
    addMember: db.prepare(
      `INSERT INTO queue_members (queue_id, user_id, level, position)
       VALUES (?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM queue_members WHERE queue_id = ?))`,
    ),
    setLevel: db.prepare(`UPDATE queue_members SET level = ? WHERE queue_id = ? AND user_id = ?`),
    removeMember: db.prepare(`DELETE FROM queue_members WHERE queue_id = ? AND user_id = ?`),
    members: db.prepare(`SELECT * FROM queue_members WHERE queue_id = ? ORDER BY level, position, user_id`),
    allMembers: db.prepare(`SELECT * FROM queue_members ORDER BY queue_id, level, position, user_id`),
    queuesOf: db.prepare(`SELECT queue_id FROM queue_members WHERE user_id = ? ORDER BY queue_id`),
    dayCounts: db.prepare(dayCountsSql(p)),
    handled: db.prepare(HANDLED_SQL(p)),
  };
  const get = (id: string) => {
    const r = s.queue.get(id) as Row | undefined;
    return r ? queueFromRow(r) : undefined;
  };
  return {
    add: (q) =>
      write(() => {
        if (s.queue.get(q.id)) throw new ProtocolError('conflict', `queue ${q.id} already exists`);
        const ins = queueInsert(q, Date.now(), bool, p);
        db.prepare(ins.sql).run(...ins.params);
        return get(q.id)!;
      }),
    get: async (id) => get(id),
    list: async () => (s.queues.all() as Row[]).map(queueFromRow),
    update: (id, patch) =>
      write(() => {
        const up = queueUpdate(id, patch, bool, p);
        if (up) db.prepare(up.sql).run(...up.params);
        return get(id);
      }),
    remove: (id) => write(() => s.remove.run(id).changes > 0),
    setMember: (queueId, userId, level) =>
      write(() => {
        if (s.member.get(queueId, userId)) {
          if (level !== undefined) s.setLevel.run(level, queueId, userId);
        } else s.addMember.run(queueId, userId, level ?? 1, queueId);
        return memberFromRow(s.member.get(queueId, userId) as Row);
      }),
    removeMember: (queueId, userId) => write(() => s.removeMember.run(queueId, userId).changes > 0),
    members: async (queueId) => (s.members.all(queueId) as Row[]).map(memberFromRow),
    allMembers: async () => (s.allMembers.all() as Row[]).map(memberFromRow),
    queuesOf: async (userId) => (s.queuesOf.all(userId) as Row[]).map((r) => r.queue_id as string),
    dayCounts: async (queueId, since, serviceLevelSec) =>
      dayCountsFromRow(s.dayCounts.get(serviceLevelSec * 1000, queueId, since) as Row | undefined),
    handledSince: async (since) =>
      Object.fromEntries((s.handled.all(since) as Row[]).map((r) => [r.user_id as string, Number(r.n)])),
  };
}
