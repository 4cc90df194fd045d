/**
 * A node that dies while ending a call, between marking it ended in live state and
 * committing its records (injected: the records write fails once, as if the process stopped
 * there). Whoever sees the call next — its deadline, the journal reconciler, a retried
 * hangup — writes one record per participant and tells the parties, and the agent leaves
 * on-call (the agent service hears the end).
 */
import { afterEach, expect, it } from 'vitest';
import type { TestDevice } from '../../helpers/device.js';
import { connectDevice } from '../../helpers/device.js';
import { agentChanged, agentDevice, dial, makeQueue, offerOf, setReady, type TestAgent } from '../../helpers/queues.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { RECORD_RETRY_MS } from '../../../src/server/calls/call-ending.js';

let server: TestServer | undefined;
const open: TestDevice[] = [];

afterEach(async () => {
  for (const d of open.splice(0)) d.close();
  await server?.stop();
  server = undefined;
});

/** An answered queue call whose next records write fails (the node "dies" there). */
async function answeredCallCutOff(tag: string): Promise<{ s: TestServer; agent: TestAgent; caller: TestDevice; callId: string }> {
  const s = (server = await startTestServer());
  const agent = await agentDevice(s, `${tag}-agent`, open);
  await makeQueue(s, `${tag}-q`, [[agent.id, 1]]);
  await setReady(agent);
  const caller = await connectDevice(s, `${tag}-caller`);
  open.push(caller);
  const call = await dial(caller, `${tag}-q`);
  await offerOf(agent, call.callId);
  await agent.dev.request('call:accept', { callId: call.callId });
  await agentChanged(agent.dev, (a) => a.state === 'on-call' && a.callId === call.callId);
  await caller.waitFor('call:answered', (p) => p.call.callId === call.callId);

  const history = s.storage.history;
  const finishCall = history.finishCall.bind(history);
  let failures = 0;
  history.finishCall = (...args) => {
    if (failures++ === 0) return Promise.reject(new Error('injected: the node died before the records'));
    return finishCall(...args);
  };
  await expect(agent.dev.request('call:hangup', { callId: call.callId })).rejects.toThrow();
  const live = await s.live.calls.get(call.callId);
  expect(live).toMatchObject({ state: 'ended', outcome: 'completed' });
  expect(live?.unrecordedSince).toEqual(expect.any(Number));
  expect(await s.storage.history.recordsForCall(call.callId)).toEqual([]);
  return { s, agent, caller, callId: call.callId };
}

async function expectRecordedOnce(s: TestServer, agent: TestAgent, caller: TestDevice, callId: string): Promise<void> {
  const records = await s.storage.history.recordsForCall(callId);
  expect(records.map((r) => [r.direction, r.peer.id, r.queueCall?.outcome]).sort()).toEqual([
    ['incoming', caller.userId, 'answered'],
    ['outgoing', agent.id, 'answered'],
  ]);
  expect((await s.storage.history.getJournal(callId))?.endedAt).toEqual(expect.any(Number));
  expect((await s.live.calls.get(callId))?.unrecordedSince).toBeUndefined();
}

it('the call keeps a deadline that writes the records and ends the agent\'s call when its ending was cut off', async () => {
  const { s, agent, caller, callId } = await answeredCallCutOff('ce-deadline');
  await caller.waitFor('call:ended', (p) => p.call.callId === callId, RECORD_RETRY_MS * 4);
  await agent.dev.waitFor('call:ended', (p) => p.call.callId === callId);
  await agentChanged(agent.dev, (a) => a.state === 'ready' && a.callId === null);
  await expectRecordedOnce(s, agent, caller, callId);
});

it('the journal reconciler writes the records of a call ended in live state but not recorded', async () => {
  const { s, agent, caller, callId } = await answeredCallCutOff('ce-reconcile');
  await s.calls.recover();
  await expectRecordedOnce(s, agent, caller, callId);
  await caller.waitFor('call:ended', (p) => p.call.callId === callId);
  await agentChanged(agent.dev, (a) => a.state === 'ready' && a.callId === null);
  // A retried hangup now just answers the final view, and nothing is written twice.
  const again = await caller.request('call:hangup', { callId });
  expect(again.call).toMatchObject({ state: 'ended', outcome: 'completed' });
  await expectRecordedOnce(s, agent, caller, callId);
});
