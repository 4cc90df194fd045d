/**
 * A node that dies while answering a queue call, after the accept is committed in live state
 * and before the rest (injected: the step right after the commit fails once, as if the
 * process stopped there): the agent is still `reserved`, the caller was never told. When the
 * agent's offer deadline fires it finds the call answered by them: no missed offer (RONA) and
 * no new offer; the answer is announced again, so the caller and the answering device go on,
 * and the agent is on-call. Hanging up then records the call once for each.
 */
import { afterEach, expect, it } from 'vitest';
import type { TestDevice } from '../../helpers/device.js';
import { connectDevice } from '../../helpers/device.js';
import { agentChanged, agentDevice, dial, makeQueue, offerOf, setReady } from '../../helpers/queues.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer | undefined;
const open: TestDevice[] = [];

afterEach(async () => {
  for (const d of open.splice(0)) d.close();
  await server?.stop();
  server = undefined;
});

it('an accept cut off after its commit is announced when the agent\'s offer deadline fires, not taken as a miss', async () => {
  const s = (server = await startTestServer());
  const agent = await agentDevice(s, 'ac-agent', open);
  await makeQueue(s, 'ac-q', [[agent.id, 1]], { ring: 2 });
  await setReady(agent);
  const caller = await connectDevice(s, 'ac-caller');
  open.push(caller);
  const call = await dial(caller, 'ac-q');
  await offerOf(agent, call.callId);

  const calls = s.live.calls;
  const clearDeadline = calls.clearDeadline.bind(calls);
  let cut = false;
  calls.clearDeadline = (callId) => {
    if (callId === call.callId && !cut) {
      cut = true;
      return Promise.reject(new Error('injected: the node died after committing the accept'));
    }
    return clearDeadline(callId);
  };
  await expect(agent.dev.request('call:accept', { callId: call.callId })).rejects.toThrow();
  expect(await s.live.calls.get(call.callId)).toMatchObject({ state: 'answered', callee: { id: agent.id } });
  expect((await s.agents.get(agent.id))?.state).toBe('reserved');
  expect(caller.count('call:answered')).toBe(0);

  // The offer deadline (2 s) fires: the answer is told again, the agent goes on-call.
  const answered = await caller.waitFor('call:answered', (p) => p.call.callId === call.callId, 10_000);
  expect(answered.call).toMatchObject({ state: 'answered', callee: { id: agent.id }, answeredDeviceId: agent.dev.deviceId });
  await agent.dev.waitFor('call:answered', (p) => p.call.callId === call.callId);
  await agentChanged(agent.dev, (a) => a.state === 'on-call' && a.callId === call.callId);
  expect(agent.dev.count('call:offer-ended')).toBe(0);
  expect(agent.dev.count('agent:changed', (p) => (p as { agent: { state: string } }).agent.state === 'ready')).toBe(1);

  await caller.request('call:hangup', { callId: call.callId });
  await agentChanged(agent.dev, (a) => a.state === 'ready' && a.callId === null);
  const records = await s.storage.history.recordsForCall(call.callId);
  expect(records.map((r) => [r.direction, r.queueCall?.outcome, r.queueCall?.offers.map((o) => o.result)]).sort()).toEqual([
    ['incoming', 'answered', ['answered']],
    ['outgoing', 'answered', ['answered']],
  ]);
});
