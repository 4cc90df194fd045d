/**
 * Guest tokens on two nodes sharing Redis and PostgreSQL: the per-IP token budget and the
 * one call per token hold across nodes (both live in Redis), so a guest cannot multiply
 * them by spreading requests over the nodes behind a balancer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Signaling } from '../../../src/core/signaling.js';
import { GuestResponse, ProtocolError } from '../../../src/shared/protocol/index.js';
import { TestDevice } from '../../helpers/device.js';
import { ClusterHarness } from '../cluster/support/cluster.js';
import type { NodeProcess } from '../cluster/support/node-process.js';

let cluster: ClusterHarness;
let nodeA: NodeProcess;
let nodeB: NodeProcess;
const open: TestDevice[] = [];

beforeAll(async () => {
  cluster = await ClusterHarness.start({ GUEST_TOKENS_PER_MINUTE: '3' });
  [nodeA, nodeB] = (await cluster.startNodes('guest-a', 'guest-b')) as [NodeProcess, NodeProcess];
  await cluster.storage.queues.add({ id: 'support', name: 'Support', public: true });
}, 90_000);

afterAll(async () => {
  for (const d of open) d.close();
  await cluster?.stop();
}, 60_000);

async function askToken(url: string) {
  const res = await fetch(`${url}/api/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ queue: 'support' }),
  });
  return { status: res.status, body: await res.json() };
}

async function connectGuest(url: string, g: GuestResponse): Promise<TestDevice> {
  const signaling = new Signaling({
    serverUrl: url,
    auth: () => ({ token: g.token, deviceId: g.deviceId, deviceKind: 'web', deviceName: 'Web page', appVersion: 'test' }),
  });
  const device = new TestDevice(signaling, g.deviceId, g.user.id);
  open.push(device);
  await new Promise<void>((resolve, reject) => {
    signaling.socket.once('connect', () => resolve());
    signaling.socket.once('connect_error', (err) => reject(err));
    signaling.connect();
  });
  return device;
}

describe('guest tokens on two nodes', () => {
  it('the per-IP budget is shared by the nodes, and a token places one call whichever node it reaches', { timeout: 60_000 }, async () => {
    const first = await askToken(nodeA.url);
    expect(first.status).toBe(200);
    expect((await askToken(nodeB.url)).status).toBe(200);
    expect((await askToken(nodeA.url)).status).toBe(200);
    // The fourth from the same address, on either node: refused.
    for (const url of [nodeB.url, nodeA.url]) {
      const limited = await askToken(url);
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
    }

    const g = GuestResponse.parse(first.body);
    const onA = await connectGuest(nodeA.url, g);
    const { call } = await onA.request('call:invite', { to: { queue: 'support' } });
    expect(call.caller.id).toBe(g.user.id);
    onA.close();
    // The same token on the other node: its call is spent there too.
    const onB = await connectGuest(nodeB.url, g);
    const err = await onB.request('call:invite', { to: { queue: 'support' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'forbidden', details: { reason: 'guest_call_used' } });
  });
});
