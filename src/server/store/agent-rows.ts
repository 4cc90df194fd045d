/** Row → record mapping of the agent tables, shared by sqlite-agents.ts and postgres-agents.ts. */
import type { AgentLogEntry, AutoAnswer, Reason } from '../../shared/protocol/index.js';
import type { Row } from './rows.js';

const flag = (v: unknown): boolean => v === true || v === 1;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

export function reasonFromRow(r: Row): Reason {
  return { code: r.code as string, label: r.label as string, system: flag(r.system) };
}

export function logFromRow(r: Row): AgentLogEntry {
  return {
    at: Number(r.at),
    userId: r.user_id as string,
    from: r.from_state as AgentLogEntry['from'],
    to: r.to_state as AgentLogEntry['to'],
    reason: strOrNull(r.reason),
    by: r.actor as AgentLogEntry['by'],
    byUserId: strOrNull(r.by_user_id),
    callId: strOrNull(r.call_id),
    cause: r.cause as string,
  };
}

export function logParams(e: AgentLogEntry): unknown[] {
  return [e.userId, e.at, e.from, e.to, e.reason, e.by, e.byUserId, e.callId, e.cause];
}

export function autoAnswerFromRow(r: Row | undefined): AutoAnswer | undefined {
  return r ? (JSON.parse(r.auto_answer as string) as AutoAnswer) : undefined;
}

/** Removes control characters other than newline and tab (call notes are shown in other people's UIs). */
export function sanitizeNotes(notes: string): string {
  // eslint-disable-next-line no-control-regex
  return notes.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '').slice(0, 2000);
}
