/**
 * Queue calls on two nodes sharing Redis and PostgreSQL: offers are atomic across nodes (calls
 * racing on both nodes for agents on both nodes: one offer per agent, one agent per call); the
 * line lives in Redis, so a caller waiting when the node holding their socket is killed
 * (SIGKILL) stays queued in their place, is offered by the surviving node before a caller who
 * joined later, and a max-wait timer armed by the dead node is fired on time by the surviving
 * one. Also the Redis line store itself: stale ids dropped on read, calls indexed under the
 * agents they ring.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLiveState } from '../../../src/server/live/redis.js';
import { newQueueCall, offerTo } from '../../../src/server/queues/queue-call.js';
import { QUEUE_DEFAULTS } from '../../../src/server/store/queue-types.js';
import type { TestDevice } from '../../helpers/device.js';
import { quietFor } from '../../helpers/wait.js';
import type { Softphone } from '../../../src/core/softphone.js';
import type { CallInfo } from '../../../src/shared/contract.js';
import { waitForState } from '../../helpers/phone.js';
import { makeQueue } from '../../helpers/queues.js';
import { startBalancer, type Balancer } from './support/balancer.js';
import { ClusterHarness } from './support/cluster.js';
import type { NodeProcess } from './support/node-process.js';

const MAX_WAIT_SEC = 8;

let cluster: ClusterHarness;
let nodeA: NodeProcess;
let nodeB: NodeProcess;
let lb: Balancer | undefined;

beforeAll(async () => {
  cluster = await ClusterHarness.start({ NODE_TIMEOUT_MS: '3000', CALL_RECONNECT_GRACE_MS: '30000' });
  [nodeA, nodeB] = (await cluster.startNodes('queue-a', 'queue-b')) as [NodeProcess, NodeProcess];
}, 90_000);

afterAll(async () => {
  await lb?.close();
  await cluster?.stop();
}, 60_000);

function callOn(phone: Softphone, callId: string, predicate: (c: CallInfo) => boolean, timeoutMs: number, what: string) {
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

describe('queues on two nodes', () => {
  it('calls racing on both nodes for agents on both nodes: each agent one offer, each call one agent', { timeout: 60_000 }, async () => {
    const names = ['race-a1', 'race-a2', 'race-b1', 'race-b2'];
    const ids = await Promise.all(names.map((n) => cluster.addUser(n)));
    for (const id of ids) await cluster.storage.agents.setRoles(id, ['agent']);
    await makeQueue(cluster, 'clq-race', ids.map((id) => [id, 1] as [string, number]));
    const agents: TestDevice[] = [];
    for (const [i, n] of names.entries()) agents.push(await cluster.device(i < 2 ? nodeA.url : nodeB.url, n));
    for (const a of agents) {
      await a.waitFor('agent:changed', (p) => p.agent.state === 'not-ready');
      await a.request('agent:set', { status: { state: 'ready' } });
    }
    const callers: TestDevice[] = [];
    for (let i = 0; i < 10; i++) callers.push(await cluster.device(i % 2 === 0 ? nodeA.url : nodeB.url, `clq-race-caller${i}`));
    const calls = (await Promise.all(callers.map((c) => c.request('call:invite', { to: { queue: 'clq-race' } })))).map((r) => r.call);
    await Promise.all(agents.map((a) => a.waitFor('call:incoming', () => true, 10_000)));
    // Let any second offer (there must be none) arrive: each agent's own round trip, then a second.
    for (const a of agents) await a.flush();
    await quietFor(1_000, 'a second offer to any agent');
    for (const a of agents) expect(a.count('call:incoming')).toBe(1);
    const offered = calls.map((c) => agents.filter((a) => a.count('call:incoming', (p) => (p as { call: { callId: string } }).call.callId === c.callId) > 0).length);
    expect(offered.filter((n) => n === 1)).toHaveLength(4);
    expect(offered.filter((n) => n > 1)).toHaveLength(0);
    for (const [i, c] of callers.entries()) await c.request('call:cancel', { callId: calls[i]!.callId });
    for (const a of agents) a.close();
  });

  it('a caller waiting on a node that dies stays in their place and is offered by the other node; its max-wait fires there', { timeout: 90_000 }, async () => {
    const bobId = await cluster.addUser('clq-bob');
    await cluster.storage.agents.setRoles(bobId, ['agent']);
    await makeQueue(cluster, 'clq', [[bobId, 1]]);
    await makeQueue(cluster, 'clq-mw', [], { maxWait: MAX_WAIT_SEC });

    lb = await startBalancer([nodeA.port, nodeB.port]); // prefers A while it lives
    const first = await cluster.phone(lb.url, 'clq-first');
    const patient = await cluster.phone(lb.url, 'clq-patient');
    const bob = await cluster.device(nodeB.url, 'clq-bob');
    await bob.waitFor('agent:changed', (p) => p.agent.state === 'not-ready');

    // Both callers join through node A; nobody is ready yet.
    const early = await first.dial({ queue: 'clq' });
    const doomed = await patient.dial({ queue: 'clq-mw' });
    expect(early.state).toBe('ringing');
    const started = Date.now();

    await nodeA.kill();
    // A caller who joins later, on the surviving node.
    const late = await cluster.device(nodeB.url, 'clq-late');
    const { call: later } = await late.request('call:invite', { to: { queue: 'clq' } });
    await late.waitFor('queue:waiting', (p) => p.callId === later.callId && p.position === 2 && p.waiting === 2, 15_000);

    // Bob becomes ready on B: the first caller (joined on the dead node) is offered first.
    await bob.request('agent:set', { status: { state: 'ready' } });
    const offer = await bob.waitFor('call:incoming', () => true, 10_000);
    expect(offer.call.callId).toBe(early.callId);
    await bob.request('call:accept', { callId: early.callId });
    await callOn(first, early.callId, (c) => c.answeredAt !== null, 15_000, 'the first caller answered');
    await bob.request('call:hangup', { callId: early.callId });
    // Then the later caller.
    await bob.waitFor('call:incoming', (p) => p.call.callId === later.callId, 10_000);
    await late.request('call:cancel', { callId: later.callId });

    // The max-wait timer node A armed ends the other call on time, fired by B.
    const ended = await callOn(patient, doomed.callId, (c) => c.state === 'ended', (MAX_WAIT_SEC + 10) * 1000, 'max-wait');
    const c = ended.calls.find((x) => x.callId === doomed.callId)!;
    expect(c.endReason).toBe('max_wait');
    const records = await cluster.storage.history.recordsForCall(doomed.callId);
    expect(records).toHaveLength(1);
    expect(records[0]!.queueCall).toMatchObject({ outcome: 'unanswered', waitSec: MAX_WAIT_SEC });
    const lateMs = records[0]!.endedAt - (doomed.createdAt + MAX_WAIT_SEC * 1000);
    console.log(`max-wait armed by the dead node fired ${lateMs} ms late on the other node (killed ${Date.now() - started} ms ago)`);
    expect(lateMs).toBeGreaterThanOrEqual(-5);
    expect(lateMs).toBeLessThan(1_000);

    const answered = await cluster.storage.history.recordsForCall(early.callId);
    expect(answered.map((r) => [r.direction, r.queueCall?.outcome]).sort()).toEqual([
      ['incoming', 'answered'],
      ['outgoing', 'answered'],
    ]);
  });
});

describe('the Redis line store', () => {
  it('reads a line with its calls, drops ended ids, and indexes a call under the agents it rings (and nothing else)', async () => {
    const client = new Redis(cluster.redis.url);
    const live = new RedisLiveState(client, { nodeId: 'lines-test', keyPrefix: 'qlt:', endedCallRetentionMs: 60_000 });
    try {
      const queue = { ...QUEUE_DEFAULTS, id: 'lines', name: 'Lines', createdAt: 0 };
      const caller = { id: 'u-caller', username: 'caller', displayName: 'Caller' };
      const agent = { id: 'u-agent', username: 'agent', displayName: 'Agent' };
      const call = newQueueCall({ callId: 'c1', caller, callerDeviceId: 'd1', queue, priority: 0, callerKind: 'user', now: Date.now() });
      await live.lines.add('lines', 'c1', call.queuedAt!);
      await live.lines.add('lines', 'c-not-yet', Date.now()); // its call is being inserted
      await live.calls.insert(call);
      expect((await live.lines.calls('lines')).map((c) => c.callId)).toEqual(['c1']);
      expect(await client.zcard('qlt:qline:lines')).toBe(2);

      const offered = { ...offerTo(call, [{ agent, deviceIds: ['agent-d'], autoAnswerMs: null }], Date.now(), Date.now() + 10_000), version: 1 };
      expect(await live.calls.compareAndSet(offered, 0)).toBe(true);
      expect((await live.calls.activeForUser('u-agent')).map((c) => c.callId)).toEqual(['c1']);
      const back = { ...offered, offeredTo: [], version: 2 };
      expect(await live.calls.compareAndSet(back, 1)).toBe(true);
      expect(await live.calls.activeForUser('u-agent')).toEqual([]);
      const ended = { ...back, state: 'ended' as const, version: 3 };
      expect(await live.calls.compareAndSet(ended, 2)).toBe(true);
      expect(await live.lines.calls('lines')).toEqual([]);
      expect(await client.zrange('qlt:qline:lines', '0', '-1')).toEqual(['c-not-yet']);
      expect(await live.calls.activeForUser('u-caller')).toEqual([]);
      // No index entry is left behind: none under the queue, none under the agent once it ended.
      expect(await client.exists('qlt:ucalls:queue-lines')).toBe(0);
      expect(await client.sismember('qlt:ucalls:u-agent', 'c1')).toBe(0);
    } finally {
      await live.close();
      client.disconnect();
    }
  });
});
