/**
 * Durable storage on PostgreSQL (`pg`), for several server nodes sharing one
 * database. Same interfaces and the same answers as the SQLite store
 * (sqlite.ts); what differs is how atomicity is obtained when several
 * processes write at once:
 *
 * - Migrations (migrations/postgres.ts) run under an advisory lock.
 * - History records: UNIQUE (call_id, user_id) + ON CONFLICT DO NOTHING, so
 *   two nodes finishing the same call write one record per participant.
 * - A refresh token is spent by `UPDATE … WHERE used_at IS NULL`: of two
 *   nodes presenting it at once, exactly one sees a changed row.
 * - A device upsert only updates a row of the same user (ids never move).
 *
 * Commits are durable before they resolve (synchronous_commit=on).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ProtocolError } from '../../shared/protocol/index.js';
import type { Logger } from '../logger.js';
import { deviceFromRow, pushFromRow, tokenFromRow, userFromRow, type Row } from './rows.js';
import { createPostgresAgentStore, type AgentStore } from './postgres-agents.js';
import { createPostgresHistoryStore } from './postgres-history.js';
import { createPostgresQueueStore } from './postgres-queues.js';
import type { QueueStore } from './queue-types.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migrations/postgres.js';
import { fold, pgCode, redactUrl, TYPES } from './pg-helpers.js';
import type { AccountStore, HistoryStore, PushStore, Storage } from './types.js';

export { redactUrl };

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PostgresOptions {
  log?: Logger;
  /** Connections in this node's pool. */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * Unfinished calls younger than this are not offered to recovery. With
   * several nodes, a call another node is setting up right now (journal
   * written, live state not yet) must not be ended as `server_restart`.
   */
  recoverMinAgeMs?: number;
}

