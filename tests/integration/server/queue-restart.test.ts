/**
 * A single node (state in memory) stopped while a caller waits in a queue: on restart the
 * call ends as failed (server_restart) with one record, the caller's, that still names the
 * queue and says the call went unanswered; the queue gets no record of its own.
 */
import { expect, it } from 'vitest';
import { connectDevice } from '../../helpers/device.js';
import { makeQueue } from '../../helpers/queues.js';
import { newQueueCall } from '../../../src/server/queues/queue-call.js';
import { startTestServer, tempDir } from '../../helpers/server.js';

it('a queue call waiting when a single node stops ends on restart with the caller\'s record only', async () => {
  const dataDir = tempDir();
  const first = await startTestServer({ dataDir });
  await makeQueue(first, 'rs-q', []);
  const caller = await connectDevice(first, 'rs-caller');
  const { call } = await caller.request('call:invite', { to: { queue: 'rs-q' } });
  await caller.waitFor('queue:waiting', (p) => p.callId === call.callId);
  caller.close();
  await first.stop();
  const second = await startTestServer({ dataDir });
  try {
    const again = await connectDevice(second, 'rs-caller');
    const sync = await again.request('session:sync', { calls: [call.callId] });
    expect(sync.ended).toEqual([expect.objectContaining({ callId: call.callId, outcome: 'failed', endReason: 'server_restart' })]);
    const records = await second.storage.history.recordsForCall(call.callId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ direction: 'outgoing', queue: { id: 'rs-q' }, queueCall: { outcome: 'unanswered', callerKind: 'user' } });
    again.close();
  } finally {
    await second.stop();
  }
});

it('a queue call answered when a single node stops is restored with the agent as callee and recorded once for each', async () => {
  const dataDir = tempDir();
  const first = await startTestServer({ dataDir });
  const agentId = await first.addUser('rs-agent');
  await first.storage.agents.setRoles(agentId, ['agent']);
  await makeQueue(first, 'rs-answered', [[agentId, 1]]);
  const agent = await connectDevice(first, 'rs-agent', { deviceId: 'rs-agent-desk' });
  await agent.waitFor('agent:changed', (p) => p.agent.state === 'not-ready');
  await agent.request('agent:set', { status: { state: 'ready' } });
  const caller = await connectDevice(first, 'rs-caller2', { deviceId: 'rs-caller2-desk' });
  const { call } = await caller.request('call:invite', { to: { queue: 'rs-answered' } });
  await agent.waitFor('call:incoming', (p) => p.call.callId === call.callId);
  await agent.request('call:accept', { callId: call.callId });
  await caller.waitFor('call:answered', (p) => p.call.callId === call.callId);
  caller.close();
  agent.close();
  await first.stop();

  const second = await startTestServer({ dataDir });
  try {
    const caller2 = await connectDevice(second, 'rs-caller2', { deviceId: 'rs-caller2-desk' });
    const agent2 = await connectDevice(second, 'rs-agent', { deviceId: 'rs-agent-desk' });
    const sync = await agent2.request('session:sync', { calls: [call.callId] });
    expect(sync.calls.map((c) => [c.callId, c.state, c.callee.id])).toEqual([[call.callId, 'answered', agentId]]);
    await caller2.request('session:sync', { calls: [call.callId] });
    await agent2.request('call:hangup', { callId: call.callId });
    await caller2.waitFor('call:ended', (p) => p.call.callId === call.callId);
    const records = await second.storage.history.recordsForCall(call.callId);
    // The caller's record has the agent as peer, the agent's the caller.
    expect(records.map((r) => [r.direction, r.peer.id, r.queueCall?.outcome]).sort()).toEqual([
      ['incoming', caller2.userId, 'answered'],
      ['outgoing', agentId, 'answered'],
    ]);
    caller2.close();
    agent2.close();
  } finally {
    await second.stop();
  }
});

it('a queue invite cut off after its journal row (the node died in flight) is recovered as a queue call: the caller\'s record only', async () => {
  const s = await startTestServer();
  try {
    const queue = await makeQueue(s, 'rs-flight', []);
    const callerId = await s.addUser('rs-flight-caller');
    const caller = { id: callerId, username: 'rs-flight-caller', displayName: 'Rs-flight-caller' };
    // What the dying node wrote before the live call: the durable trace only.
    const call = newQueueCall({ callId: 'rs-flight-call', caller, callerDeviceId: 'rs-flight-desk', queue, priority: 0, callerKind: 'user', now: Date.now() });
    expect(await s.storage.history.journalStart(call)).toBe(true);
    expect(await s.calls.recover()).toEqual({ failed: 1, restored: 0 });
    const records = await s.storage.history.recordsForCall(call.callId);
    expect(records.map((r) => [r.direction, r.peer.id, r.queue?.id, r.queueCall?.outcome])).toEqual([
      ['outgoing', 'queue-rs-flight', 'rs-flight', 'unanswered'],
    ]);
    expect(await s.storage.history.listHistory(callerId, { limit: 10, lastSeenMissedAt: 0 })).toMatchObject({
      items: [expect.objectContaining({ callId: call.callId })],
    });

    // Answered on the dying node by a device no longer known: still no record for the queue party.
    const answered = newQueueCall({ ...call, callId: 'rs-flight-answered', queue, priority: 0, callerKind: 'user', now: Date.now() });
    await s.storage.history.journalStart(answered);
    await s.storage.history.journalAnswer(answered.callId, Date.now(), 'rs-flight-gone-device');
    await s.calls.recover();
    await s.calls.finish(answered.callId, 'completed', 'device_lost');
    const after = await s.storage.history.recordsForCall(answered.callId);
    expect(after.map((r) => [r.direction, r.peer.id])).toEqual([['outgoing', 'queue-rs-flight']]);
  } finally {
    await s.stop();
  }
});
