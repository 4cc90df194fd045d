/**
 * Embedded storage on SQLite (better-sqlite3).
 *
 * Settings (see docs/architecture.md, "Durability"):
 * - journal_mode=WAL: readers never block the writer; one file to back up.
 * - Every acknowledged write is on disk: callers are resolved only after the WAL
 *   was fsync'ed (fdatasync) after their commit, so it survives a crash or power
 *   loss. The sync runs on libuv's thread pool (synchronous=NORMAL plus our own
 *   fdatasync of the WAL), not on the event loop; if the WAL cannot be opened
 *   for that, SQLite syncs each commit itself (synchronous=FULL).
 * - Group commit: writes requested in the same tick share one transaction and
 *   one sync; each request still runs in its own savepoint, so one failing
 *   write does not undo the others.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ProtocolError } from '../../shared/protocol/index.js';
import type {
  AccountStore,
  HistoryPage,
  HistoryStore,
  JournalStartRow,
  PushStore,
  RefreshTokenRow,
  Storage,
} from './types.js';
import { pageStart } from './cursor.js';
import { SQLITE_MIGRATIONS as MIGRATIONS } from './migrations/sqlite.js';
import {
  deviceFromRow,
  HISTORY_COLUMNS,
  historyFromRow,
  historyPage,
  historyParams,
  journalFromRow,
  pushFromRow,
  userFromRow,
  type Row,
} from './rows.js';
import { GroupCommit, openWalForSync } from './group-commit.js';
import type { AgentStore } from './agent-types.js';
import { createSqliteAgentStore } from './sqlite-agents.js';
import { createSqliteQueueStore } from './sqlite-queues.js';
import type { QueueStore } from './queue-types.js';

export class SqliteStorage implements Storage {
  readonly accounts: AccountStore;
  readonly history: HistoryStore;
  readonly push: PushStore;
  readonly agents: AgentStore;
  readonly queues: QueueStore;
  private readonly db: Database.Database;
  private readonly writes: GroupCommit;
  private readonly walFd: number | null;
  private closed = false;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    // First: another process (a second CLI command, the server) may be creating the same
    // file; every later statement waits for its lock instead of failing "database is locked".
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    // Durability moves from SQLite's own fsync to GroupCommit's asynchronous WAL sync.
    this.walFd = openWalForSync(file);
    if (this.walFd !== null) this.db.pragma('synchronous = NORMAL');
    this.writes = new GroupCommit(this.db, this.walFd);
    this.accounts = this.createAccountStore();
    this.history = this.createHistoryStore();
    this.push = this.createPushStore();
    this.agents = createSqliteAgentStore(this.db, (fn) => this.write(fn));
    this.queues = createSqliteQueueStore(this.db, (fn) => this.write(fn));
  }

  static open(dataDir: string): SqliteStorage {
    return new SqliteStorage(path.join(dataDir, 'softphone.db'));
  }

  /**
   * Safe when several processes open a fresh file at once: the version is read again inside
   * a write transaction (BEGIN IMMEDIATE), so the second one finds the migrations done.
   */
  private migrate(): void {
    const current = () => this.db.pragma('user_version', { simple: true }) as number;
    if (current() >= MIGRATIONS.length) return;
    this.db
      .transaction(() => {
        for (let v = current(); v < MIGRATIONS.length; v++) {
          this.db.exec(MIGRATIONS[v]!);
          this.db.pragma(`user_version = ${v + 1}`);
        }
      })
      .immediate();
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.writes.failed) return false;
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writes.drained();
    this.closed = true;
    // Best effort: another process may be using the file (a CLI command next to the server).
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The WAL is checkpointed by whoever closes last, or at the next open.
    }
    this.db.close();
    if (this.walFd !== null) fs.closeSync(this.walFd);
  }

  private write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new ProtocolError('internal', 'storage is closed'));
    return this.writes.run(fn);
  }

  private createAccountStore(): AccountStore {
    const db = this.db;
    const s = {
      insertUser: db.prepare(
        `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      userById: db.prepare(`SELECT * FROM users WHERE id = ?`),
      userByName: db.prepare(`SELECT * FROM users WHERE username = ?`),
      listUsers: db.prepare(`SELECT * FROM users ORDER BY username`),
      searchUsers: db.prepare(
        `SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\'
         ORDER BY display_name COLLATE NOCASE, username LIMIT ?`,
      ),
      deleteUser: db.prepare(`DELETE FROM users WHERE id = ?`),
      deleteUserHistory: db.prepare(`DELETE FROM history WHERE user_id = ?`),
      setPassword: db.prepare(`UPDATE users SET password_hash = ? WHERE id = ?`),
      revokeUserTokens: db.prepare(`UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`),
      upsertDevice: db.prepare(
        `INSERT INTO devices (id, user_id, kind, name, app_version, created_at, last_seen_at)
         VALUES (@id, @userId, @kind, @name, @appVersion, @lastSeenAt, @lastSeenAt)
         ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
           app_version = excluded.app_version, last_seen_at = excluded.last_seen_at
         WHERE devices.user_id = excluded.user_id`,
      ),
      deviceById: db.prepare(`SELECT * FROM devices WHERE id = ?`),
      devicesOfUser: db.prepare(`SELECT * FROM devices WHERE user_id = ? ORDER BY created_at`),
      deleteDevice: db.prepare(`DELETE FROM devices WHERE id = ?`),
      insertToken: db.prepare(
        `INSERT INTO refresh_tokens (token_hash, user_id, family_id, created_at, expires_at)
         VALUES (@tokenHash, @userId, @familyId, @createdAt, @expiresAt)`,
      ),
      tokenByHash: db.prepare(`SELECT * FROM refresh_tokens WHERE token_hash = ?`),
      useToken: db.prepare(
        `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL`,
      ),
      revokeFamily: db.prepare(`UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`),
      familyRevoked: db.prepare(
        `SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL LIMIT 1`,
      ),
      insertRevocation: db.prepare(`INSERT INTO revocations (user_id, at) VALUES (?, ?)`),
      revocationsSince: db.prepare(`SELECT id, user_id, at FROM revocations WHERE id > ? ORDER BY id`),
      latestRevocation: db.prepare(`SELECT coalesce(max(id), 0) AS id FROM revocations`),
    };
    // PRAGMA data_version changes only when another connection (the CLI) committed: while it
    // stays the same, and this connection wrote no revocation, a poll reads nothing.
    let seenDataVersion = -1;
    let localRevocation = true;
    const dataVersion = () => db.pragma('data_version', { simple: true }) as number;
    const getUser = (id: string) => {
      const r = s.userById.get(id) as Row | undefined;
      return r ? userFromRow(r) : undefined;
    };
    const like = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

    return {
      createUser: (u) =>
        this.write(() => {
          if (s.userByName.get(u.username)) throw new ProtocolError('conflict', `user ${u.username} already exists`);
          s.insertUser.run(u.id, u.username, u.displayName, u.passwordHash, Date.now());
          return getUser(u.id)!;
        }),
      getUserById: async (id) => getUser(id),
      getUserByUsername: async (username) => {
        const r = s.userByName.get(username) as Row | undefined;
        return r ? userFromRow(r) : undefined;
      },
      listUsers: async () => (s.listUsers.all() as Row[]).map(userFromRow),
      searchUsers: async (query, limit) =>
        (s.searchUsers.all(like(query), like(query), limit) as Row[]).map(userFromRow),
      removeUser: (id) =>
        this.write(() => {
          s.deleteUserHistory.run(id);
          const removed = s.deleteUser.run(id).changes > 0;
          if (removed) s.insertRevocation.run(id, Date.now());
          localRevocation = true;
          return removed;
        }),
      setPassword: (id, hash) =>
        this.write(() => {
          s.setPassword.run(hash, id);
          s.revokeUserTokens.run(Date.now(), id);
          s.insertRevocation.run(id, Date.now());
          localRevocation = true;
        }),
      updateUser: (id, patch) =>
        this.write(() => {
          const sets: string[] = [];
          const values: unknown[] = [];
          const columns: [string, unknown][] = [
            ['status', patch.status],
            ['call_waiting', patch.callWaiting === undefined ? undefined : patch.callWaiting ? 1 : 0],
            ['last_seen_missed_at', patch.lastSeenMissedAt],
            ['display_name', patch.displayName],
          ];
          for (const [column, value] of columns) {
            if (value === undefined) continue;
            sets.push(`${column} = ?`);
            values.push(value);
          }
          if (sets.length > 0) db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
          return getUser(id);
        }),
      upsertDevice: (d) =>
        this.write(() => {
          const existing = s.deviceById.get(d.id) as Row | undefined;
          if (existing && existing.user_id !== d.userId) {
            throw new ProtocolError('forbidden', 'this device id belongs to another account');
          }
          s.upsertDevice.run(d);
          return deviceFromRow(s.deviceById.get(d.id) as Row);
        }),
      getDevice: async (id) => {
        const r = s.deviceById.get(id) as Row | undefined;
        return r ? deviceFromRow(r) : undefined;
      },
      listDevices: async (userId) => (s.devicesOfUser.all(userId) as Row[]).map(deviceFromRow),
      removeDevice: (id) => this.write(() => s.deleteDevice.run(id).changes > 0),
      insertRefreshToken: (row) =>
        this.write(() => {
          s.insertToken.run(row);
        }),
      getRefreshToken: async (hash) => {
        const r = s.tokenByHash.get(hash) as Row | undefined;
        if (!r) return undefined;
        return {
          tokenHash: r.token_hash as string,
          userId: r.user_id as string,
          familyId: r.family_id as string,
          createdAt: r.created_at as number,
          expiresAt: r.expires_at as number,
          usedAt: (r.used_at as number | null) ?? null,
          revokedAt: (r.revoked_at as number | null) ?? null,
        } satisfies RefreshTokenRow;
      },
      useRefreshToken: (hash, at) => this.write(() => s.useToken.run(at, hash).changes === 1),
      revokeFamily: (familyId, at) =>
        this.write(() => {
          s.revokeFamily.run(at, familyId);
        }),
      isFamilyRevoked: async (familyId) => s.familyRevoked.get(familyId) !== undefined,
      revocationsSince: async (afterId) => {
        const version = dataVersion();
        if (version === seenDataVersion && !localRevocation) return [];
        seenDataVersion = version;
        localRevocation = false;
        return (s.revocationsSince.all(afterId) as Row[]).map((r) => ({
          id: r.id as number,
          userId: r.user_id as string,
          at: r.at as number,
        }));
      },
      latestRevocationId: async () => (s.latestRevocation.get() as { id: number }).id,
    };
  }

  private createHistoryStore(): HistoryStore {
    const db = this.db;
    const s = {
      journalInsert: db.prepare(
        `INSERT OR IGNORE INTO calls (call_id, caller, callee, caller_device_id, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      journalAnswer: db.prepare(`UPDATE calls SET answered_at = ?, answered_device_id = ? WHERE call_id = ?`),
      journalGet: db.prepare(`SELECT * FROM calls WHERE call_id = ?`),
      journalEnd: db.prepare(
        `UPDATE calls SET ended_at = ?, outcome = ?, end_reason = ? WHERE call_id = ? AND ended_at IS NULL`,
      ),
      unfinished: db.prepare(`SELECT * FROM calls WHERE ended_at IS NULL ORDER BY created_at`),
      insertRecord: db.prepare(
        `INSERT OR IGNORE INTO history (${HISTORY_COLUMNS.join(', ')}) VALUES (${HISTORY_COLUMNS.map(() => '?').join(', ')})`,
      ),
      recordsForCall: db.prepare(`SELECT * FROM history WHERE call_id = ? ORDER BY user_id`),
      page: db.prepare(
        `SELECT * FROM history WHERE user_id = ? AND (ended_at < ? OR (ended_at = ? AND id < ?))
         ORDER BY ended_at DESC, id DESC LIMIT ?`,
      ),
      missed: db.prepare(`SELECT COUNT(*) AS n FROM history WHERE user_id = ? AND missed = 1 AND ended_at > ?`),
      lastSeen: db.prepare(`SELECT last_seen_missed_at FROM users WHERE id = ?`),
    };
    const lastSeenOf = (userId: string) =>
      ((s.lastSeen.get(userId) as Row | undefined)?.last_seen_missed_at as number | undefined) ?? 0;

    const insertJournal = (row: JournalStartRow) => () =>
      s.journalInsert.run(row.callId, JSON.stringify(row.caller), JSON.stringify(row.callee), row.callerDeviceId, row.createdAt)
        .changes === 1;
    return {
      journalStart: (row) => this.write(insertJournal(row)),
      journalAnswer: (callId, at, deviceId) =>
        this.write(() => {
          s.journalAnswer.run(at, deviceId, callId);
        }),
      getJournal: async (callId) => {
        const r = s.journalGet.get(callId) as Row | undefined;
        return r ? journalFromRow(r) : undefined;
      },
      unfinishedCalls: async () => (s.unfinished.all() as Row[]).map(journalFromRow),
      finishCall: (callId, end, records) =>
        this.write(() => {
          s.journalEnd.run(end.endedAt, end.outcome, end.endReason, callId);
          for (const r of records) s.insertRecord.run(...historyParams(randomUUID(), r, (b) => (b ? 1 : 0)));
          return (s.recordsForCall.all(callId) as Row[]).map((row) =>
            historyFromRow(row, lastSeenOf(row.user_id as string)),
          );
        }),
      listHistory: async (userId, { cursor, limit, lastSeenMissedAt }): Promise<HistoryPage> => {
        const c = pageStart(cursor);
        const rows = s.page.all(userId, c.endedAt, c.endedAt, c.id, limit + 1) as Row[];
        return historyPage(rows, limit, lastSeenMissedAt);
      },
      missedCount: async (userId, since) => (s.missed.get(userId, since) as { n: number }).n,
      recordsForCall: async (callId) =>
        (s.recordsForCall.all(callId) as Row[]).map((row) => historyFromRow(row, lastSeenOf(row.user_id as string))),
    };
  }

  private createPushStore(): PushStore {
    const db = this.db;
    const s = {
      device: db.prepare(`SELECT user_id FROM devices WHERE id = ?`),
      get: db.prepare(`SELECT * FROM push_registrations WHERE device_id = ?`),
      ofUser: db.prepare(`SELECT * FROM push_registrations WHERE user_id = ? ORDER BY created_at`),
      // Another account's live registration of the token (its session not signed out).
      tokenHeldByOther: db.prepare(
        `SELECT 1 FROM push_registrations p WHERE p.provider = ? AND p.token = ? AND p.user_id <> ?
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = p.family_id AND r.revoked_at IS NOT NULL)
         LIMIT 1`,
      ),
      dropSameToken: db.prepare(
        `DELETE FROM push_registrations WHERE provider = ? AND token = ? AND device_id <> ?`,
      ),
      upsert: db.prepare(
        `INSERT INTO push_registrations (device_id, user_id, family_id, provider, token, bundle_id, environment,
           e2e_alg, e2e_public_key, created_at, updated_at)
         VALUES (@deviceId, @userId, @familyId, @provider, @token, @bundleId, @environment,
           @e2eAlg, @e2ePublicKey, @at, @at)
         ON CONFLICT(device_id) DO UPDATE SET family_id = excluded.family_id, provider = excluded.provider,
           token = excluded.token, bundle_id = excluded.bundle_id, environment = excluded.environment,
           e2e_alg = excluded.e2e_alg, e2e_public_key = excluded.e2e_public_key, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare(`DELETE FROM push_registrations WHERE device_id = ?`),
      removeIfToken: db.prepare(`DELETE FROM push_registrations WHERE device_id = ? AND token = ?`),
    };
    return {
      savePushRegistration: (row, at) =>
        this.write(() => {
          const owner = s.device.get(row.deviceId) as Row | undefined;
          if (!owner) throw new ProtocolError('not_found', 'no such device');
          if (owner.user_id !== row.userId) throw new ProtocolError('forbidden', 'this device belongs to another account');
          if (s.tokenHeldByOther.get(row.provider, row.token, row.userId)) {
            throw new ProtocolError('conflict', 'this push token is registered by another account');
          }
          s.dropSameToken.run(row.provider, row.token, row.deviceId);
          s.upsert.run({
            deviceId: row.deviceId,
            userId: row.userId,
            familyId: row.familyId,
            provider: row.provider,
            token: row.token,
            bundleId: row.bundleId,
            environment: row.environment,
            e2eAlg: row.e2e?.alg ?? null,
            e2ePublicKey: row.e2e?.publicKey ?? null,
            at,
          });
          return pushFromRow(s.get.get(row.deviceId) as Row);
        }),
      getPushRegistration: async (deviceId) => {
        const r = s.get.get(deviceId) as Row | undefined;
        return r ? pushFromRow(r) : undefined;
      },
      listPushRegistrations: async (userId) => (s.ofUser.all(userId) as Row[]).map(pushFromRow),
      removePushRegistration: (deviceId, onlyToken) =>
        this.write(() =>
          (onlyToken === undefined ? s.remove.run(deviceId) : s.removeIfToken.run(deviceId, onlyToken)).changes > 0,
        ),
    };
  }
}
