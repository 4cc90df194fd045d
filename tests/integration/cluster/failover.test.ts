/**
 * Several signaling nodes on one Redis and one PostgreSQL, each a real child
 * process. Clients reach them like in production: straight to a node, or
 * through a load balancer that sends new connections to whichever node is
 * alive. Nodes are killed with SIGKILL (no shutdown code runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import type { CallInfo } from '../../../src/shared/contract.js';
import { POSTGRES_MIGRATIONS } from '../../../src/server/store/migrations/postgres.js';
import { waitForState } from '../../helpers/phone.js';
import { startBalancer, type Balancer } from './support/balancer.js';
import { ClusterHarness } from './support/cluster.js';
import type { NodeProcess } from './support/node-process.js';

const RING_TIMEOUT_MS = 4_000;
const NODE_TIMEOUT_MS = 3_000;

let cluster: ClusterHarness;
let nodeA: NodeProcess;
let nodeB: NodeProcess;
const balancers: Balancer[] = [];

beforeAll(async () => {
  cluster = await ClusterHarness.start({
    RING_TIMEOUT_MS: String(RING_TIMEOUT_MS),
    NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS),
    CALL_RECONNECT_GRACE_MS: '30000',
  });
  // Started together: both run the migrations at once (advisory lock).
  [nodeA, nodeB] = (await cluster.startNodes('node-a', 'node-b')) as [NodeProcess, NodeProcess];
}, 90_000);

afterAll(async () => {
  for (const b of balancers) await b.close();
  await cluster?.stop();
}, 60_000);

async function balancer(...nodes: NodeProcess[]): Promise<Balancer> {
  const b = await startBalancer(nodes.map((n) => n.port));
  balancers.push(b);
  return b;
}

function callOn(phone: Softphone, callId: string, predicate: (c: CallInfo) => boolean, timeoutMs = 10_000, what = 'call state') {
  return waitForState(
    phone,
    (s) => {
      const c = s.calls.find((x) => x.callId === callId);
      return c !== undefined && predicate(c);
    },
    timeoutMs,
    what,
  );
}

async function recordsOf(callId: string) {
  const records = await cluster.storage.history.recordsForCall(callId);
  return records.map((r) => ({ direction: r.direction, peer: r.peer.username, outcome: r.outcome, missed: r.missed }));
}

describe('two nodes, one Redis, one PostgreSQL', () => {
  it('both nodes applied the schema once', async () => {
    const { rows } = await queryVersions();
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    const migrated = [nodeA, nodeB].filter((n) => n.logs.some((l) => l.msg === 'database migrated'));
    expect(migrated).toHaveLength(1);
  });

  it('routes a call across nodes; a call survives the death of the caller\'s node', async () => {
    const lb = await balancer(nodeA, nodeB); // prefers A while it lives
    const alice = await cluster.phone(lb.url, 'alice');
    expect(lb.forwarded.get(nodeA.port)).toBeGreaterThan(0);
    const bobOnA = await cluster.device(nodeA.url, 'bob', 'desktop');
    const bobOnB = await cluster.device(nodeB.url, 'bob', 'web');
    // Erin's only device is on A: once A is dead, another node must take her offline.
    const erinId = await cluster.addUser('erin');
    await cluster.device(nodeA.url, 'erin');
    const watcher = await cluster.device(nodeB.url, 'walt');
    const sub = await watcher.request('presence:subscribe', { userIds: [erinId] });
    expect(sub.presence[erinId]).toBe('available');

    const call = await alice.dial({ username: 'bob' });
    await Promise.all([
      bobOnA.waitFor('call:incoming', (p) => p.call.callId === call.callId),
      bobOnB.waitFor('call:incoming', (p) => p.call.callId === call.callId),
    ]);

    // Accepted on B: A's ringing device is told at once, through the Redis adapter.
    const acceptedAt = performance.now();
    await bobOnB.request('call:accept', { callId: call.callId });
    const elsewhere = await bobOnA.waitFor('call:answered-elsewhere', (p) => p.call.callId === call.callId, 1_000);
    expect(elsewhere.call.answeredDeviceId).toBe(bobOnB.deviceId);
    // Requirement: 200 ms (awaited with a 1 s timeout above; measured here for the record).
    console.log(`answered-elsewhere across nodes after ${(elsewhere.receivedAt - acceptedAt).toFixed(1)} ms`);
    await callOn(alice, call.callId, (c) => c.local === 'active', 5_000, 'answered');

    // Media signaling is relayed between nodes too.
    await alice.sendSignal(call.callId, { type: 'offer', sdp: 'v=0 from alice' });
    await bobOnB.waitFor('call:signal', (p) => p.signal.type === 'offer');

    // Node A dies. The balancer cuts its connections; the caller reconnects, lands on B.
    const connectsBefore = alice.stats.connects;
    await nodeA.kill();
    await waitForState(
      alice,
      (s) => s.connection === 'connected' && alice.stats.connects > connectsBefore,
      10_000,
      'reconnected to node B',
    );
    expect(lb.forwarded.get(nodeB.port)).toBeGreaterThan(0);
    await callOn(alice, call.callId, (c) => c.local === 'active', 5_000, 'call kept after failover');

    // Both directions still work on the surviving node.
    const heard = new Promise((resolve) => {
      const off = alice.on('signal', (s) => {
        if (s.callId === call.callId && s.signal.type === 'hold') {
          off();
          resolve(s);
        }
      });
    });
    await bobOnB.request('call:signal', { callId: call.callId, signal: { type: 'hold', held: true } });
    await heard;

    await alice.hangup(call.callId);
    const ended = await bobOnB.waitFor('call:ended', (p) => p.call.callId === call.callId);
    expect(ended.call).toMatchObject({ outcome: 'completed', endReason: 'hangup' });
    expect(await recordsOf(call.callId)).toEqual(
      expect.arrayContaining([
        { direction: 'outgoing', peer: 'bob', outcome: 'completed', missed: false },
        { direction: 'incoming', peer: 'alice', outcome: 'completed', missed: false },
      ]),
    );
    expect(await cluster.storage.history.recordsForCall(call.callId)).toHaveLength(2);
    const page = await alice.historyPage();
    expect(page.items.filter((r) => r.callId === call.callId)).toHaveLength(1);

    // The dead node's devices are released by a survivor after NODE_TIMEOUT_MS.
    const offline = await watcher.waitFor(
      'presence:changed',
      (p) => p.userId === erinId && p.presence === 'offline',
      NODE_TIMEOUT_MS + 5_000,
    );
    expect(offline.presence).toBe('offline');
  }, 60_000);

  it('a ring started on a node that dies still ends as missed on time; another is still answered', async () => {
    const [nodeC] = await cluster.startNodes('node-c');
    const lb = await balancer(nodeC!, nodeB);
    const carol = await cluster.phone(lb.url, 'carol');
    const gina = await cluster.phone(lb.url, 'gina');
    const dave = await cluster.device(nodeB.url, 'dave');
    const hank = await cluster.device(nodeB.url, 'hank');

    const toMiss = await carol.dial({ username: 'dave' });
    const toAnswer = await gina.dial({ username: 'hank' });
    await dave.waitFor('call:incoming', (p) => p.call.callId === toMiss.callId);
    await hank.waitFor('call:incoming', (p) => p.call.callId === toAnswer.callId);

    // Node C set both deadlines (and holds the precise timers); it dies now.
    await nodeC!.kill();

    // A pending call of the dead node can still be answered on another.
    await hank.request('call:accept', { callId: toAnswer.callId });
    await callOn(gina, toAnswer.callId, (c) => c.local === 'active', 10_000, 'answered after failover');

    // The other times out on schedule: a survivor claims the deadline from Redis.
    const ended = await dave.waitFor('call:ended', (p) => p.call.callId === toMiss.callId, RING_TIMEOUT_MS + 5_000);
    const lateMs = performance.timeOrigin + ended.receivedAt - toMiss.ringDeadline;
    console.log(`ring deadline met ${lateMs.toFixed(0)} ms after it was due, with the node that set it dead`);
    expect(Math.abs(lateMs)).toBeLessThan(1_000);
    expect(ended.call).toMatchObject({ outcome: 'missed', endReason: 'timeout' });
    await callOn(carol, toMiss.callId, (c) => c.local === 'ended' && c.outcome === 'missed', 10_000, 'caller sees missed');
    expect(await recordsOf(toMiss.callId)).toEqual(
      expect.arrayContaining([
        { direction: 'outgoing', peer: 'dave', outcome: 'missed', missed: false },
        { direction: 'incoming', peer: 'carol', outcome: 'missed', missed: true },
      ]),
    );
    expect(await cluster.storage.history.recordsForCall(toMiss.callId)).toHaveLength(2);

    await gina.hangup(toAnswer.callId);
    await hank.waitFor('call:ended', (p) => p.call.callId === toAnswer.callId);
    expect(await cluster.storage.history.recordsForCall(toAnswer.callId)).toHaveLength(2);
  }, 60_000);
});

async function queryVersions(): Promise<{ rows: { version: number }[] }> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: cluster.databaseUrl });
  await client.connect();
  try {
    return await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  } finally {
    await client.end();
  }
}
