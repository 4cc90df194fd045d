import { describe, expect, it } from 'vitest';
import { connectDevice } from '../../helpers/device.js';
import { startTestServer, tempDir, TEST_PASSWORD } from '../../helpers/server.js';

describe('durability across restarts', () => {
  it('accounts and history survive a restart; exactly one record per participant per call', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ dataDir });
    const a = await connectDevice(first, 'alice');
    const b = await connectDevice(first, 'bob');
    const callIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { call } = await a.request('call:invite', { to: { username: 'bob' } });
      callIds.push(call.callId);
      await b.waitFor('call:incoming', (p) => p.call.callId === call.callId);
      if (i === 0) await b.request('call:decline', { callId: call.callId });
      else {
        await b.request('call:accept', { callId: call.callId });
        await a.request('call:hangup', { callId: call.callId });
      }
      await b.waitFor('call:ended', (p) => p.call.callId === call.callId);
    }
    a.close();
    b.close();
    await first.stop();

    const second = await startTestServer({ dataDir });
    try {
      const tokens = await second.api.login({ username: 'alice', password: TEST_PASSWORD });
      expect(tokens.user.username).toBe('alice');
      const a2 = await connectDevice(second, 'alice');
      const page = await a2.request('history:list', { limit: 10 });
      expect(page.items.map((r) => r.callId).sort()).toEqual([...callIds].sort());
      for (const id of callIds) {
        const records = await second.storage.history.recordsForCall(id);
        expect(records.map((r) => r.direction).sort()).toEqual(['incoming', 'outgoing']);
      }
      a2.close();
    } finally {
      await second.stop();
    }
  });

  it('a call answered when the server stops is restored, reconciled and recorded once', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ dataDir });
    const a = await connectDevice(first, 'alice', { deviceId: 'alice-desk' });
    const b = await connectDevice(first, 'bob', { deviceId: 'bob-desk' });
    const { call } = await a.request('call:invite', { to: { username: 'bob' } });
    await b.waitFor('call:incoming');
    await b.request('call:accept', { callId: call.callId });
    a.close();
    b.close();
    await first.stop();

    const second = await startTestServer({ dataDir, port: first.port });
    try {
      const a2 = await connectDevice(second, 'alice', { deviceId: 'alice-desk' });
      const b2 = await connectDevice(second, 'bob', { deviceId: 'bob-desk' });
      const syncA = await a2.request('session:sync', { calls: [call.callId] });
      await b2.request('session:sync', { calls: [call.callId] });
      expect(syncA.calls.map((c) => [c.callId, c.state])).toEqual([[call.callId, 'answered']]);
      // Signaling works again on the restored call.
      await a2.request('call:signal', { callId: call.callId, signal: { type: 'hold', held: true } });
      await b2.waitFor('call:signal', (p) => p.signal.type === 'hold');
      await b2.request('call:hangup', { callId: call.callId });
      const ended = await a2.waitFor('call:ended');
      expect(ended.call.outcome).toBe('completed');
      const records = await second.storage.history.recordsForCall(call.callId);
      expect(records).toHaveLength(2);
      expect(records.every((r) => r.answeredAt !== null)).toBe(true);
      a2.close();
      b2.close();
    } finally {
      await second.stop();
    }
  });

  it('a call left ringing by a stopped server ends as failed on restart, with its records', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ dataDir });
    const a = await connectDevice(first, 'alice');
    const b = await connectDevice(first, 'bob');
    const { call } = await a.request('call:invite', { to: { username: 'bob' } });
    await b.waitFor('call:incoming');
    a.close();
    b.close();
    await first.stop();
    const second = await startTestServer({ dataDir });
    try {
      const a2 = await connectDevice(second, 'alice');
      const sync = await a2.request('session:sync', { calls: [call.callId] });
      expect(sync.ended).toEqual([expect.objectContaining({ callId: call.callId, outcome: 'failed', endReason: 'server_restart' })]);
      expect(await second.storage.history.recordsForCall(call.callId)).toHaveLength(2);
      a2.close();
    } finally {
      await second.stop();
    }
  });
});
