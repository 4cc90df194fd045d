/**
 * The PostgreSQL store against a real PostgreSQL: the same answers as the
 * SQLite store for the same operations, and atomicity when several nodes
 * (several pools) write at once.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from '../../../src/server/store/migrations/postgres.js';
import { PostgresStorage } from '../../../src/server/store/postgres.js';
import { SqliteStorage } from '../../../src/server/store/sqlite.js';
import type { NewHistoryRecord, Storage } from '../../../src/server/store/types.js';
import type { HistoryRecord, QueueCallRecord, UserSummary } from '../../../src/shared/protocol/index.js';
import { tempDir } from '../../helpers/server.js';
import { startPostgres, type PostgresService } from '../../helpers/services.js';

let postgres: PostgresService;
const open: Storage[] = [];
let dbCounter = 0;

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const s of open) await s.close();
  await postgres?.stop();
});

async function freshDatabase(): Promise<string> {
  return postgres.createDatabase(`store_${++dbCounter}`);
}

async function connect(url: string, opts: Parameters<typeof PostgresStorage.connect>[1] = {}) {
  const s = await PostgresStorage.connect(url, opts);
  open.push(s);
  return s;
}

function sqlite(): SqliteStorage {
  const s = new SqliteStorage(path.join(tempDir(), 'softphone.db'));
  open.push(s);
  return s;
}

const summary = (id: string, username: string): UserSummary => ({ id, username, displayName: username });

function records(callId: string, endedAt: number, opts: { missed?: boolean; answeredAt?: number | null } = {}): NewHistoryRecord[] {
  const answeredAt = opts.answeredAt ?? null;
  const outcome = answeredAt !== null ? 'completed' : opts.missed ? 'missed' : 'declined';
  const base = { callId, endReason: answeredAt !== null ? 'hangup' : 'timeout', startedAt: endedAt - 10_000, answeredAt, endedAt, answeredDeviceId: answeredAt !== null ? 'bob-desk' : null } as const;
  return [
    { ...base, userId: 'u-alice', direction: 'outgoing', peer: summary('u-bob', 'bob'), outcome, missed: false },
    { ...base, userId: 'u-bob', direction: 'incoming', peer: summary('u-alice', 'alice'), outcome, missed: !!opts.missed },
  ];
}

/** Strips what is random per store (ids) so two stores' answers compare. */
function plain(r: HistoryRecord) {
  const { id: _id, ...rest } = r;
  return rest;
}

