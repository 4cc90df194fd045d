/**
 * Queue administration shared by the CLI (queue-cli.ts) and the admin HTTP API
 * (http/admin-routes.ts): every setting is parsed with the protocol's schemas (QueueCreate,
 * QueueUpdate, MemberLevel), so neither can store what the other would refuse. Errors are
 * ProtocolErrors with stable codes; `field` renders a schema field the way the caller's user
 * knows it (a CLI flag, or the JSON key).
 */
import type { z } from 'zod';
import {
  MemberLevel,
  ProtocolError,
  QueueCreate,
  QueueId,
  QueueUpdate,
  type QueueConfig,
  type QueueMember,
} from '../shared/protocol/index.js';
import type { QueueRow } from './store/queue-types.js';
import type { Storage, UserRow } from './store/types.js';

export type QueueAdminStorage = Pick<Storage, 'accounts' | 'queues'>;
/** How a schema field is named to the user: `--max-wait` on the CLI, `maxWaitSec` over HTTP. */
export type FieldName = (field: string) => string;

const asKey: FieldName = (f) => f;

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, field: FieldName = asKey, what = 'payload'): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const where = path.length > 0 ? [field(path[0]!), ...path.slice(1)].join('.') : what;
  throw new ProtocolError('bad_request', `${where}: ${issue?.message ?? 'invalid value'}`.slice(0, 200));
}

/** A required disposition needs dispositions to choose from (checked on the merged settings). */
function checkConsistent(q: Pick<QueueConfig, 'dispositions' | 'dispositionRequired'>, field: FieldName): void {
  if (q.dispositionRequired && q.dispositions.length === 0) {
    throw new ProtocolError('bad_request', `${field('dispositionRequired')}: a required disposition needs ${field('dispositions')}`);
  }
}

export async function getQueue(s: QueueAdminStorage, id: unknown): Promise<QueueRow> {
  const queueId = parseWith(QueueId, id, asKey, 'queue id');
  const q = await s.queues.get(queueId);
  if (!q) throw new ProtocolError('not_found', `no queue ${queueId}`);
  return q;
}

/** `conflict` when the id exists. Unset settings take QUEUE_DEFAULTS (store/queue-types.ts). */
export async function createQueue(s: Pick<QueueAdminStorage, 'queues'>, input: unknown, field: FieldName = asKey): Promise<QueueRow> {
  const q = parseWith(QueueCreate, input, field);
  checkConsistent({ dispositions: q.dispositions ?? [], dispositionRequired: q.dispositionRequired ?? false }, field);
  return s.queues.add(q);
}

export async function updateQueue(s: QueueAdminStorage, id: unknown, input: unknown, field: FieldName = asKey): Promise<QueueRow> {
  const current = await getQueue(s, id);
  const patch = parseWith(QueueUpdate, input, field);
  checkConsistent({ ...current, ...patch }, field);
  const updated = await s.queues.update(current.id, patch);
  if (!updated) throw new ProtocolError('not_found', `no queue ${current.id}`);
  return updated;
}

/** Removes the queue and its memberships; the records of its calls stay. */
export async function removeQueue(s: QueueAdminStorage, id: unknown): Promise<QueueRow> {
  const q = await getQueue(s, id);
  if (!(await s.queues.remove(q.id))) throw new ProtocolError('not_found', `no queue ${q.id}`);
  return q;
}

/** A user named by id (HTTP) or by username (CLI). */
export type UserRef = { userId: string } | { username: string };

async function findUser(s: QueueAdminStorage, ref: UserRef): Promise<UserRow> {
  const u = 'userId' in ref ? await s.accounts.getUserById(ref.userId) : await s.accounts.getUserByUsername(ref.username.trim().toLowerCase());
  if (!u) throw new ProtocolError('not_found', `no user ${'userId' in ref ? ref.userId : ref.username}`);
  return u;
}

/** The queue's members, in serving order (level, then when they joined). */
export async function listMembers(s: QueueAdminStorage, id: unknown): Promise<QueueMember[]> {
  const q = await getQueue(s, id);
  const rows = await s.queues.members(q.id);
  const out: QueueMember[] = [];
  for (const m of rows) {
    const u = await s.accounts.getUserById(m.userId);
    // A removed account's membership goes with it; skip one caught in between.
    if (!u) continue;
    out.push({ queueId: q.id, user: { id: u.id, username: u.username, displayName: u.displayName }, level: m.level, position: m.position });
  }
  return out;
}

/** Adds an agent to the queue, or changes their level (keeping their place in member order). */
export async function setMember(s: QueueAdminStorage, id: unknown, ref: UserRef, level: unknown, field: FieldName = asKey): Promise<QueueMember> {
  const q = await getQueue(s, id);
  const lvl = level === undefined ? undefined : parseWith(MemberLevel, level, asKey, field('level'));
  const u = await findUser(s, ref);
  if (!u.roles.includes('agent')) {
    throw new ProtocolError('bad_request', `${u.username} is not an agent (give them the role first: user role ${u.username} agent)`);
  }
  const m = await s.queues.setMember(q.id, u.id, lvl);
  return { queueId: q.id, user: { id: u.id, username: u.username, displayName: u.displayName }, level: m.level, position: m.position };
}

/** `not_found` when the user was not a member. */
export async function removeMember(s: QueueAdminStorage, id: unknown, ref: UserRef): Promise<UserRow> {
  const q = await getQueue(s, id);
  const u = await findUser(s, ref);
  if (!(await s.queues.removeMember(q.id, u.id))) throw new ProtocolError('not_found', `${u.username} is not a member of ${q.id}`);
  return u;
}
