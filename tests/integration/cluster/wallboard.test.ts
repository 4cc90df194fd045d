/**
 * The wallboard on two nodes sharing Redis and PostgreSQL: a supervisor on node A sees a
 * change made on node B within 1 s (A's own poll, no event crosses the nodes), both nodes
 * show the same figures, and each node pushes only to its own subscribers (a broadcast
 * through the Redis adapter would double the rate: updates would come closer than the 280 ms spacing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Wallboard } from '../../../src/shared/protocol/index.js';
import type { RecordedEvent, TestDevice } from '../../helpers/device.js';
import { waitFor } from '../../helpers/wait.js';
import { ClusterHarness } from './support/cluster.js';
import type { NodeProcess } from './support/node-process.js';

let cluster: ClusterHarness;
let nodeA: NodeProcess;
let nodeB: NodeProcess;

beforeAll(async () => {
  cluster = await ClusterHarness.start();
  [nodeA, nodeB] = (await cluster.startNodes('wb-a', 'wb-b')) as [NodeProcess, NodeProcess];
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const boardOf = (e: RecordedEvent) => (e.payload as { wallboard: Wallboard }).wallboard;

/** The first `wallboard:update` received at or after `since` (performance.now()) that satisfies `pred`. */
async function update(d: TestDevice, since: number, pred: (w: Wallboard) => boolean, timeoutMs = 5_000) {
  let found: RecordedEvent | undefined;
  const matches = (e: RecordedEvent) => e.event === 'wallboard:update' && e.at >= since && pred(boardOf(e));
  await waitFor(() => (found = d.events.find(matches)) !== undefined, `${d.deviceId}: a wallboard:update showing the change`, { timeoutMs });
  return { wallboard: boardOf(found!), receivedAt: found!.at };
}

describe('the wallboard on two nodes', () => {
  it("a change made on the other node shows within 1 s; both nodes show the same; each node pushes only to its own subscribers", { timeout: 60_000 }, async () => {
    const bobId = await cluster.addUser('wbc-bob');
    for (const s of ['wbc-sup-a', 'wbc-sup-b']) await cluster.storage.agents.setRoles(await cluster.addUser(s), ['supervisor']);
    await cluster.storage.agents.setRoles(bobId, ['agent']);
    await cluster.storage.queues.add({ id: 'wbc-q', name: 'Cluster line' });
    await cluster.storage.queues.setMember('wbc-q', bobId);

    const supA = await cluster.device(nodeA.url, 'wbc-sup-a');
    const supB = await cluster.device(nodeB.url, 'wbc-sup-b');
    const bob = await cluster.device(nodeB.url, 'wbc-bob');
    await bob.waitFor('agent:changed', (p) => p.agent.state === 'not-ready');
    await supA.request('wallboard:subscribe', {});
    await supB.request('wallboard:subscribe', {});

    const onA: number[] = [];
    const onB: number[] = [];
    const moves = [{ state: 'ready' as const }, { state: 'not-ready' as const, reason: 'break' }, { state: 'ready' as const }, { state: 'not-ready' as const, reason: 'lunch' }];
    for (const status of moves) {
      const at = performance.now();
      const { agent } = await bob.request('agent:set', { status });
      const shows = (w: Wallboard) => w.agents.find((a) => a.agent.user.id === bobId)?.agent.since === agent.since;
      const [a, b] = await Promise.all([update(supA, at, shows), update(supB, at, shows)]);
      onA.push(a.receivedAt - at);
      onB.push(b.receivedAt - at);
      // The same figures on both nodes (the instant they were computed aside).
      expect({ ...a.wallboard, at: 0 }).toEqual({ ...b.wallboard, at: 0 });
      expect(a.wallboard.queues.find((q) => q.queue.id === 'wbc-q')!.agents[status.state]).toBe(1);
    }
    const ms = (xs: number[]) => xs.map((x) => `${Math.round(x)} ms`).join(', ');
    console.log(`wallboard after a change on node B: seen on node A (poll) ${ms(onA)}; on node B (local) ${ms(onB)}`);
    for (const l of [...onA, ...onB]) expect(l).toBeLessThan(1_000);

    // One node's pushes only: never two updates closer than the 280 ms spacing (some jitter allowed).
    for (const d of [supA, supB]) {
      const times = d.events.filter((e) => e.event === 'wallboard:update').map((e) => e.at);
      expect(times.length).toBeGreaterThanOrEqual(moves.length);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `${d.deviceId} update ${i}`).toBeGreaterThan(200);
    }
  });
});
