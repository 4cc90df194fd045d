/**
 * Agent administration for the CLI (docs/agents.md): roles and reason codes (queues and their
 * members: queue-admin.ts, queue-cli.ts). Every input is checked with the protocol's schemas, so the CLI cannot store what
 * a client could not send.
 */
import type { z } from 'zod';
import { ProtocolError, ROLES, Reason, ReasonCode, type Role } from '../shared/protocol/index.js';
import { createQueueFromFlags } from './queue-cli.js';
import type { AgentStore } from './store/agent-types.js';
import type { QueueRow, QueueStore } from './store/queue-types.js';
import type { AccountStore, UserRow } from './store/types.js';

function parseOr<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ProtocolError('bad_request', `invalid ${what}: ${r.error.issues[0]?.message ?? 'bad value'}`);
  return r.data;
}

/** `agent,supervisor` → roles; `none` or empty → no role. */
export function parseRoleList(list: string | undefined): Role[] {
  if (list === undefined || list.trim() === '' || list.trim() === 'none') return [];
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r)) throw new ProtocolError('bad_request', `unknown role ${r} (roles: ${ROLES.join(', ')})`);
  }
  return [...new Set(roles)] as Role[];
}

export async function setUserRoles(accounts: AccountStore, agents: AgentStore, username: string, roles: Role[]): Promise<UserRow> {
  const user = await accounts.getUserByUsername(username);
  if (!user) throw new ProtocolError('not_found', `no user ${username}`);
  await agents.setRoles(user.id, roles);
  return { ...user, roles };
}

export async function addReason(agents: AgentStore, code: string | undefined, label: string | undefined): Promise<Reason> {
  const c = parseOr(ReasonCode, code, 'reason code');
  const l = parseOr(Reason.shape.label, label ?? c, 'label');
  return agents.addReason(c, l);
}

/**
 * A queue from CLI-style options (tests and the bench use it): the same path as `queue add`
 * (queue-cli.ts), so the same checks.
 */
export async function addQueue(
  queues: QueueStore,
  id: string | undefined,
  opts: { name?: string; ringTimeout?: string; wrapUp?: string; dispositions?: string; required?: string },
): Promise<QueueRow> {
  return createQueueFromFlags({ queues }, id, {
    name: opts.name,
    'agent-ring-timeout': opts.ringTimeout,
    'wrap-up': opts.wrapUp,
    dispositions: opts.dispositions,
    'disposition-required': opts.required,
  });
}
