/**
 * Queue calls on two nodes sharing Redis and PostgreSQL: the line lives in Redis, so a caller
 * waiting when the node holding their socket is killed (SIGKILL) stays queued in their place,
 * is offered by the surviving node before a caller who joined later, and a max-wait timer
 * armed by the dead node is fired on time by the surviving one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
