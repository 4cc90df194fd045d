/**
 * The `queue` commands of the server CLI (docs/support-line.md "Create a queue", "Add agents"):
 * flags become a QueueCreate / QueueUpdate object and go through queue-admin.ts, the same
 * checks the admin HTTP API makes. A bad value is a ProtocolError naming the flag (cli.ts prints
 * its message and exits non-zero).
 */
import { Disposition, ProtocolError, type QueueCreate, type QueueMember } from '../shared/protocol/index.js';
import {
  createQueue,
  parseWith,
  getQueue,
  listMembers,
  removeMember,
  removeQueue,
  setMember,
  updateQueue,
  type FieldName,
  type QueueAdminStorage,
} from './queue-admin.js';
import type { QueueRow } from './store/queue-types.js';

type Kind = 'text' | 'seconds' | 'yes-no' | 'dispositions';
/** Flag → queue setting. Order = the order `queue list` and the usage show them. */
const FLAGS = [
  ['name', 'name', 'text'],
  ['strategy', 'strategy', 'text'],
  ['agent-ring-timeout', 'agentRingTimeoutSec', 'seconds'],
  ['wrap-up', 'wrapUpSec', 'seconds'],
  ['max-wait', 'maxWaitSec', 'seconds'],
  ['service-level', 'serviceLevelSec', 'seconds'],
  ['join-empty', 'joinEmpty', 'yes-no'],
  ['public', 'public', 'yes-no'],
  ['tier-wait', 'tierWaitSec', 'seconds'],
  ['dispositions', 'dispositions', 'dispositions'],
  ['disposition-required', 'dispositionRequired', 'yes-no'],
] as const satisfies readonly (readonly [string, keyof QueueCreate, Kind])[];

type FlagName = (typeof FLAGS)[number][0];
export type QueueFlags = Partial<Record<FlagName | 'level', string>>;

/** parseArgs options of the queue commands (merged into cli.ts's). */
export const QUEUE_OPTIONS = Object.fromEntries([...FLAGS.map(([flag]) => [flag, { type: 'string' }]), ['level', { type: 'string' }]]) as Record<
  FlagName | 'level',
  { type: 'string' }
>;

export const QUEUE_USAGE = `  npm run server -- queue add <id> --name "Name" [--strategy longest-idle|ring-all|round-robin|fewest-calls|top-down]
                    [--agent-ring-timeout 15] [--wrap-up 0] [--max-wait 600] [--service-level 20]
                    [--join-empty yes|no] [--public yes|no] [--tier-wait 30]
                    [--dispositions "solved:Solved,callback:Call back"] [--disposition-required yes|no]
  npm run server -- queue update <id> [any of the flags of queue add]
  npm run server -- queue list | queue remove <id>
  npm run server -- queue member add <queue> <username> [--level 1] | queue member remove <queue> <username>
  npm run server -- queue members <queue>`;

const flagOf: FieldName = (field) => {
  const f = FLAGS.find(([, key]) => key === field);
  if (f) return `--${f[0]}`;
  return field === 'id' ? 'queue id' : field === 'level' ? '--level' : field;
};

/** `solved:Solved,callback:Call back` → dispositions. */
export function parseDispositions(list: string | undefined): Disposition[] {
  if (!list) return [];
  return list.split(',').map((item) => {
    const [code, ...rest] = item.split(':');
    return parseWith(Disposition, { code: code?.trim(), label: (rest.join(':') || code || '').trim() }, (f) => `--dispositions ${item.trim()}: ${f}`, `--dispositions ${item.trim()}`);
  });
}

const YES = ['yes', 'y', 'true', 'on', '1'];
const NO = ['no', 'n', 'false', 'off', '0'];

function flagValue(flag: string, kind: Kind, raw: string): unknown {
  const v = raw.trim();
  switch (kind) {
    case 'text':
      return raw;
    case 'seconds':
      if (!/^\d+$/.test(v)) throw new ProtocolError('bad_request', `--${flag}: "${raw}" is not a whole number of seconds`);
      return Number(v);
    case 'yes-no':
      if (YES.includes(v.toLowerCase())) return true;
      if (NO.includes(v.toLowerCase())) return false;
      throw new ProtocolError('bad_request', `--${flag}: say yes or no (got "${raw}")`);
    case 'dispositions':
      return v === '' || v === 'none' ? [] : parseDispositions(v);
  }
}

/** The settings the flags name (only those given). */
export function settingsFromFlags(flags: QueueFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, key, kind] of FLAGS) {
    const raw = flags[flag];
    if (raw !== undefined) out[key] = flagValue(flag, kind, raw);
  }
  return out;
}

export function createQueueFromFlags(s: Pick<QueueAdminStorage, 'queues'>, id: string | undefined, flags: QueueFlags): Promise<QueueRow> {
  if (!id) throw new ProtocolError('bad_request', 'queue add needs a queue id, e.g. queue add support --name "Support"');
  return createQueue(s, { id, ...settingsFromFlags(flags) }, flagOf);
}

