/**
 * A queue offer on the desktop of an agent, against the real server and queue engine: the
 * notification names the queue, the caller and the wait (the renderer's words), the ringing
 * window shows; when the caller gives up, the offer is withdrawn and every ringing surface
 * closes at once, with no missed-call notification and no record for the agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import { signIn, waitForState } from '../../helpers/phone.js';
import { makeQueue } from '../../helpers/queues.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { startDesktop, type TestDesktop } from './desktop-harness.js';

let server: TestServer | undefined;
let desktop: TestDesktop | undefined;
let caller: Softphone | undefined;

afterEach(async () => {
  await desktop?.stop();
  await caller?.stop();
  await server?.stop();
  desktop = caller = server = undefined;
});

describe('a queue offer on the agent’s desktop', () => {
  it('notifies with queue, caller and wait; withdrawn, every ringing surface closes and nothing is missed', async () => {
    server = await startTestServer();
    const alice = await server.addUser('qo-alice');
    await server.storage.agents.setRoles(alice, ['agent']);
    await makeQueue(server, 'support', [[alice, 1]], { ring: 30 });
    desktop = await startDesktop(server, 'qo-alice');
    const d = desktop;
    await d.state((s) => s.agent != null, 'the agent view');
    await d.phone.setAgentStatus({ state: 'ready' });
    caller = await signIn(server, 'qo-bob');

    const call = await caller.dial({ queue: 'support' });
    const note = await d.until(() => d.os.notifier.openOfKind('incoming-call')[0], 'the offer’s notification');
    expect(note.notice.title).toBe('Incoming call · Queue support');
    expect(note.notice.body).toMatch(/^Qo-bob · Queue support · waited \d\d:\d\d$/i);
    expect(note.notice.tag).toBe(`call-${call.callId}-1`);
    expect(d.os.ringingWindow.visible).toBe(true);

    // The caller gives up: the engine withdraws the offer.
    await caller.hangup(call.callId);
    await d.until(() => note.closed && !d.os.ringingWindow.visible && note, 'the notification and the ringing window closed');
    expect(note.closedBy).toBe('app');
    await d.state((s) => s.calls.length === 0, 'the offer gone from the agent’s device');
    // The caller's record is written; the agent, who only had an offer, gets none and no missed call.
    await waitForState(caller, (s) => s.history.some((r) => r.callId === call.callId), 5_000, 'the caller’s record');
    const s = d.phone.snapshot();
    expect(s.missedCount).toBe(0);
    expect(s.history.some((r) => r.callId === call.callId)).toBe(false);
    expect(d.os.notifier.openOfKind('missed-calls')).toEqual([]);
  });
});
