/**
 * Durable storage of support agents (docs/agents.md): roles, reason codes, the agent state
 * log, per-agent auto-answer, and the wrap-up (disposition +
 * notes) saved on the agent's history record. SQLite: sqlite-agents.ts; PostgreSQL:
 * postgres-agents.ts.
 */
import type { AgentLogEntry, AutoAnswer, Reason, Role } from '../../shared/protocol/index.js';

/**
 * Built-in reason codes, seeded by the migration; `system` ones are set by the server.
 * The migration text is built from this list: never change it, add a migration instead.
 */
export const BUILTIN_REASONS: readonly Reason[] = [
  { code: 'break', label: 'Break', system: false },
  { code: 'lunch', label: 'Lunch', system: false },
  { code: 'meeting', label: 'Meeting', system: false },
  { code: 'training', label: 'Training', system: false },
  { code: 'away', label: 'Away', system: true },
  { code: 'missed', label: 'Missed', system: true },
];

export interface AgentStore {
  /**
   * Replaces the user's roles. When a role is taken away it also records a revocation, so
   * running servers close the user's open sockets (a demoted supervisor's wallboard
   * subscription ends with them). An added role needs none: every event reads the roles.
   */
  setRoles(userId: string, roles: Role[]): Promise<boolean>;
  listReasons(): Promise<Reason[]>;
  /** `conflict` when the code exists. */
  addReason(code: string, label: string): Promise<Reason>;
  /** System reasons cannot be removed (`forbidden`). */
  removeReason(code: string): Promise<boolean>;
  appendLog(entries: AgentLogEntry[]): Promise<void>;
  /** Newest first. */
  listLog(userId: string, opts: { limit: number; before?: number }): Promise<AgentLogEntry[]>;
  getAutoAnswer(userId: string): Promise<AutoAnswer | undefined>;
  setAutoAnswer(userId: string, autoAnswer: AutoAnswer): Promise<void>;
  /** Writes the agent's disposition and notes on their history record of the call. */
  saveWrapUp(callId: string, userId: string, disposition: string | null, notes: string): Promise<boolean>;
}

/** True when `after` lacks a role `before` had (a demotion). */
export function lostRole(before: readonly Role[], after: readonly Role[]): boolean {
  return before.some((r) => !after.includes(r));
}

/** SQL shared by both stores' migrations (TEXT for JSON columns, read by rows.ts). */
export function agentMigrationSql(kind: 'sqlite' | 'postgres'): string {
  const int = kind === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const bool = kind === 'sqlite' ? 'INTEGER' : 'BOOLEAN';
  const id = kind === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  const serial = kind === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  const t = kind === 'sqlite' ? '1' : 'TRUE';
  const f = kind === 'sqlite' ? '0' : 'FALSE';
  const seeds = BUILTIN_REASONS.map((r, i) => `('${r.code}', '${r.label}', ${r.system ? t : f}, ${i})`).join(', ');
  return `
    ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '';
    ALTER TABLE history ADD COLUMN queue TEXT;
    ALTER TABLE history ADD COLUMN disposition TEXT;
    ALTER TABLE history ADD COLUMN notes TEXT;
    CREATE TABLE agent_reasons (
      code ${id} PRIMARY KEY,
      label TEXT NOT NULL,
      system ${bool} NOT NULL,
      position ${int} NOT NULL
    );
    INSERT INTO agent_reasons (code, label, system, position) VALUES ${seeds};
    CREATE TABLE agent_log (
      id ${serial},
      user_id ${id} NOT NULL,
      at ${int} NOT NULL,
      from_state TEXT NOT NULL,
      to_state TEXT NOT NULL,
      reason TEXT,
      actor TEXT NOT NULL,
      by_user_id TEXT,
      call_id TEXT,
      cause TEXT NOT NULL
    );
    CREATE INDEX agent_log_user ON agent_log(user_id, at, id);
    CREATE TABLE queues (
      id ${id} PRIMARY KEY,
      name TEXT NOT NULL,
      agent_ring_timeout_sec ${int} NOT NULL,
      wrap_up_sec ${int} NOT NULL,
      dispositions TEXT NOT NULL,
      disposition_required ${bool} NOT NULL,
      created_at ${int} NOT NULL
    );
    CREATE TABLE queue_members (
      queue_id ${id} NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
      user_id ${id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      PRIMARY KEY (queue_id, user_id)
    );
    CREATE TABLE agent_settings (
      user_id ${id} PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      auto_answer TEXT NOT NULL
    );`;
}
