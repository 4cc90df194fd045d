/**
 * The Redis live state against a real Redis, with several instances standing
 * in for several nodes: the atomic transitions hold across them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLiveState, type RedisLiveOptions } from '../../../src/server/live/redis.js';
import type { LiveCall, OnlineDevice } from '../../../src/server/live/types.js';
import { startRedis, type RedisService } from '../../helpers/services.js';
import { quietFor, waitFor } from '../../helpers/wait.js';

let redis: RedisService;
const clients: Redis[] = [];
const states: RedisLiveState[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of states) await s.close();
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

/** Nodes sharing one key space (each its own connection, like separate processes). */
function nodes(count: number, opts: Partial<RedisLiveOptions> = {}): RedisLiveState[] {
  const keyPrefix = `t${++prefixCounter}:`;
  return Array.from({ length: count }, (_, i) => {
    const client = new Redis(redis.url);
    clients.push(client);
    const s = new RedisLiveState(client, { nodeId: `n${i}`, keyPrefix, endedCallRetentionMs: 60_000, ...opts });
    states.push(s);
    return s;
  });
}

function call(callId: string, patch: Partial<LiveCall> = {}): LiveCall {
  const now = Date.now();
  return {
    callId,
    version: 0,
    state: 'ringing',
    caller: { id: 'u-alice', username: 'alice', displayName: 'Alice' },
    callee: { id: 'u-bob', username: 'bob', displayName: 'Bob' },
    callerDeviceId: 'alice-desk',
    ringingDeviceIds: ['bob-desk'],
    declinedDeviceIds: [],
    answeredDeviceId: null,
    createdAt: now,
    answeredAt: null,
    ringDeadline: now + 30_000,
    endedAt: null,
    outcome: null,
    endReason: null,
    lostDevices: {},
    ...patch,
  };
}

function device(deviceId: string, socketId: string, userId = 'u-bob'): OnlineDevice {
  return { userId, deviceId, kind: 'desktop', name: deviceId, socketId, connectedAt: Date.now() };
}

describe('calls', () => {
  it('insert is NX; compare-and-set lets exactly one of racing nodes win', async () => {
    const [a, b, c] = nodes(3);
    expect(await a!.calls.insert(call('c1'))).toBe(true);
    expect(await b!.calls.insert(call('c1', { ringingDeviceIds: [] }))).toBe(false);
    expect((await c!.calls.get('c1'))?.ringingDeviceIds).toEqual(['bob-desk']);

    const attempts = [a!, b!, c!, a!, b!, c!].map((s, i) =>
      s.calls.compareAndSet(call('c1', { version: 1, state: 'answered', answeredDeviceId: `dev-${i}` }), 0),
    );
    const results = await Promise.all(attempts);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    const stored = await b!.calls.get('c1');
    expect(stored).toMatchObject({ version: 1, state: 'answered', answeredDeviceId: `dev-${winner}` });
    // A stale version never overwrites.
    expect(await c!.calls.compareAndSet(call('c1', { version: 1 }), 0)).toBe(false);
  });

  it('active calls per user; ending removes them, clears the deadline and sets the expiry', async () => {
    const [a, b] = nodes(2);
    await a!.calls.insert(call('c2'));
    await a!.calls.insert(call('c3', { callee: { id: 'u-carol', username: 'carol', displayName: 'Carol' } }));
    expect((await b!.calls.activeForUser('u-alice')).map((c) => c.callId)).toEqual(['c2', 'c3']);
    expect((await b!.calls.activeForUser('u-bob')).map((c) => c.callId)).toEqual(['c2']);
    await a!.calls.setDeadline('c2', Date.now() + 60_000);

    const ended = call('c2', { version: 1, state: 'ended', outcome: 'cancelled', endReason: 'cancelled', endedAt: Date.now() });
    expect(await b!.calls.compareAndSet(ended, 0)).toBe(true);
    expect(await a!.calls.activeForUser('u-bob')).toEqual([]);
    expect((await a!.calls.activeForUser('u-alice')).map((c) => c.callId)).toEqual(['c3']);
    expect((await a!.calls.get('c2'))?.state).toBe('ended'); // still readable for late claims
    const raw = clients[clients.length - 1]!;
    const prefix = `t${prefixCounter}:`;
    const ttl = await raw.pttl(`${prefix}call:c2`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await raw.zscore(`${prefix}deadlines`, 'c2')).toBeNull();
    await a!.calls.expire('c2', 1);
    await waitFor(async () => (await b!.calls.get('c2')) === undefined, 'the ended call to expire after 1 ms', { timeoutMs: 1_000 });
  });
});