// ───────────────────────────── output ─────────────────────────────

/** Columns padded to their widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const secs = (n: number) => `${n}s`;
const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const dispositionList = (d: Disposition[]) => d.map((x) => (x.code === x.label ? x.code : `${x.code}:${x.label}`)).join(',') || '-';

/** One queue's settings, one per line (after add / update). */
export function describeSettings(q: QueueRow): string {
  const rows: [string, string][] = [
    ['name', q.name],
    ['strategy', q.strategy],
    ['agent ring timeout', secs(q.agentRingTimeoutSec)],
    ['wrap-up', secs(q.wrapUpSec)],
    ['max wait', q.maxWaitSec === 0 ? 'no limit' : secs(q.maxWaitSec)],
    ['service level', secs(q.serviceLevelSec)],
    ['join empty', yesNo(q.joinEmpty)],
    ['public', yesNo(q.public)],
    ['tier wait', secs(q.tierWaitSec)],
    ['dispositions', dispositionList(q.dispositions) + (q.dispositionRequired ? ' (required)' : '')],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(18)}  ${v}`).join('\n');
}

export function queueTable(queues: { q: QueueRow; members: number }[]): string {
  if (queues.length === 0) return 'no queues (add one: queue add <id> --name "Name")';
  return table(
    ['ID', 'NAME', 'STRATEGY', 'RING', 'WRAP-UP', 'MAX WAIT', 'SERVICE LEVEL', 'JOIN EMPTY', 'PUBLIC', 'TIER WAIT', 'MEMBERS', 'DISPOSITIONS'],
    queues.map(({ q, members }) => [
      q.id,
      q.name,
      q.strategy,
      secs(q.agentRingTimeoutSec),
      secs(q.wrapUpSec),
      q.maxWaitSec === 0 ? 'none' : secs(q.maxWaitSec),
      secs(q.serviceLevelSec),
      yesNo(q.joinEmpty),
      yesNo(q.public),
      secs(q.tierWaitSec),
      String(members),
      dispositionList(q.dispositions) + (q.dispositionRequired ? ' (required)' : ''),
    ]),
  );
}

export function memberTable(queueId: string, members: QueueMember[]): string {
  if (members.length === 0) return `${queueId} has no members (add one: queue member add ${queueId} <username> --level 1)`;
  return table(
    ['USERNAME', 'NAME', 'LEVEL'],
    members.map((m) => [m.user.username, m.user.displayName, String(m.level)]),
  );
}

// ───────────────────────────── the command ─────────────────────────────

/** Runs `queue <sub> …`; returns what to print. */
export async function queueCommand(s: QueueAdminStorage, args: string[], flags: QueueFlags): Promise<string> {
  const [sub, a, b, c] = args;
  switch (sub) {
    case 'add': {
      const q = await createQueueFromFlags(s, a, flags);
      return `added queue ${q.id}\n${describeSettings(q)}`;
    }
    case 'update': {
      if (!a) throw new ProtocolError('bad_request', 'queue update needs a queue id');
      const settings = settingsFromFlags(flags);
      if (Object.keys(settings).length === 0) throw new ProtocolError('bad_request', `queue update ${a}: give at least one setting to change, e.g. --wrap-up 30`);
      const q = await updateQueue(s, a, settings, flagOf);
      return `updated queue ${q.id}\n${describeSettings(q)}`;
    }
    case 'remove': {
      if (!a) throw new ProtocolError('bad_request', 'queue remove needs a queue id');
      const q = await removeQueue(s, a);
      return `removed queue ${q.id} and its memberships (the records of its calls stay)`;
    }
    case 'list': {
      const queues = await s.queues.list();
      const all = await s.queues.allMembers();
      return queueTable(queues.map((q) => ({ q, members: all.filter((m) => m.queueId === q.id).length })));
    }
    case 'members': {
      if (!a) throw new ProtocolError('bad_request', 'queue members needs a queue id');
      const q = await getQueue(s, a);
      return memberTable(q.id, await listMembers(s, q.id));
    }
    case 'member': {
      if (!b || !c || (a !== 'add' && a !== 'remove')) {
        throw new ProtocolError('bad_request', 'usage: queue member add <queue> <username> [--level 1] | queue member remove <queue> <username>');
      }
      if (a === 'add') {
        const level = flags.level?.trim();
        if (level !== undefined && !/^\d+$/.test(level)) throw new ProtocolError('bad_request', `--level: "${flags.level}" is not a level (1 is offered first)`);
        const m = await setMember(s, b, { username: c }, level === undefined ? undefined : Number(level), flagOf);
        return `${m.user.username} is a member of ${m.queueId} at level ${m.level}`;
      }
      const u = await removeMember(s, b, { username: c });
      return `${u.username} left ${b}`;
    }
    default:
      throw new ProtocolError('bad_request', `usage:\n${QUEUE_USAGE}`);
  }
}
