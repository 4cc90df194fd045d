/**
 * SQLite schema migrations, applied in order (index + 1 = schema version) by sqlite.ts
 * inside one BEGIN IMMEDIATE transaction; never edit one that has shipped, add a new one.
 */
import { agentMigrationSql } from '../agent-types.js';
import { queueMigrationSql } from '../queue-rows.js';

export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     display_name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'available',
     call_waiting INTEGER NOT NULL DEFAULT 0,
     last_seen_missed_at INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     app_version TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL
   );
   CREATE INDEX devices_user ON devices(user_id);
   CREATE TABLE refresh_tokens (
     token_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     family_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER,
     revoked_at INTEGER
   );
   CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
   CREATE TABLE calls (
     call_id TEXT PRIMARY KEY,
     caller TEXT NOT NULL,
     callee TEXT NOT NULL,
     caller_device_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     answered_at INTEGER,
     answered_device_id TEXT,
     ended_at INTEGER,
     outcome TEXT,
     end_reason TEXT
   );
   CREATE INDEX calls_unfinished ON calls(created_at) WHERE ended_at IS NULL;
   CREATE TABLE history (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     direction TEXT NOT NULL,
     peer TEXT NOT NULL,
     outcome TEXT NOT NULL,
     end_reason TEXT NOT NULL,
     missed INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     answered_at INTEGER,
     ended_at INTEGER NOT NULL,
     answered_device_id TEXT,
     UNIQUE (call_id, user_id)
   );
   CREATE INDEX history_user ON history(user_id, ended_at DESC, id DESC);
   CREATE INDEX history_missed ON history(user_id, ended_at) WHERE missed = 1;`,
  // 2: push credentials of mobile devices (src/server/push, docs/mobile.md).
  `CREATE TABLE push_registrations (
     device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
     user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     family_id TEXT NOT NULL,
     provider TEXT NOT NULL,
     token TEXT NOT NULL,
     bundle_id TEXT,
     environment TEXT,
     e2e_alg TEXT,
     e2e_public_key TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (provider, token)
   );
   CREATE INDEX push_registrations_user ON push_registrations(user_id);`,
  // 3: sessions ended by `user passwd` / `user remove`, seen by a running server (auth/revocation-watch.ts).
  `CREATE TABLE revocations (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     at INTEGER NOT NULL
   );`,
  // 4: support agents: roles, reason codes, state log, queues, wrap-up on history (store/agent-types.ts).
  agentMigrationSql('sqlite'),
  // 5: queues: strategies, tiers, max-wait, service level, public; member levels; queue records (store/queue-rows.ts).
  queueMigrationSql('sqlite'),
];
