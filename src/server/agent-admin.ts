/**
 * Agent administration for the CLI (docs/agents.md): roles, reason codes, queues and their
 * members. Every input is checked with the protocol's schemas, so the CLI cannot store what
 * a client could not send.
 */
import { z } from 'zod';
import { Disposition, ProtocolError, QueueId, ROLES, Reason, ReasonCode, type Role } from '../shared/protocol/index.js';
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

/** `solved:Solved,callback:Call back` → dispositions. */
export function parseDispositions(list: string | undefined): Disposition[] {
  if (!list) return [];
  return list.split(',').map((item) => {
    const [code, ...rest] = item.split(':');
    return parseOr(Disposition, { code: code?.trim(), label: (rest.join(':') || code || '').trim() }, `disposition ${item}`);
  });
}

const yes = (v: string | undefined) => v !== undefined && ['1', 'yes', 'true', 'on'].includes(v.toLowerCase());

export async function addQueue(
  queues: QueueStore,
  id: string | undefined,
  opts: { name?: string; ringTimeout?: string; wrapUp?: string; dispositions?: string; required?: string },
): Promise<QueueRow> {
  const queueId = parseOr(QueueId, id, 'queue id');
  const dispositions = parseDispositions(opts.dispositions);
  const required = yes(opts.required);
  if (required && dispositions.length === 0) throw new ProtocolError('bad_request', 'a required disposition needs --dispositions');
  return queues.add({
    id: queueId,
    name: parseOr(z.string().trim().min(1).max(80), opts.name ?? queueId, 'queue name'),
    agentRingTimeoutSec: parseOr(z.coerce.number().int().min(1).max(600), opts.ringTimeout ?? '15', '--agent-ring-timeout'),
    wrapUpSec: parseOr(z.coerce.number().int().min(0).max(3600), opts.wrapUp ?? '0', '--wrap-up'),
    dispositions,
    dispositionRequired: required,
  });
}

export async function queueMember(
  accounts: AccountStore,
  queues: QueueStore,
  action: string | undefined,
  queueId: string | undefined,
  username: string | undefined,
): Promise<string> {
  const queue = queueId ? await queues.get(queueId) : undefined;
  if (!queue) throw new ProtocolError('not_found', `no queue ${queueId ?? ''}`);
  const user = username ? await accounts.getUserByUsername(username) : undefined;
  if (!user) throw new ProtocolError('not_found', `no user ${username ?? ''}`);
  if (action === 'add') {
    if (!user.roles.includes('agent')) throw new ProtocolError('bad_request', `${user.username} is not an agent (user role ${user.username} agent)`);
    await queues.setMember(queue.id, user.id);
    return `${user.username} is a member of ${queue.id}`;
  }
  if (action === 'remove') {
    const removed = await queues.removeMember(queue.id, user.id);
    return removed ? `${user.username} left ${queue.id}` : `${user.username} was not a member of ${queue.id}`;
  }
  throw new ProtocolError('bad_request', 'queue member add|remove <queue> <username>');
}

export function describeQueue(q: QueueRow, members: number): string {
  const disp = q.dispositions.map((d) => `${d.code}:${d.label}`).join(',') || '-';
  return `${q.id}\t${q.name}\tring ${q.agentRingTimeoutSec}s\twrap-up ${q.wrapUpSec}s\tdispositions ${disp}${q.dispositionRequired ? ' (required)' : ''}\t${members} members`;
}
