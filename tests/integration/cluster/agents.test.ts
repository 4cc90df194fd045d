/**
 * Agent state on two nodes sharing Redis and PostgreSQL: the state an agent's node set and
 * a wrap-up timer it started survive that node's SIGKILL. The other node fires the timer
 * on time (its poller claims the deadline from Redis) and takes over the agent's devices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addQueue } from '../../../src/server/agent-admin.js';
import type { AgentView } from '../../../src/shared/protocol/index.js';
import type { TestDevice } from '../../helpers/device.js';
import { waitFor } from '../../helpers/wait.js';
import { ClusterHarness } from './support/cluster.js';
import type { NodeProcess } from './support/node-process.js';

let cluster: ClusterHarness;
let nodeA: NodeProcess;
let nodeB: NodeProcess;

beforeAll(async () => {
  cluster = await ClusterHarness.start({ NODE_TIMEOUT_MS: '3000', AGENT_GRACE_MS: '30000' });
  [nodeA, nodeB] = (await cluster.startNodes('agents-a', 'agents-b')) as [NodeProcess, NodeProcess];
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const changed = (d: TestDevice, userId: string, pred: (a: AgentView) => boolean, timeoutMs = 10_000) =>
  d.waitFor('agent:changed', (p) => p.agent.user.id === userId && pred(p.agent), timeoutMs);

describe('agents on two nodes', () => {
  it("the agent's state and a running wrap-up timer survive the death of the node that set them", { timeout: 60_000 }, async () => {
    const bobId = await cluster.addUser('cl-bob');
    const supId = await cluster.addUser('cl-sup');
    await cluster.storage.agents.setRoles(bobId, ['agent']);
    await cluster.storage.agents.setRoles(supId, ['supervisor']);
    await addQueue(cluster.storage.queues, 'cl-q', { name: 'Cluster queue', ringTimeout: '10', wrapUp: '6' });
    await cluster.storage.queues.setMember('cl-q', bobId);

    const sup = await cluster.device(nodeB.url, 'cl-sup');
    await sup.request('supervisor:agents', {});
    const caller = await cluster.device(nodeB.url, 'cl-caller');
    const bob = await cluster.device(nodeA.url, 'cl-bob');
    await changed(sup, bobId, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });

    const { call } = await caller.request('call:invite', { to: { queue: 'cl-q' } });
    await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bob.request('call:accept', { callId: call.callId });
    await changed(sup, bobId, (a) => a.state === 'on-call');
    // Bob hangs up on node A: A's agent service starts the wrap-up and its timer.
    await bob.request('call:hangup', { callId: call.callId });
    const wrap = await changed(sup, bobId, (a) => a.state === 'wrap-up');
    const deadline = wrap.agent.wrapUp!.deadline!;

    await nodeA.kill();
    // B releases A's devices: the grace starts, the state is kept.
    const kept = await changed(sup, bobId, (a) => a.graceUntil !== null && a.state === 'wrap-up', 10_000);
    expect(kept.agent).toMatchObject({ state: 'wrap-up', since: wrap.agent.since });
    // B fires the wrap-up timer A armed.
    const ready = await changed(sup, bobId, (a) => a.state === 'ready' && a.since > wrap.agent.since, 15_000);
    const late = performance.timeOrigin + ready.receivedAt - deadline;
    console.log(`wrap-up timer of the dead node fired ${Math.round(late)} ms after its deadline on the other node`);
    expect(late).toBeGreaterThanOrEqual(-5);
    expect(late).toBeLessThan(1_000);

    // Bob comes back on B: the state is right, the grace is over.
    const again = await cluster.device(nodeB.url, 'cl-bob');
    // The reconnect ends the grace (the server registers the device just after the handshake).
    let view = (await again.request('agent:get', {})).agent;
    await waitFor(async () => (view = (await again.request('agent:get', {})).agent).graceUntil === null, 'the grace to end on reconnect');
    expect(view).toMatchObject({ state: 'ready', wrapUp: null, graceUntil: null });
    const log = (await again.request('agent:log', {})).entries.map((e) => `${e.from}>${e.to}:${e.cause}`);
    expect(log[0]).toBe('wrap-up>ready:wrapup-timer');
  });
});