export class PostgresStorage implements Storage {
  readonly accounts: AccountStore;
  readonly history: HistoryStore;
  readonly push: PushStore;
  readonly agents: AgentStore;
  readonly queues: QueueStore;
  private closed = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PostgresOptions,
  ) {
    this.accounts = this.createAccountStore();
    this.history = createPostgresHistoryStore((fn) => this.run(fn), (fn) => this.tx(fn), opts.recoverMinAgeMs ?? 0);
    this.push = this.createPushStore();
    this.agents = createPostgresAgentStore((fn) => this.run(fn), (fn) => this.tx(fn));
    this.queues = createPostgresQueueStore((fn) => this.run(fn), (fn) => this.tx(fn));
  }

  /** Connects, migrates, and returns the open store; throws a clear error when the database is unreachable. */
  static async connect(url: string, opts: PostgresOptions = {}): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? 'softphone-server',
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      types: TYPES,
    });
    // An idle client losing its connection emits here; unhandled, it would end the process.
    pool.on('error', (err) => opts.log?.error({ err }, 'PostgreSQL connection error'));
    try {
      await migratePostgres(pool, POSTGRES_MIGRATIONS, opts.log);
    } catch (err) {
      await pool.end().catch(() => undefined);
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`PostgreSQL at ${redactUrl(url)} is not usable: ${reason}`, { cause: err });
    }
    return new PostgresStorage(pool, opts);
  }

  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight > 0) {
      // Pending writes finish first; a database that stopped answering does not hold the shutdown forever.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000))),
      ]);
      clearTimeout(timer);
    }
    await this.pool.end();
  }

  /** The JWT and TURN secrets, created once by whichever node starts first. */
  async sharedSecrets(): Promise<{ jwtSecret: string; turnSecret: string }> {
    return this.run(async (db) => {
      const now = Date.now();
      await db.query(
        `INSERT INTO server_secrets (name, value, created_at) VALUES ('jwt', $1, $3), ('turn', $2, $3)
         ON CONFLICT (name) DO NOTHING`,
        [randomBytes(48).toString('base64url'), randomBytes(32).toString('base64url'), now],
      );
      const { rows } = await db.query<{ name: string; value: string }>(
        `SELECT name, value FROM server_secrets WHERE name IN ('jwt', 'turn')`,
      );
      const get = (name: string) => rows.find((r) => r.name === name)!.value;
      return { jwtSecret: get('jwt'), turnSecret: get('turn') };
    });
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  private async run<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    if (this.closed) throw new ProtocolError('internal', 'storage is closed');
    this.inFlight++;
    try {
      return await fn(this.pool);
    } finally {
      this.done();
    }
  }

  /**
   * Runs `fn` in a transaction (READ COMMITTED). Retries on the errors
   * PostgreSQL asks callers to retry (serialization failure, deadlock) and,
   * when `retryUnique`, on a unique violation caused by a concurrent writer.
   */
  private async tx<T>(fn: (db: pg.PoolClient) => Promise<T>, retryUnique = false): Promise<T> {
    if (this.closed) throw new ProtocolError('internal', 'storage is closed');
    this.inFlight++;
    try {
      for (let attempt = 0; ; attempt++) {
        const client = await this.pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          const code = pgCode(err);
          const retryable = code === '40001' || code === '40P01' || (retryUnique && code === '23505');
          if (!retryable || attempt >= 3) throw err;
        } finally {
          client.release(broken);
        }
      }
    } finally {
      this.done();
    }
  }

  private done(): void {
    this.inFlight--;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  // ───────────────────────────── accounts ─────────────────────────────

  private createAccountStore(): AccountStore {
    const one = async <T>(db: Queryable, sql: string, params: unknown[], map: (r: Row) => T) => {
      const { rows } = await db.query<Row>(sql, params);
      return rows[0] ? map(rows[0]) : undefined;
    };
    const like = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

    return {
      createUser: (u) =>
        this.run(async (db) => {
          const row = await one(
            db,
            `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO NOTHING RETURNING *`,
            [u.id, u.username, u.displayName, u.passwordHash, Date.now()],
            userFromRow,
          );
          if (!row) throw new ProtocolError('conflict', `user ${u.username} already exists`);
          return row;
        }),
      getUserById: (id) => this.run((db) => one(db, `SELECT * FROM users WHERE id = $1`, [id], userFromRow)),
      getUserByUsername: (username) =>
        this.run((db) => one(db, `SELECT * FROM users WHERE username = $1`, [username], userFromRow)),
      listUsers: () =>
        this.run(async (db) => (await db.query<Row>(`SELECT * FROM users ORDER BY username`)).rows.map(userFromRow)),
      searchUsers: (query, limit) =>
        this.run(async (db) => {
          const { rows } = await db.query<Row>(
            `SELECT * FROM users
             WHERE ${fold('username')} LIKE ${fold('$1')} ESCAPE '\\' OR ${fold('display_name')} LIKE ${fold('$1')} ESCAPE '\\'
             ORDER BY ${fold('display_name')} COLLATE "C", username LIMIT $2`,
            [like(query), limit],
          );
          return rows.map(userFromRow);
        }),
      removeUser: (id) =>
        this.tx(async (db) => {
          await db.query(`DELETE FROM history WHERE user_id = $1`, [id]);
          const r = await db.query(`DELETE FROM users WHERE id = $1`, [id]);
          const removed = (r.rowCount ?? 0) > 0;
          if (removed) await db.query(`INSERT INTO revocations (user_id, at) VALUES ($1, $2)`, [id, Date.now()]);
          return removed;
        }),
      setPassword: (id, hash) =>
        this.tx(async (db) => {
          await db.query(`UPDATE users SET password_hash = $1 WHERE id = $2`, [hash, id]);
          await db.query(`UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, [
            Date.now(),
            id,
          ]);
          await db.query(`INSERT INTO revocations (user_id, at) VALUES ($1, $2)`, [id, Date.now()]);
        }),
      updateUser: (id, patch) =>
        this.run(async (db) => {
          const sets: string[] = [];
          const values: unknown[] = [];
          const columns: [string, unknown][] = [
            ['status', patch.status],
            ['call_waiting', patch.callWaiting],
            ['last_seen_missed_at', patch.lastSeenMissedAt],
            ['display_name', patch.displayName],
          ];
          for (const [column, value] of columns) {
            if (value === undefined) continue;
            values.push(value);
            sets.push(`${column} = $${values.length}`);
          }
          if (sets.length === 0) return one(db, `SELECT * FROM users WHERE id = $1`, [id], userFromRow);
          values.push(id);
          return one(db, `UPDATE users SET ${sets.join(', ')} WHERE id = $${values.length} RETURNING *`, values, userFromRow);
        }),
      upsertDevice: (d) =>
        this.run(async (db) => {
          // Updates only a row of the same user: a device id never changes hands.
          const row = await one(
            db,
            `INSERT INTO devices (id, user_id, kind, name, app_version, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
               app_version = EXCLUDED.app_version, last_seen_at = EXCLUDED.last_seen_at
             WHERE devices.user_id = EXCLUDED.user_id
             RETURNING *`,
            [d.id, d.userId, d.kind, d.name, d.appVersion, d.lastSeenAt],
            deviceFromRow,
          );
          if (!row) throw new ProtocolError('forbidden', 'this device id belongs to another account');
          return row;
        }),
      getDevice: (id) => this.run((db) => one(db, `SELECT * FROM devices WHERE id = $1`, [id], deviceFromRow)),
      listDevices: (userId) =>
        this.run(async (db) =>
          (await db.query<Row>(`SELECT * FROM devices WHERE user_id = $1 ORDER BY created_at`, [userId])).rows.map(
            deviceFromRow,
          ),
        ),
      removeDevice: (id) =>
        this.run(async (db) => ((await db.query(`DELETE FROM devices WHERE id = $1`, [id])).rowCount ?? 0) > 0),
      insertRefreshToken: (row) =>
        this.run(async (db) => {
          await db.query(
            `INSERT INTO refresh_tokens (token_hash, user_id, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
            [row.tokenHash, row.userId, row.familyId, row.createdAt, row.expiresAt],
          );
        }),
      getRefreshToken: (hash) =>
        this.run((db) => one(db, `SELECT * FROM refresh_tokens WHERE token_hash = $1`, [hash], tokenFromRow)),
      useRefreshToken: (hash, at) =>
        this.run(async (db) => {
          const r = await db.query(
            `UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL`,
            [at, hash],
          );
          return r.rowCount === 1;
        }),
      revokeFamily: (familyId, at) =>
        this.run(async (db) => {
          await db.query(`UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL`, [
            at,
            familyId,
          ]);
        }),
      isFamilyRevoked: (familyId) =>
        this.run(async (db) => {
          const { rows } = await db.query(
            `SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL LIMIT 1`,
            [familyId],
          );
          return rows.length > 0;
        }),
      // An index-only probe of the primary key, every ~250 ms per node.
      revocationsSince: (afterId) =>
        this.run(async (db) => {
          const { rows } = await db.query<Row>(`SELECT id, user_id, at FROM revocations WHERE id > $1 ORDER BY id`, [afterId]);
          return rows.map((r) => ({ id: Number(r.id), userId: r.user_id as string, at: Number(r.at) }));
        }),
      latestRevocationId: () =>
        this.run(async (db) => {
          const { rows } = await db.query<Row>(`SELECT coalesce(max(id), 0) AS id FROM revocations`);
          return Number(rows[0]?.id ?? 0);
        }),
    };
  }

  // ───────────────────────────── push registrations ─────────────────────────────

  private createPushStore(): PushStore {
    return {
      savePushRegistration: (row, at) =>
        // Two devices registering one token at once: the loser hits the unique index and retries,
        // and its retry removes the winner's row (the newest registration of a token wins).
        this.tx(async (db) => {
          const owner = await db.query<{ user_id: string }>(`SELECT user_id FROM devices WHERE id = $1 FOR SHARE`, [
            row.deviceId,
          ]);
          if (!owner.rows[0]) throw new ProtocolError('not_found', 'no such device');
          if (owner.rows[0].user_id !== row.userId) {
            throw new ProtocolError('forbidden', 'this device belongs to another account');
          }
          // Another account's live registration of the token (its session not signed out) is not taken over.
          const held = await db.query(
            `SELECT 1 FROM push_registrations p WHERE p.provider = $1 AND p.token = $2 AND p.user_id <> $3
               AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = p.family_id AND r.revoked_at IS NOT NULL)
             LIMIT 1`,
            [row.provider, row.token, row.userId],
          );
          if (held.rows.length > 0) throw new ProtocolError('conflict', 'this push token is registered by another account');
          await db.query(`DELETE FROM push_registrations WHERE provider = $1 AND token = $2 AND device_id <> $3`, [
            row.provider,
            row.token,
            row.deviceId,
          ]);
          const { rows } = await db.query<Row>(
            `INSERT INTO push_registrations (device_id, user_id, family_id, provider, token, bundle_id, environment,
               e2e_alg, e2e_public_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
             ON CONFLICT (device_id) DO UPDATE SET family_id = EXCLUDED.family_id, provider = EXCLUDED.provider,
               token = EXCLUDED.token, bundle_id = EXCLUDED.bundle_id, environment = EXCLUDED.environment,
               e2e_alg = EXCLUDED.e2e_alg, e2e_public_key = EXCLUDED.e2e_public_key, updated_at = EXCLUDED.updated_at
             RETURNING *`,
            [
              row.deviceId,
              row.userId,
              row.familyId,
              row.provider,
              row.token,
              row.bundleId,
              row.environment,
              row.e2e?.alg ?? null,
              row.e2e?.publicKey ?? null,
              at,
            ],
          );
          return pushFromRow(rows[0]!);
        }, true),
      getPushRegistration: (deviceId) =>
        this.run(async (db) => {
          const { rows } = await db.query<Row>(`SELECT * FROM push_registrations WHERE device_id = $1`, [deviceId]);
          return rows[0] ? pushFromRow(rows[0]) : undefined;
        }),
      listPushRegistrations: (userId) =>
        this.run(async (db) =>
          (
            await db.query<Row>(`SELECT * FROM push_registrations WHERE user_id = $1 ORDER BY created_at`, [userId])
          ).rows.map(pushFromRow),
        ),
      removePushRegistration: (deviceId, onlyToken) =>
        this.run(async (db) => {
          const r =
            onlyToken === undefined
              ? await db.query(`DELETE FROM push_registrations WHERE device_id = $1`, [deviceId])
              : await db.query(`DELETE FROM push_registrations WHERE device_id = $1 AND token = $2`, [deviceId, onlyToken]);
          return (r.rowCount ?? 0) > 0;
        }),
    };
  }
}