describe('deadlines', () => {
  it('each due deadline fires once across all nodes, on time, whoever set it', async () => {
    const group = nodes(3, { deadlinePollMs: 100 });
    const fired: { callId: string; node: number; at: number }[] = [];
    group.forEach((s, node) => s.calls.onDeadline((callId) => fired.push({ callId, node, at: Date.now() })));
    const due = Date.now() + 400;
    const ids = Array.from({ length: 30 }, (_, i) => `d${i}`);
    for (const [i, id] of ids.entries()) {
      await group[i % 3]!.calls.insert(call(id));
      await group[i % 3]!.calls.setDeadline(id, due);
    }
    await waitFor(() => fired.length >= ids.length, 'all 30 deadlines to fire', { timeoutMs: 3_000 });
    // No event would announce a duplicate firing: give every node three more polls to make one.
    await quietFor(300, 'a second firing of any deadline');
    expect(fired.map((f) => f.callId).sort()).toEqual([...ids].sort());
    for (const f of fired) {
      expect(f.at).toBeGreaterThanOrEqual(due - 5);
      expect(f.at).toBeLessThan(due + 400);
    }
  });

  it('a node that set a deadline and died: another node fires it within a poll interval', async () => {
    const [setter, survivor] = nodes(2, { deadlinePollMs: 100 });
    const fired: string[] = [];
    setter!.calls.onDeadline((id) => fired.push(`setter:${id}`));
    survivor!.calls.onDeadline((id) => fired.push(`survivor:${id}`));
    await setter!.calls.insert(call('orphan'));
    const due = Date.now() + 300;
    await setter!.calls.setDeadline('orphan', due);
    await setter!.close(); // its timers die with it
    await waitFor(() => fired.length > 0, 'the orphaned deadline to fire', { timeoutMs: 2_000 });
    expect(fired).toEqual(['survivor:orphan']);
    expect(Date.now() - due).toBeLessThan(500);
  });

  it('a claimed deadline whose handler never finished falls due again after the lease; ended calls are dropped', async () => {
    const [n] = nodes(1, { deadlinePollMs: 50, deadlineLeaseMs: 300 });
    const fired: string[] = [];
    n!.calls.onDeadline((id) => fired.push(id)); // never clears or re-arms: like a node dying mid-handler
    await n!.calls.insert(call('stuck'));
    await n!.calls.insert(call('done'));
    await n!.calls.setDeadline('stuck', Date.now());
    await n!.calls.setDeadline('done', Date.now());
    await waitFor(() => fired.length === 2, 'both due deadlines to fire', { timeoutMs: 1_000 });
    expect(fired.sort()).toEqual(['done', 'stuck']);
    const ended = call('done', { version: 1, state: 'ended', outcome: 'missed', endReason: 'timeout', endedAt: Date.now() });
    expect(await n!.calls.compareAndSet(ended, 0)).toBe(true);
    // Both leases run out together: the live call fires again, the ended one is dropped.
    await waitFor(() => fired.filter((id) => id === 'stuck').length === 2, 'the stuck deadline to fire again after its lease', {
      timeoutMs: 2_000,
    });
    expect(fired.filter((id) => id === 'done')).toHaveLength(1);
    await n!.calls.clearDeadline('stuck');
  });

  it('moving a deadline later cancels the earlier firing, also for the node holding the old local timer', async () => {
    const [a, b] = nodes(2, { deadlinePollMs: 50 });
    const fired: { id: string; at: number }[] = [];
    a!.calls.onDeadline((id) => fired.push({ id: `a:${id}`, at: Date.now() }));
    b!.calls.onDeadline((id) => fired.push({ id: `b:${id}`, at: Date.now() }));
    await a!.calls.insert(call('moved'));
    await a!.calls.setDeadline('moved', Date.now() + 150);
    const later = Date.now() + 600;
    await b!.calls.setDeadline('moved', later);
    await waitFor(() => fired.length > 0, 'the moved deadline to fire', { timeoutMs: 3_000 });
    // The first firing is the later deadline's: the earlier one (150 ms) never fired.
    expect(fired).toHaveLength(1);
    expect(fired[0]!.at).toBeGreaterThanOrEqual(later - 5);
  });
});

