/**
 * A single node (state in memory) stopped while a caller waits in a queue: on restart the
 * call ends as failed (server_restart) with one record, the caller's, that still names the
 * queue and says the call went unanswered; the queue gets no record of its own.
 */
import { expect, it } from 'vitest';
import { connectDevice } from '../../helpers/device.js';
import { makeQueue } from '../../helpers/queues.js';
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
