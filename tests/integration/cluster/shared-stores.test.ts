/**
 * Two in-process nodes configured with REDIS_URL and DATABASE_URL (the
 * settings, not test overrides): the call flows that hold on one node hold
 * across two, with the same code above the storage interfaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  const shared = { redisUrl: redis.url, databaseUrl, ringTimeoutMs: 1_500, loginFailuresPerUsername: 4 };
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
});
