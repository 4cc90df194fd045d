/**
 * PostgreSQL schema, one migration per entry, applied in order by
 * `migratePostgres` (below) and recorded in `schema_migrations`.
 * Never edit a migration that has shipped: add a new one.
 *
 * The schema mirrors SQLite's (store/sqlite.ts) so both stores answer
 * identically: times are BIGINT milliseconds, and every id or name that is
 * compared or sorted uses the "C" collation (byte order, like SQLite's
 * BINARY), so history cursors page the same whatever the database's locale.
 */
import type pg from 'pg';
import type { Logger } from '../../logger.js';
import { agentMigrationSql } from '../agent-types.js';
import { queueMigrationSql } from '../queue-rows.js';
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, devices, refresh tokens, call journal, history',
    sql: `
      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT COLLATE "C" NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'available',
        call_waiting BOOLEAN NOT NULL DEFAULT FALSE,
        last_seen_missed_at BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE devices (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        app_version TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL
      );
      CREATE INDEX devices_user ON devices(user_id);
      CREATE TABLE refresh_tokens (
        token_hash TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        revoked_at BIGINT
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
      CREATE TABLE calls (
        call_id TEXT COLLATE "C" PRIMARY KEY,
        caller JSONB NOT NULL,
        callee JSONB NOT NULL,
        caller_device_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        answered_at BIGINT,
        answered_device_id TEXT,
        ended_at BIGINT,
        outcome TEXT,
        end_reason TEXT
      );
      CREATE INDEX calls_unfinished ON calls(created_at) WHERE ended_at IS NULL;
      CREATE TABLE history (
        id TEXT COLLATE "C" PRIMARY KEY,
        call_id TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        direction TEXT NOT NULL,
        peer JSONB NOT NULL,
        outcome TEXT NOT NULL,
        end_reason TEXT NOT NULL,
        missed BOOLEAN NOT NULL,
        started_at BIGINT NOT NULL,
        answered_at BIGINT,
        ended_at BIGINT NOT NULL,
        answered_device_id TEXT,
        -- Exactly one record per participant per call, whichever node finishes it.
        UNIQUE (call_id, user_id)
      );
      CREATE INDEX history_user ON history(user_id, ended_at DESC, id DESC);
      CREATE INDEX history_missed ON history(user_id, ended_at) WHERE missed;
    `,
  },
  {
    version: 2,
    name: 'push registrations of mobile devices',
    sql: `
      CREATE TABLE push_registrations (
        device_id TEXT COLLATE "C" PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id TEXT COLLATE "C" NOT NULL,
        provider TEXT NOT NULL,
        token TEXT NOT NULL,
        bundle_id TEXT,
        environment TEXT,
        e2e_alg TEXT,
        e2e_public_key TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (provider, token)
      );
      CREATE INDEX push_registrations_user ON push_registrations(user_id);
    `,
  },
  {
    version: 3,
    name: 'signing secrets shared by every node',
    sql: `
      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'revocations seen by every node (user passwd / user remove)',
    sql: `
      CREATE TABLE revocations (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL,
        at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'support agents: roles, reason codes, state log, queues, wrap-up on history',
    sql: agentMigrationSql('postgres'),
  },
  {
    version: 6,
    name: 'queues: strategies, tiers, max-wait, service level, public; member levels; queue records',
    sql: queueMigrationSql('postgres'),
  },
];

/** Arbitrary constant: the advisory lock every node takes while migrating. */
const MIGRATION_LOCK_KEY = '7237119044925105006';

/**
 * Applies the migrations this database lacks, in one transaction under an
 * advisory lock: a second node starting at the same moment waits, then finds
 * nothing left to do. Returns the versions applied.
 */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
  log?: Logger,
): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    const newest = Math.max(0, ...done);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) {
      // A newer node migrated already (rolling upgrade). Migrations only add,
      // so this older code keeps working; say so in case it does not.
      log?.warn({ databaseVersion: newest, codeVersion: known }, 'database schema is newer than this server');
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (applied.length > 0) log?.info({ applied }, 'database migrated');
  return applied;
}
