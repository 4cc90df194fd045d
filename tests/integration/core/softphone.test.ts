import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import { signIn, waitForState } from '../../helpers/phone.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const phones: Softphone[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const p of phones) await p.stop();
  await server.stop();
});

async function phone(username: string, kind: 'desktop' | 'web' = 'desktop') {
  const p = await signIn(server, username, kind);
  phones.push(p);
  return p;
}

describe('softphone core against a real server', () => {
  it('places, answers, relays signaling and hangs up; both histories show the call', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const bobWeb = await phone('bob', 'web');
    const rings: string[] = [];
    bob.on('ring', (c) => rings.push(c.callId));

    const out = await alice.dial({ username: 'bob' });
    expect(out.local).toBe('ringing-out');
    await waitForState(bob, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'ringing-in'));
    expect(rings).toEqual([out.callId]);
    await waitForState(bobWeb, (s) => s.calls.some((c) => c.local === 'ringing-in'));

    const stopped = new Promise((resolve) => bobWeb.on('ring-stopped', resolve));
    const answered = await bob.answer(out.callId);
    expect(answered.local).toBe('active');
    await stopped;
    await waitForState(bobWeb, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'elsewhere'));
    const a = await waitForState(alice, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'active'));
    expect(a.calls[0]!.isOfferer).toBe(true);

    const got = new Promise<unknown>((resolve) => bob.on('signal', resolve));
    await alice.sendSignal(out.callId, { type: 'offer', sdp: 'v=0 test' });
    expect(await got).toMatchObject({ callId: out.callId, signal: { type: 'offer', sdp: 'v=0 test' } });

    await bob.dtmf(out.callId, '12#');
    await waitForState(alice, (s) => s.calls.find((c) => c.callId === out.callId)?.receivedDigits === '12#');

    await alice.hangup(out.callId);
    await waitForState(bob, (s) => s.calls.find((c) => c.callId === out.callId)?.local === 'ended');
    const ah = await waitForState(alice, (s) => s.history.some((r) => r.callId === out.callId));
    expect(ah.history[0]).toMatchObject({ callId: out.callId, outcome: 'completed', direction: 'outgoing' });
    await waitForState(bob, (s) => s.history.some((r) => r.callId === out.callId && r.direction === 'incoming'));
  });

  it('reconnects after the server restarts and keeps the answered call', async () => {
    const dataDir = server.dataDir;
    const alice = await phone('carol');
    const bob = await phone('dave');
    const call = await alice.dial({ username: 'dave' });
    await waitForState(bob, (s) => s.calls.some((c) => c.local === 'ringing-in'));
    await bob.answer(call.callId);
    await waitForState(alice, (s) => s.calls.some((c) => c.local === 'active'));

    const port = server.port;
    await server.stop();
    await waitForState(alice, (s) => s.connection === 'reconnecting');
    server = await startTestServer({ dataDir, port });
    await waitForState(alice, (s) => s.connection === 'connected', 10_000);
    await waitForState(bob, (s) => s.connection === 'connected', 10_000);
    expect(alice.snapshot().calls.find((c) => c.callId === call.callId)?.local).toBe('active');
    await bob.hangup(call.callId);
    await waitForState(alice, (s) => s.calls.find((c) => c.callId === call.callId)?.local === 'ended');
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
  });
});