/** Every operation of the Storage interface, with the answers collected. */
async function exercise(s: Storage): Promise<unknown[]> {
  const out: unknown[] = [];
  const note = (label: string, value: unknown) => out.push([label, value]);
  const attempt = async (label: string, fn: () => Promise<unknown>) => {
    try {
      note(label, await fn());
    } catch (err) {
      note(label, { error: (err as { code?: string }).code ?? String(err) });
    }
  };
  const users: [string, string, string][] = [
    ['u-alice', 'alice', 'Alice Liddell'],
    ['u-bob', 'bob', 'bob Marley'],
    ['u-carol', 'carol', 'Carol_Danvers'],
    ['u-dan', 'dan', 'Dan 100%'],
    ['u-emile', 'emile', 'Émile Zola'],
    ['u-zed', 'zed', 'ALICE Z'],
  ];
  for (const [id, username, displayName] of users) {
    const u = await s.accounts.createUser({ id, username, displayName, passwordHash: `hash-${username}` });
    note('created', { ...u, createdAt: typeof u.createdAt });
  }
  await attempt('duplicate', () => s.accounts.createUser({ id: 'u-x', username: 'alice', displayName: 'X', passwordHash: 'h' }));
  note('list', (await s.accounts.listUsers()).map((u) => u.username));
  for (const q of ['', 'a', 'A', 'ALI', 'li', '%', '_', '100%', 'é', 'É', 'zola', 'nobody']) {
    note(`search ${q}`, (await s.accounts.searchUsers(q, 10)).map((u) => u.username));
  }
  note('search limit', (await s.accounts.searchUsers('', 2)).map((u) => u.username));
  const updated = await s.accounts.updateUser('u-bob', { status: 'dnd', callWaiting: true, displayName: 'Bob M' });
  note('update', { ...updated, createdAt: 0 });
  note('update none', (await s.accounts.updateUser('u-bob', {}))?.status);
  note('update missing', await s.accounts.updateUser('u-nobody', { status: 'away' }));
  note('by name', (await s.accounts.getUserByUsername('carol'))?.id);
  note('by id missing', await s.accounts.getUserById('u-nobody'));

  const device = (id: string, userId: string, lastSeenAt: number) =>
    s.accounts.upsertDevice({ id, userId, kind: 'desktop', name: `${id} name`, appVersion: '1', lastSeenAt });
  note('device', await device('bob-desk', 'u-bob', 1_000));
  note('device again', await device('bob-desk', 'u-bob', 2_000));
  await attempt('device of another', () => device('bob-desk', 'u-alice', 3_000));
  await device('bob-web', 'u-bob', 4_000);
  note('devices', await s.accounts.listDevices('u-bob'));
  note('remove device', [await s.accounts.removeDevice('bob-web'), await s.accounts.removeDevice('bob-web')]);

  const token = { tokenHash: 'h1', userId: 'u-alice', familyId: 'f1', createdAt: 1, expiresAt: 99 };
  await s.accounts.insertRefreshToken(token);
  await s.accounts.insertRefreshToken({ ...token, tokenHash: 'h2' });
  note('token', await s.accounts.getRefreshToken('h1'));
  note('use', [await s.accounts.useRefreshToken('h1', 5), await s.accounts.useRefreshToken('h1', 6)]);
  note('revoked?', await s.accounts.isFamilyRevoked('f1'));
  await s.accounts.revokeFamily('f1', 7);
  note('revoked', [await s.accounts.isFamilyRevoked('f1'), await s.accounts.getRefreshToken('h2')]);
  note('use revoked', await s.accounts.useRefreshToken('h2', 8));
  await s.accounts.insertRefreshToken({ ...token, tokenHash: 'h3', familyId: 'f3' });
  await s.accounts.setPassword('u-alice', 'new-hash');
  note('password', [(await s.accounts.getUserById('u-alice'))?.passwordHash, (await s.accounts.getRefreshToken('h3'))?.revokedAt !== null]);

  // Call journal.
  const alice = summary('u-alice', 'alice');
  const bob = summary('u-bob', 'bob');
  note('journal', await s.history.journalStart({ callId: 'j1', caller: alice, callee: bob, callerDeviceId: 'a-desk', createdAt: 100 }));
  note('journal again', await s.history.journalStart({ callId: 'j1', caller: alice, callee: bob, callerDeviceId: 'a-desk', createdAt: 100 }));
  await s.history.journalStart({ callId: 'j2', caller: bob, callee: alice, callerDeviceId: 'bob-desk', createdAt: 50 });
  await s.history.journalAnswer('j1', 150, 'bob-desk');
  note('get journal', await s.history.getJournal('j1'));
  note('unfinished', (await s.history.unfinishedCalls()).map((j) => j.callId));
  const first = await s.history.finishCall('j1', { endedAt: 200, outcome: 'completed', endReason: 'hangup' }, records('j1', 200, { answeredAt: 150 }));
  const second = await s.history.finishCall('j1', { endedAt: 999, outcome: 'failed', endReason: 'server_restart' }, records('j1', 999));
  note('finish', first.map(plain));
  note('finish twice', [second.map(plain), JSON.stringify(second.map((r) => r.id).sort()) === JSON.stringify(first.map((r) => r.id).sort())]);
  note('journal ended', await s.history.getJournal('j1'));
  note('unfinished after', (await s.history.unfinishedCalls()).map((j) => j.callId));

  // History: distinct end times (ties are ordered by random ids, checked separately).
  for (let i = 0; i < 23; i++) {
    await s.history.finishCall(`h${i}`, { endedAt: 1_000 + i * 10, outcome: 'missed', endReason: 'timeout' }, records(`h${i}`, 1_000 + i * 10, { missed: i % 3 === 0 }));
  }
  await s.accounts.updateUser('u-bob', { lastSeenMissedAt: 1_100 });
  let cursor: string | undefined;
  const pages: unknown[] = [];
  do {
    const page = await s.history.listHistory('u-bob', { cursor, limit: 7, lastSeenMissedAt: 1_100 });
    pages.push(page.items.map((r) => [r.callId, r.endedAt, r.missed, r.seen, r.durationSec]));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  note('pages', pages);
  note('missed', [await s.history.missedCount('u-bob', 0), await s.history.missedCount('u-bob', 1_100), await s.history.missedCount('u-alice', 0)]);
  note('records for call', (await s.history.recordsForCall('h3')).map(plain));

  // Push registrations.
  await device('bob-phone', 'u-bob', 5_000);
  await device('bob-tablet', 'u-bob', 5_000);
  await device('alice-phone', 'u-alice', 5_000);
  const reg = (deviceId: string, userId: string, tokenValue: string) =>
    s.push.savePushRegistration(
      { deviceId, userId, familyId: 'f9', provider: 'apns', token: tokenValue, bundleId: 'org.example', environment: 'sandbox', e2e: null },
      6_000,
    );
  note('push', await reg('bob-phone', 'u-bob', 'tok-1'));
  await attempt('push other user', () => reg('bob-phone', 'u-alice', 'tok-1'));
  await attempt('push no device', () => reg('nope', 'u-bob', 'tok-1'));
  note('push same token moves', [await reg('bob-tablet', 'u-bob', 'tok-1'), await s.push.getPushRegistration('bob-phone')]);
  note('push list', await s.push.listPushRegistrations('u-bob'));
  note('push remove stale', await s.push.removePushRegistration('bob-tablet', 'tok-old'));
  note('push remove', [await s.push.removePushRegistration('bob-tablet', 'tok-1'), await s.push.listPushRegistrations('u-bob')]);

  // Queues (store/queue-types.ts): settings, members with levels, the wallboard's day counts.
  const q = <T extends { createdAt: number } | undefined>(row: T) => (row ? { ...row, createdAt: 0 } : row);
  note('queue add', q(await s.queues.add({ id: 'support', name: 'Support', strategy: 'ring-all', public: true })));
  await attempt('queue add again', () => s.queues.add({ id: 'support' }));
  note('queue defaults', q(await s.queues.add({ id: 'sales' })));
  note('queue update', q(await s.queues.update('support', { maxWaitSec: 60, joinEmpty: false, dispositions: [{ code: 'solved', label: 'Solved' }] })));
  note('queue update nothing', [q(await s.queues.update('support', {})), await s.queues.update('nope', { name: 'Nope' })]);
  note('members', [
    await s.queues.setMember('support', 'u-alice'),
    await s.queues.setMember('support', 'u-carol', 2),
    await s.queues.setMember('support', 'u-alice', 3),
    await s.queues.setMember('sales', 'u-alice'),
  ]);
  note('member lists', [await s.queues.members('support'), await s.queues.queuesOf('u-alice'), await s.queues.allMembers()]);
  note('member remove', [await s.queues.removeMember('support', 'u-carol'), await s.queues.removeMember('support', 'u-carol')]);
  const queueCall = (id: string, outcome: 'answered' | 'abandoned' | 'refused', waitMs: number, talkMs: number) => {
    const start = 50_000;
    const answeredAt = outcome === 'answered' ? start + waitMs : null;
    const endedAt = start + waitMs + talkMs;
    const qc: QueueCallRecord = { outcome, waitSec: Math.round(waitMs / 1000), talkSec: Math.round(talkMs / 1000), offers: [], callerKind: 'guest' };
    const base = { callId: id, endReason: 'hangup', startedAt: start, answeredAt, endedAt, answeredDeviceId: null, queue: { id: 'support', name: 'Support' }, queueCall: qc } as const;
    const recs: NewHistoryRecord[] = [{ ...base, userId: `g-${id}`, direction: 'outgoing', peer: summary('queue-support', 'support'), outcome: 'completed', missed: false }];
    if (answeredAt !== null) recs.push({ ...base, userId: 'u-alice', direction: 'incoming', peer: summary(`g-${id}`, 'guest'), outcome: 'completed', missed: false });
    return s.history.finishCall(id, { endedAt, outcome: 'completed', endReason: 'hangup' }, recs);
  };
  await queueCall('q1', 'answered', 5_000, 60_000);
  await queueCall('q2', 'abandoned', 40_000, 0);
  await queueCall('q3', 'answered', 30_000, 20_000);
  await queueCall('q4', 'refused', 0, 0);
  note('day counts', [await s.queues.dayCounts('support', 0, 20), await s.queues.dayCounts('support', 200_000, 20), await s.queues.dayCounts('sales', 0, 20)]);
  note('handled', [await s.queues.handledSince(0), await s.queues.handledSince(200_000)]);
  note('queue records', (await s.history.recordsForCall('q1')).map(plain));
  note('queue remove', [await s.queues.remove('sales'), await s.queues.remove('sales'), (await s.queues.list()).map((x) => x.id), await s.queues.queuesOf('u-alice')]);

  note('remove user', [await s.accounts.removeUser('u-bob'), await s.accounts.removeUser('u-bob')]);
  note('after removal', [await s.accounts.listDevices('u-bob'), await s.history.missedCount('u-bob', 0), await s.accounts.getUserById('u-bob')]);
  note('peer history kept', (await s.history.listHistory('u-alice', { limit: 3, lastSeenMissedAt: 0 })).items.length);
  return out;
}

describe('same answers as SQLite', () => {
  it('for every operation of the storage interfaces', async () => {
    const pgStore = await connect(await freshDatabase());
    const expected = await exercise(sqlite());
    const actual = await exercise(pgStore);
    for (let i = 0; i < expected.length; i++) expect(actual[i], JSON.stringify((expected[i] as unknown[])[0])).toEqual(expected[i]);
    expect(actual).toHaveLength(expected.length);
  });

  it("counts a queue's day as a supervisor would by hand", async () => {
    for (const s of [sqlite(), await connect(await freshDatabase())]) {
      const answers = await exercise(s);
      const counts = answers.find((a) => (a as unknown[])[0] === 'day counts') as [string, unknown[]];
      // q1 answered after 5 s (within 20 s) and talked 60 s; q3 answered after 30 s, talked 20 s;
      // q2 abandoned; q4 refused. Nothing ended after 200 s; the sales queue had no call.
      expect(counts[1][0]).toEqual({
        answered: 2,
        abandoned: 1,
        unanswered: 0,
        refused: 1,
        answeredWithinServiceLevel: 1,
        totalWaitMs: 35_000,
        totalTalkMs: 80_000,
      });
      expect(counts[1][1]).toMatchObject({ answered: 0, abandoned: 0, refused: 0 });
      expect(counts[1][2]).toMatchObject({ answered: 0, abandoned: 0, refused: 0 });
      const handled = answers.find((a) => (a as unknown[])[0] === 'handled') as [string, unknown[]];
      expect(handled[1]).toEqual([{ 'u-alice': 2 }, {}]);
    }
  });

  it('pages records that end at the same instant in (endedAt, id) byte order, each exactly once', async () => {
    for (const s of [sqlite(), await connect(await freshDatabase())]) {
      for (let i = 0; i < 20; i++) {
        await s.history.finishCall(`t${i}`, { endedAt: 5_000 + (i % 4), outcome: 'missed', endReason: 'timeout' }, records(`t${i}`, 5_000 + (i % 4)));
      }
      const seen: HistoryRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.history.listHistory('u-alice', { cursor, limit: 3, lastSeenMissedAt: 0 });
        seen.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen.map((r) => r.callId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
      const order = [...seen].sort((a, b) => b.endedAt - a.endedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      expect(seen.map((r) => r.id)).toEqual(order.map((r) => r.id));
    }
  });
});

describe('several nodes on one database', () => {
  it('nodes starting together migrate once (advisory lock) and share one set of secrets', async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([connect(url), connect(url), connect(url)]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    await client.end();
    // Each migration exactly once (1..4 today: users, push, secrets, revocations).
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const secrets = await Promise.all(stores.map((s) => s.sharedSecrets()));
    expect(new Set(secrets.map((x) => x.jwtSecret)).size).toBe(1);
    expect(new Set(secrets.map((x) => x.turnSecret)).size).toBe(1);
    expect(secrets[0]!.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('a call finished by several nodes at once has exactly one record per participant', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    const alice = summary('u-alice', 'alice');
    const bob = summary('u-bob', 'bob');
    await a.history.journalStart({ callId: 'race', caller: alice, callee: bob, callerDeviceId: 'a', createdAt: 1 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).history.finishCall('race', { endedAt: 10 + i, outcome: 'missed', endReason: 'timeout' }, records('race', 10 + i, { missed: true })),
      ),
    );
    const stored = await a.history.recordsForCall('race');
    expect(stored).toHaveLength(2);
    for (const r of results) expect(r.map((x) => x.id).sort()).toEqual(stored.map((x) => x.id).sort());
    expect((await b.history.getJournal('race'))?.endedAt).toBe(stored[0]!.endedAt);
  });

  it('a refresh token presented to several nodes at once is spent exactly once', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    await a.accounts.createUser({ id: 'u-1', username: 'one', displayName: 'One', passwordHash: 'h' });
    await a.accounts.insertRefreshToken({ tokenHash: 'once', userId: 'u-1', familyId: 'f', createdAt: 1, expiresAt: Date.now() + 60_000 });
    const uses = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).accounts.useRefreshToken('once', i)));
    expect(uses.filter(Boolean)).toHaveLength(1);
  });

  it('recovery leaves calls another node is setting up right now alone', async () => {
    const url = await freshDatabase();
    const store = await connect(url, { recoverMinAgeMs: 10_000 });
    const alice = summary('u-alice', 'alice');
    const bob = summary('u-bob', 'bob');
    await store.history.journalStart({ callId: 'old', caller: alice, callee: bob, callerDeviceId: 'a', createdAt: Date.now() - 60_000 });
    await store.history.journalStart({ callId: 'new', caller: alice, callee: bob, callerDeviceId: 'a', createdAt: Date.now() });
    expect((await store.history.unfinishedCalls()).map((j) => j.callId)).toEqual(['old']);
  });

  it('an unreachable database fails the start with a clear message, without the password', async () => {
    const url = `postgres://postgres:s3cret@127.0.0.1:${postgres.port + 1}/nope`;
    const err = await PostgresStorage.connect(url).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/nope is not usable/);
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('a closed store refuses work instead of hanging', async () => {
    const store = await PostgresStorage.connect(await freshDatabase());
    const pending = store.accounts.listUsers();
    await store.close();
    await expect(pending).resolves.toEqual([]);
    expect(await store.ready()).toBe(false);
    await expect(store.accounts.getUserById(randomUUID())).rejects.toMatchObject({ code: 'internal' });
  });
});