describe('device registry', () => {
  it('a reconnect on another node replaces the entry; the old connection\'s late disconnect is ignored', async () => {
    const [a, b] = nodes(2);
    expect(await a!.devices.connect(device('bob-desk', 's1'))).toBeUndefined();
    expect(await a!.devices.connect(device('bob-desk', 's1'))).toBeUndefined(); // same connection again
    const replaced = await b!.devices.connect(device('bob-desk', 's2'));
    expect(replaced).toMatchObject({ deviceId: 'bob-desk', socketId: 's1' });
    expect(replaced).not.toHaveProperty('node');
    expect(await a!.devices.disconnect('u-bob', 'bob-desk', 's1')).toBe(false);
    expect((await a!.devices.get('u-bob', 'bob-desk'))?.socketId).toBe('s2');
    await b!.devices.connect(device('bob-web', 's3'));
    expect((await a!.devices.list('u-bob')).map((d) => d.deviceId).sort()).toEqual(['bob-desk', 'bob-web']);
    expect(await b!.devices.disconnect('u-bob', 'bob-desk', 's2')).toBe(true);
    expect((await a!.devices.list('u-bob')).map((d) => d.deviceId)).toEqual(['bob-web']);
  });

  it('a dead node\'s devices are released once, except those that reconnected elsewhere', async () => {
    const [dead, x, y] = nodes(3);
    await dead!.heartbeat(true);
    await dead!.devices.connect(device('d1', 's1', 'u-1'));
    await dead!.devices.connect(device('d2', 's2', 'u-2'));
    await dead!.devices.connect(device('d3', 's3', 'u-3'));
    await x!.devices.connect(device('d3', 's3-again', 'u-3')); // d3 came back through x
    const silentSince = Date.now() + 1;
    expect(await x!.silentNodes(silentSince)).toContain('n0');
    const [fromX, fromY] = await Promise.all([
      x!.releaseNode('n0', { silentSince }),
      y!.releaseNode('n0', { silentSince }),
    ]);
    const winner = fromX ?? fromY;
    expect([fromX, fromY].filter((r) => r !== undefined)).toHaveLength(1);
    expect(winner!.map((d) => d.deviceId).sort()).toEqual(['d1', 'd2']);
    expect(await y!.devices.list('u-1')).toEqual([]);
    expect((await y!.devices.get('u-3', 'd3'))?.socketId).toBe('s3-again');
    expect(await x!.silentNodes(silentSince)).not.toContain('n0');
    // The released node finds out at its next heartbeat.
    expect(await dead!.heartbeat()).toBe(false);
  });
});

describe('presence cache', () => {
  it('swap returns the previous value atomically', async () => {
    const [a, b] = nodes(2);
    expect(await a!.presence.swap('u-1', 'available')).toBeUndefined();
    expect(await b!.presence.swap('u-1', 'busy')).toBe('available');
    expect(await a!.presence.swap('u-1', 'busy')).toBe('busy');
  });
});
