/**
 * Two in-process nodes configured with REDIS_URL and DATABASE_URL (the
 * settings, not test overrides): the call flows that hold on one node hold
 * across two, with the same code above the storage interfaces.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/server/config.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../helpers/server.js';
import { startPostgres, startRedis, type PostgresService, type RedisService } from '../../helpers/services.js';

let redis: RedisService;
let postgres: PostgresService;
let a: TestServer;
let b: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const databaseUrl = await postgres.createDatabase('shared');
  const shared = { redisUrl: redis.url, databaseUrl, ringTimeoutMs: 1_500, loginFailuresPerUsername: 4, nodeTimeoutMs: 2_000 };
  [a, b] = await Promise.all([
    startTestServer({ ...shared, nodeId: 'in-proc-a' }),
    startTestServer({ ...shared, nodeId: 'in-proc-b' }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const d of open) d.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

async function device(server: TestServer, username: string) {
  const d = await connectDevice(server, username);
  open.push(d);
  return d;
}

describe('two nodes configured with REDIS_URL and DATABASE_URL', () => {
  it('share accounts and signing keys: a token from one node opens a socket on the other', async () => {
    await a.addUser('tess');
    const tokens = await a.login('tess');
    const onB = await connectDevice(b, 'tess', { token: tokens.accessToken });
    open.push(onB);
    const sync = await onB.request('session:sync', { calls: [] });
    expect(sync.user.username).toBe('tess');
    // And the refresh token rotates on the other node.
    const rotated = await b.api.refresh(tokens.refreshToken);
    expect(rotated.user.username).toBe('tess');
    await expect(a.api.refresh(tokens.refreshToken)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('concurrent accepts on both nodes: exactly one wins', async () => {
    const caller = await device(a, 'uma');
    const callees = [await device(a, 'vic'), await device(b, 'vic'), await device(a, 'vic'), await device(b, 'vic')];
    const { call } = await caller.request('call:invite', { to: { username: 'vic' } });
    expect((await caller.waitFor('call:ringing', (p) => p.call.callId === call.callId)).ringingDevices).toBe(4);
    await Promise.all(callees.map((d) => d.waitFor('call:incoming', (p) => p.call.callId === call.callId)));
    const results = await Promise.allSettled(callees.map((d) => d.request('call:accept', { callId: call.callId })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
    await caller.request('call:hangup', { callId: call.callId });
    expect(await a.storage.history.recordsForCall(call.callId)).toHaveLength(2);
  });

  it('decline on every device across nodes, busy and do-not-disturb, ring timeout', async () => {
    const caller = await device(a, 'walt');
    const x1 = await device(a, 'xena');
    const x2 = await device(b, 'xena');
    const declined = await caller.request('call:invite', { to: { username: 'xena' } });
    await x1.waitFor('call:incoming');
    await x2.waitFor('call:incoming');
    await x1.request('call:decline', { callId: declined.call.callId });
    await x2.request('call:decline', { callId: declined.call.callId });
    expect((await caller.waitFor('call:ended', (p) => p.call.callId === declined.call.callId)).call.outcome).toBe('declined');

    // Busy: xena is in a call answered on node B, a caller on node A is told busy.
    const other = await device(b, 'yuri');
    const first = await other.request('call:invite', { to: { username: 'xena' } });
    await x2.waitFor('call:incoming', (p) => p.call.callId === first.call.callId);
    await x2.request('call:accept', { callId: first.call.callId });
    const busy = await caller.request('call:invite', { to: { username: 'xena' } });
    expect(busy.call).toMatchObject({ state: 'ended', outcome: 'busy', endReason: 'busy' });
    await other.request('call:hangup', { callId: first.call.callId });

    await x1.request('presence:set', { status: 'dnd' });
    const dnd = await caller.request('call:invite', { to: { username: 'xena' } });
    expect(dnd.call).toMatchObject({ outcome: 'busy', endReason: 'dnd' });
    await x1.request('presence:set', { status: 'available' });

    const missed = await caller.request('call:invite', { to: { username: 'xena' } });
    const ended = await x2.waitFor('call:ended', (p) => p.call.callId === missed.call.callId, 10_000);
    expect(ended.call).toMatchObject({ outcome: 'missed', endReason: 'timeout' });
    const count = await x2.request('history:missed', {});
    expect(count.count).toBe(3); // busy, dnd and the timeout are missed calls for xena
  });

  it('presence is shared: a watcher on one node sees a user come and go on the other', async () => {
    const watcher = await device(a, 'zoe');
    const userId = await b.addUser('quinn');
    const sub = await watcher.request('presence:subscribe', { userIds: [userId] });
    expect(sub.presence[userId]).toBe('offline');
    const q = await device(b, 'quinn');
    await watcher.waitFor('presence:changed', (p) => p.userId === userId && p.presence === 'available');
    q.close();
    await watcher.waitFor('presence:changed', (p) => p.userId === userId && p.presence === 'offline');
  });

  it('a device that reconnects to the other node replaces its old connection there', async () => {
    const first = await connectDevice(a, 'rhea', { deviceId: 'rhea-desk' });
    const gone = new Promise<string>((resolve) => first.signaling.socket.once('disconnect', (reason) => resolve(reason)));
    const second = await connectDevice(b, 'rhea', { deviceId: 'rhea-desk' });
    open.push(second);
    // Node B asked node A, through the adapter, to drop the older socket.
    expect(await gone).toBe('io server disconnect');
    const watcher = await device(a, 'sven');
    const rhea = await a.storage.accounts.getUserByUsername('rhea');
    const sub = await watcher.request('presence:subscribe', { userIds: [rhea!.id] });
    expect(sub.presence[rhea!.id]).toBe('available');
  });

  it('rate limits are counted across nodes', async () => {
    await a.addUser('limit');
    // Four failed sign-ins for one username, spread over both nodes, use up its allowance of 4 ...
    for (const server of [a, b, a, b]) {
      await expect(server.api.login({ username: 'limit', password: 'wrong password' })).rejects.toMatchObject({ code: 'unauthorized' });
    }
    // ... so even the right password is throttled now, on either node (each alone counted only 2).
    await expect(a.api.login({ username: 'limit', password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(b.api.login({ username: 'limit', password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('after Redis loses its data, nodes restore open calls from the journal and have every client re-register', async () => {
    const lena = await device(a, 'lena');
    const omar = await device(b, 'omar');
    const [lenaRow, omarRow] = [await a.storage.accounts.getUserByUsername('lena'), await a.storage.accounts.getUserByUsername('omar')];
    const who = (u: typeof lenaRow) => ({ id: u!.id, username: u!.username, displayName: u!.displayName });
    // A call answered a minute ago, as the journal knows it; its live state is about to vanish.
    const callId = randomUUID();
    await a.storage.history.journalStart({ callId, caller: who(lenaRow), callee: who(omarRow), callerDeviceId: lena.deviceId, createdAt: Date.now() - 60_000 });
    await a.storage.history.journalAnswer(callId, Date.now() - 55_000, omar.deviceId);

    const dropped = [lena, omar].map((d) => new Promise<string>((resolve) => d.signaling.socket.once('disconnect', (reason) => resolve(reason))));
    const raw = new Redis(redis.url);
    await raw.flushall(); // a Redis restart without persistence
    raw.disconnect();
    // Each node notices at its next heartbeat (a quarter of NODE_TIMEOUT_MS) and drops its clients.
    expect(await Promise.all(dropped)).toEqual(['io server disconnect', 'io server disconnect']);

    const lena2 = await connectDevice(a, 'lena', { deviceId: lena.deviceId });
    const omar2 = await connectDevice(b, 'omar', { deviceId: omar.deviceId });
    open.push(lena2, omar2);
    const sync = await lena2.request('session:sync', { calls: [callId] });
    expect(sync.calls).toEqual([expect.objectContaining({ callId, state: 'answered', answeredDeviceId: omar.deviceId })]);
    await omar2.request('session:sync', { calls: [callId] });
    await lena2.request('call:hangup', { callId });
    const ended = await omar2.waitFor('call:ended', (p) => p.call.callId === callId);
    expect(ended.call).toMatchObject({ outcome: 'completed', endReason: 'hangup' });
    expect(await b.storage.history.recordsForCall(callId)).toHaveLength(2);
  });

  it('bad REDIS_URL, DATABASE_URL or NODE_ID values fail the start naming the variable', () => {
    expect(() => parseConfig({ redisUrl: 'localhost:6379' })).toThrow(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseConfig({ databaseUrl: 'mysql://db/x' })).toThrow(/DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(() => parseConfig({ nodeId: 'a b' })).toThrow(/NODE_ID/);
    const [one, two] = [parseConfig({}), parseConfig({})];
    expect(one.nodeId).toMatch(/^node-[0-9a-f]{6}$/);
    expect(one.nodeId).not.toBe(two.nodeId);
  });
});
