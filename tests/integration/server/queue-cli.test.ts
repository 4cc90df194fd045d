/**
 * The `queue` commands of the server CLI (docs/support-line.md "Create a queue", "Add agents"),
 * run as the real process against a real SQLite data dir: what they print, what they store,
 * and that every bad value is refused with a message naming the flag and a non-zero exit,
 * never a stack trace.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/server/config.js';
import { QUEUE_OPTIONS, queueCommand, type QueueFlags } from '../../../src/server/queue-cli.js';
import { openStorage } from '../../../src/server/store/open.js';
import { QUEUE_DEFAULTS } from '../../../src/server/store/queue-types.js';
import { ProtocolError } from '../../../src/shared/protocol/index.js';
import { tempDir } from '../../helpers/server.js';

const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as `npm run server --` runs it (tsx), on its own data dir. */
async function cli(dataDir: string, args: string[], input?: string): Promise<Result> {
  const p = run('node_modules/.bin/tsx', ['src/server/cli.ts', ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' },
  });
  if (input !== undefined) {
    p.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function ok(dataDir: string, args: string[], input?: string): Promise<string> {
  const r = await cli(dataDir, args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function stored<T>(dataDir: string, read: (s: Awaited<ReturnType<typeof openStorage>>) => Promise<T>): Promise<T> {
  const storage = await openStorage(parseConfig({ dataDir, logLevel: 'silent' }));
  try {
    return await read(storage);
  } finally {
    await storage.close();
  }
}

describe('queue commands', () => {
  it('add (the issue’s command line) → list → update → members with levels → remove', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    // The first alone (it creates the store), then a few at once.
    const added = await ok(dir, [
      'queue', 'add', 'support', '--name', 'Support', '--strategy', 'longest-idle', '--agent-ring-timeout', '15',
      '--wrap-up', '30', '--max-wait', '600', '--service-level', '20', '--join-empty', 'yes',
    ]);
    await Promise.all([
      // Unset settings take the documented defaults.
      ok(dir, ['queue', 'add', 'sales', '--strategy', 'ring-all', '--public', 'yes', '--dispositions', 'won:Won deal,lost', '--disposition-required', 'yes']),
      ok(dir, ['user', 'add', 'bob', '--name', 'Bob Agent', '--role', 'agent', '--password-stdin'], 'bob-password-1\n'),
      ok(dir, ['user', 'add', 'dora', '--name', 'Dora Agent', '--role', 'agent', '--password-stdin'], 'dora-password-1\n'),
      ok(dir, ['user', 'add', 'carl', '--name', 'Carl Caller', '--password-stdin'], 'carl-password-1\n'),
    ]);
    expect(added).toMatch(/^added queue support$/m);
    expect(added).toMatch(/^ {2}wrap-up +30s$/m);

    const support = await stored(dir, (s) => s.queues.get('support'));
    expect(support).toMatchObject({
      id: 'support',
      name: 'Support',
      strategy: 'longest-idle',
      agentRingTimeoutSec: 15,
      wrapUpSec: 30,
      maxWaitSec: 600,
      serviceLevelSec: 20,
      joinEmpty: true,
      public: QUEUE_DEFAULTS.public,
      tierWaitSec: QUEUE_DEFAULTS.tierWaitSec,
    });
    expect(await stored(dir, (s) => s.queues.get('sales'))).toMatchObject({
      name: 'sales',
      strategy: 'ring-all',
      public: true,
      wrapUpSec: QUEUE_DEFAULTS.wrapUpSec,
      maxWaitSec: QUEUE_DEFAULTS.maxWaitSec,
      dispositions: [
        { code: 'won', label: 'Won deal' },
        { code: 'lost', label: 'lost' },
      ],
      dispositionRequired: true,
    });

    // Members: levels, a level change keeps the place, the member table.
    expect(await ok(dir, ['queue', 'member', 'add', 'support', 'bob', '--level', '1'])).toMatch(/bob is a member of support at level 1/);
    const [dora] = await Promise.all([
      ok(dir, ['queue', 'member', 'add', 'support', 'dora', '--level', '2']),
      ok(dir, ['queue', 'member', 'add', 'sales', 'dora']),
    ]);
    expect(dora).toMatch(/dora is a member of support at level 2/);
    const members = (await ok(dir, ['queue', 'members', 'support'])).trim().split('\n');
    expect(members[0]).toMatch(/^USERNAME +NAME +LEVEL$/);
    expect(members.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      ['bob', 'Bob Agent', '1'],
      ['dora', 'Dora Agent', '2'],
    ]);

    const list = (await ok(dir, ['queue', 'list'])).trim().split('\n');
    expect(list[0]).toMatch(/^ID +NAME +STRATEGY +RING +WRAP-UP +MAX WAIT +SERVICE LEVEL +JOIN EMPTY +PUBLIC +TIER WAIT +MEMBERS +DISPOSITIONS$/);
    const rows = list.slice(1).map((l) => l.split(/ {2,}/));
    expect(rows).toEqual([
      ['sales', 'sales', 'ring-all', '15s', '0s', '600s', '20s', 'yes', 'yes', '30s', '1', 'won:Won deal,lost (required)'],
      ['support', 'Support', 'longest-idle', '15s', '30s', '600s', '20s', 'yes', 'no', '30s', '2', '-'],
    ]);

    // Update: only the flags given change.
    const updated = await ok(dir, ['queue', 'update', 'support', '--join-empty', 'no', '--tier-wait', '45', '--max-wait', '0', '--name', 'Support desk']);
    expect(updated).toMatch(/^ {2}max wait +no limit$/m);
    expect(await stored(dir, (s) => s.queues.get('support'))).toEqual({
      ...support,
      name: 'Support desk',
      joinEmpty: false,
      tierWaitSec: 45,
      maxWaitSec: 0,
    });
    // Clearing the dispositions of a queue that requires one is refused; both together are fine.
    expect((await cli(dir, ['queue', 'update', 'sales', '--dispositions', 'none'])).code).not.toBe(0);
    await ok(dir, ['queue', 'update', 'sales', '--dispositions', 'none', '--disposition-required', 'no']);

    // A level change keeps bob's place; removal; the member table follows.
    await ok(dir, ['queue', 'member', 'add', 'support', 'bob', '--level', '3']);
    const levels = await stored(dir, (s) => s.queues.members('support'));
    expect(levels.map((m) => [m.level, m.position])).toEqual([
      [2, 2],
      [3, 1],
    ]);
    expect(await ok(dir, ['queue', 'member', 'remove', 'support', 'bob'])).toMatch(/bob left support/);
    expect((await ok(dir, ['queue', 'members', 'support'])).trim().split('\n').slice(1)).toEqual([expect.stringMatching(/^dora +Dora Agent +2$/)]);

    expect(await ok(dir, ['queue', 'remove', 'sales'])).toMatch(/removed queue sales/);
    expect(await stored(dir, async (s) => [await s.queues.get('sales'), await s.queues.queuesOf((await s.accounts.getUserByUsername('dora'))!.id)])).toEqual([
      undefined,
      ['support'],
    ]);
    expect((await ok(dir, ['queue', 'list'])).trim().split('\n')).toHaveLength(2);
  });

  it('refuses every bad value with a message naming it and a non-zero exit, never a stack trace', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    await ok(dir, ['queue', 'add', 'support', '--name', 'Support']);
    await ok(dir, ['user', 'add', 'carl', '--password-stdin'], 'carl-password-1\n');
    await ok(dir, ['user', 'add', 'bob', '--role', 'agent', '--password-stdin'], 'bob-password-1\n');
    const cases: [string[], RegExp][] = [
      [['queue', 'add', 'Support!'], /queue id: lower-case letters/],
      [['queue', 'add'], /queue add needs a queue id/],
      [['queue', 'add', 'support'], /queue support already exists/],
      [['queue', 'add', 'q1', '--strategy', 'fastest'], /--strategy: .*longest-idle/],
      [['queue', 'add', 'q2', '--agent-ring-timeout', '0'], /--agent-ring-timeout: .*>=1/],
      [['queue', 'add', 'q3', '--max-wait', 'ten'], /--max-wait: "ten" is not a whole number of seconds/],
      [['queue', 'add', 'q4', '--wrap-up', '1.5'], /--wrap-up: "1.5" is not a whole number of seconds/],
      [['queue', 'add', 'q5', '--service-level', '99999'], /--service-level: .*<=3600/],
      [['queue', 'add', 'q6', '--join-empty', 'maybe'], /--join-empty: say yes or no \(got "maybe"\)/],
      [['queue', 'add', 'q7', '--public', 'sure'], /--public: say yes or no/],
      [['queue', 'add', 'q8', '--tier-wait=-1'], /--tier-wait: "-1" is not a whole number of seconds/],
      [['queue', 'add', 'q9', '--disposition-required', 'yes'], /--disposition-required: a required disposition needs --dispositions/],
      [['queue', 'add', 'q10', '--dispositions', 'Bad Code'], /--dispositions Bad Code: code: lower-case letters/],
      [['queue', 'add', 'q11', '--name', ' '], /--name: /],
      [['queue', 'add', 'q12', '--colour', 'red'], /Unknown option '--colour'/],
      [['queue', 'update', 'support'], /give at least one setting/],
      [['queue', 'update', 'nosuch', '--wrap-up', '3'], /no queue nosuch/],
      [['queue', 'remove', 'nosuch'], /no queue nosuch/],
      [['queue', 'members', 'nosuch'], /no queue nosuch/],
      [['queue', 'member', 'add', 'support', 'carl'], /carl is not an agent/],
      [['queue', 'member', 'add', 'support', 'nobody'], /no user nobody/],
      [['queue', 'member', 'add', 'support', 'bob', '--level', '10'], /--level: .*<=9/],
      [['queue', 'member', 'add', 'support', 'bob', '--level', 'top'], /--level: "top" is not a level/],
      [['queue', 'member', 'remove', 'support', 'bob'], /bob is not a member of support/],
      [['queue', 'member', 'join', 'support', 'bob'], /usage: queue member add/],
      [['queue', 'frobnicate'], /usage:/],
    ];
    // A few at a time: each is a whole tsx process.
    // Every case in-process against the same store (fast) …
    await stored(dir, async (storage) => {
      for (const [args, message] of cases) {
        if (args.includes('--colour')) continue; // only the real command line refuses unknown flags
        const { values, positionals } = parseArgs({ args, options: { ...QUEUE_OPTIONS }, allowPositionals: true, strict: false });
        const err = await queueCommand(storage, positionals.slice(1), values as QueueFlags).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, args.join(' ')).toBeInstanceOf(ProtocolError);
        expect((err as Error).message, args.join(' ')).toMatch(message);
      }
    });
    // … and a few through the real process: the message on stderr, a non-zero exit, no stack trace.
    const real = [0, 3, 5, 12, 14, 19];
    const results = await Promise.all(real.map((i) => cli(dir, cases[i]![0])));
    results.forEach((r, j) => {
      const [args, message] = cases[real[j]!]!;
      const what = `${args.join(' ')} → ${r.code}: ${r.stderr}`;
      expect(r.code, what).not.toBe(0);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).not.toMatch(/^\s+at /m);
    });
    // Nothing was stored by any of them.
    expect(await stored(dir, async (s) => [(await s.queues.list()).map((q) => q.id), (await s.queues.members('support')).length])).toEqual([['support'], 0]);
  });
});
