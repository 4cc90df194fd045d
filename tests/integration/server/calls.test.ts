import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({ ringTimeoutMs: 1_500 });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function device(username: string, kind: 'desktop' | 'web' | 'ios' | 'android' = 'desktop') {
  const d = await connectDevice(server, username, { kind });
  open.push(d);
  return d;
}

async function history(d: TestDevice, callId: string) {
  const page = await d.request('history:list', { limit: 50 });
  return page.items.filter((r) => r.callId === callId);
}

describe('multi-device ringing', () => {
  it('rings every online device; the first accept wins and stops the others at once', async () => {
    const alice = await device('alice');
    const aliceWeb = await device('alice', 'web');
    const bob = [await device('bob', 'desktop'), await device('bob', 'web'), await device('bob', 'android')];

    const { call } = await alice.request('call:invite', { to: { username: 'bob' } });
    expect(call.state).toBe('ringing');
    const ringing = await alice.waitFor('call:ringing', (p) => p.call.callId === call.callId);
    expect(ringing.ringingDevices).toBe(3);
    for (const d of bob) await d.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await aliceWeb.waitFor('call:outgoing-elsewhere', (p) => p.call.callId === call.callId);

    const acceptedAt = performance.now();
    const accepted = await bob[1]!.request('call:accept', { callId: call.callId });
    expect(accepted.call.answeredDeviceId).toBe(bob[1]!.deviceId);

    const others = await Promise.all(
      [bob[0]!, bob[2]!].map((d) => d.waitFor('call:answered-elsewhere', (p) => p.call.callId === call.callId, 1_000)),
    );
    for (const o of others) {
      expect(o.call.answeredDeviceId).toBe(bob[1]!.deviceId);
      // Product requirement is 200 ms (measured in bench/); logged here for the record.
      console.log(`answered-elsewhere after ${(o.receivedAt - acceptedAt).toFixed(1)} ms`);
    }
    const answered = await alice.waitFor('call:answered', (p) => p.call.callId === call.callId);
    expect(answered.call.answeredDeviceId).toBe(bob[1]!.deviceId);
    // The answering device itself is never told "answered elsewhere".
    await bob[1]!.flush();
    expect(bob[1]!.count('call:answered-elsewhere')).toBe(0);

    // A late accept from another device loses cleanly.
    await expect(bob[0]!.request('call:accept', { callId: call.callId })).rejects.toMatchObject({ code: 'conflict' });

    await alice.request('call:hangup', { callId: call.callId });
    const ended = await bob[1]!.waitFor('call:ended', (p) => p.call.callId === call.callId);
    expect(ended.call.outcome).toBe('completed');
    const [mine] = await history(alice, call.callId);
    expect(mine).toMatchObject({ direction: 'outgoing', outcome: 'completed', answeredDeviceId: bob[1]!.deviceId });
    const bobs = await history(bob[0]!, call.callId);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]).toMatchObject({ direction: 'incoming', outcome: 'completed', missed: false });
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
    for (const d of [alice, aliceWeb, ...bob]) d.close();
  });

  it('concurrent accepts from every device: exactly one wins', async () => {
    const caller = await device('erin');
    const devs = await Promise.all([0, 1, 2, 3].map(() => device('frank')));
    const { call } = await caller.request('call:invite', { to: { username: 'frank' } });
    await Promise.all(devs.map((d) => d.waitFor('call:incoming')));
    const results = await Promise.allSettled(devs.map((d) => d.request('call:accept', { callId: call.callId })));
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('conflict');
    }
    await caller.request('call:hangup', { callId: call.callId });
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
  });
});

describe('outcomes', () => {
  it('decline: declined when every ringing device declined; both sides get a record', async () => {
    const a = await device('gina');
    const b1 = await device('hank');
    const b2 = await device('hank', 'web');
    const { call } = await a.request('call:invite', { to: { username: 'hank' } });
    await b1.waitFor('call:incoming');
    await b2.waitFor('call:incoming');
    const partial = await b1.request('call:decline', { callId: call.callId });
    expect(partial.call.state).toBe('ringing'); // b2 still rings
    await b2.request('call:decline', { callId: call.callId });
    const ended = await a.waitFor('call:ended', (p) => p.call.callId === call.callId);
    expect(ended.call).toMatchObject({ outcome: 'declined', endReason: 'declined' });
    expect((await history(a, call.callId))[0]).toMatchObject({ outcome: 'declined', direction: 'outgoing' });
    expect((await history(b1, call.callId))[0]).toMatchObject({ outcome: 'declined', missed: false });
  });

  it('caller cancel: every ringing device stops; callee sees a missed call', async () => {
    const a = await device('ivan');
    const b = await device('judy');
    const { call } = await a.request('call:invite', { to: { username: 'judy' } });
    await b.waitFor('call:incoming');
    await a.request('call:cancel', { callId: call.callId });
    const ended = await b.waitFor('call:ended', (p) => p.call.callId === call.callId);
    expect(ended.call.outcome).toBe('cancelled');
    expect((await history(a, call.callId))[0]).toMatchObject({ outcome: 'cancelled', missed: false });
    expect((await history(b, call.callId))[0]).toMatchObject({ outcome: 'cancelled', missed: true });
    const missed = await b.request('history:missed', {});
    expect(missed.count).toBeGreaterThanOrEqual(1);
  });

  it('ring timeout: missed, with a record on both sides', async () => {
    const a = await device('kate');
    const b = await device('liam');
    const { call } = await a.request('call:invite', { to: { username: 'liam' } });
    await b.waitFor('call:incoming');
    const ended = await a.waitFor('call:ended', (p) => p.call.callId === call.callId, 10_000);
    expect(ended.call).toMatchObject({ outcome: 'missed', endReason: 'timeout' });
    await b.waitFor('call:ended', (p) => p.call.callId === call.callId);
    expect((await history(a, call.callId))[0]).toMatchObject({ outcome: 'missed', direction: 'outgoing' });
    expect((await history(b, call.callId))[0]).toMatchObject({ outcome: 'missed', missed: true, seen: false });
    const before = await b.request('history:missed', {});
    expect(before.count).toBe(1);
    const after = await b.request('history:seen', {});
    expect(after.count).toBe(0);
    expect((await history(b, call.callId))[0]!.seen).toBe(true);
  });

  it('a call to someone with no online device stays pending, then is missed', async () => {
    const a = await device('mona');
    await server.addUser('ned');
    const { call } = await a.request('call:invite', { to: { username: 'ned' } });
    const ringing = await a.waitFor('call:ringing', (p) => p.call.callId === call.callId);
    expect(ringing.ringingDevices).toBe(0);
    const ended = await a.waitFor('call:ended', (p) => p.call.callId === call.callId, 10_000);
    expect(ended.call.outcome).toBe('missed');
  });

  it('busy while in a call (call waiting off), ringing with call waiting on', async () => {
    const a = await device('olga');
    const b = await device('pete');
    const c = await device('quin');
    const first = await a.request('call:invite', { to: { username: 'pete' } });
    await b.waitFor('call:incoming');
    await b.request('call:accept', { callId: first.call.callId });

    const second = await c.request('call:invite', { to: { username: 'pete' } });
    expect(second.call).toMatchObject({ state: 'ended', outcome: 'busy', endReason: 'busy' });
    await b.flush();
    expect(b.count('call:incoming', (p: any) => p.call.callId === second.call.callId)).toBe(0);
    expect((await history(c, second.call.callId))[0]).toMatchObject({ outcome: 'busy' });
    expect((await history(b, second.call.callId))[0]).toMatchObject({ outcome: 'missed', missed: true, endReason: 'busy' });

    await b.request('settings:update', { callWaiting: true });
    const third = await c.request('call:invite', { to: { username: 'pete' } });
    expect(third.call.state).toBe('ringing');
    await b.waitFor('call:incoming', (p) => p.call.callId === third.call.callId);
    await c.request('call:cancel', { callId: third.call.callId });
    await a.request('call:hangup', { callId: first.call.callId });
  });

  it('do-not-disturb: busy for the caller, no ringing event anywhere, missed for the callee', async () => {
    const a = await device('rita');
    const b1 = await device('sam');
    const b2 = await device('sam', 'ios');
    await b1.request('presence:set', { status: 'dnd' });
    const { call } = await a.request('call:invite', { to: { username: 'sam' } });
    expect(call).toMatchObject({ state: 'ended', outcome: 'busy', endReason: 'dnd' });
    await Promise.all([b1.flush(), b2.flush()]);
    expect(b1.count('call:incoming')).toBe(0);
    expect(b2.count('call:incoming')).toBe(0);
    expect((await history(b1, call.callId))[0]).toMatchObject({ outcome: 'missed', missed: true, endReason: 'dnd' });
    await b1.request('presence:set', { status: 'available' });
  });
});

describe('media signaling', () => {
  it('is relayed between the two bound devices and refused for anyone else', async () => {
    const a = await device('tom');
    const b1 = await device('uma');
    const b2 = await device('uma', 'web');
    const eve = await device('eve');
    const { call } = await a.request('call:invite', { to: { username: 'uma' } });
    await b1.waitFor('call:incoming');

    // Before the answer nothing is relayed.
    await expect(
      a.request('call:signal', { callId: call.callId, signal: { type: 'offer', sdp: 'v=0' } }),
    ).rejects.toMatchObject({ code: 'conflict' });

    await b1.request('call:accept', { callId: call.callId });
    await a.request('call:signal', { callId: call.callId, signal: { type: 'offer', sdp: 'v=0 offer' } });
    const offer = await b1.waitFor('call:signal', (p) => p.signal.type === 'offer');
    expect(offer.fromDeviceId).toBe(a.deviceId);
    await b1.request('call:signal', { callId: call.callId, signal: { type: 'answer', sdp: 'v=0 answer' } });
    await a.waitFor('call:signal', (p) => p.signal.type === 'answer');
    await b1.request('call:signal', {
      callId: call.callId,
      signal: { type: 'ice', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
    });
    await a.waitFor('call:signal', (p) => p.signal.type === 'ice');

    const foreign = [
      { type: 'offer', sdp: 'v=0 evil' },
      { type: 'answer', sdp: 'v=0 evil' },
      { type: 'ice', candidate: { candidate: 'candidate:evil' } },
      { type: 'hold', held: true },
    ] as const;
    for (const signal of foreign) {
      // Another user, and the callee's other (not answering) device.
      await expect(eve.request('call:signal', { callId: call.callId, signal })).rejects.toMatchObject({ code: 'forbidden' });
      await expect(b2.request('call:signal', { callId: call.callId, signal })).rejects.toMatchObject({ code: 'forbidden' });
    }
    await expect(eve.request('call:hangup', { callId: call.callId })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(eve.request('call:accept', { callId: call.callId })).rejects.toMatchObject({ code: 'forbidden' });
    await Promise.all([a.flush(), b1.flush()]);
    expect(a.count('call:signal', (p: any) => JSON.stringify(p).includes('evil'))).toBe(0);
    expect(b1.count('call:signal', (p: any) => JSON.stringify(p).includes('evil'))).toBe(0);
    await a.request('call:hangup', { callId: call.callId });
  });
});

describe('presence', () => {
  it('is derived from status, devices and calls, and pushed to subscribers', async () => {
    const watcher = await device('vera');
    await server.addUser('walt');
    const walt = await server.storage.accounts.getUserByUsername('walt');
    const sub = await watcher.request('presence:subscribe', { userIds: [walt!.id] });
    expect(sub.presence[walt!.id]).toBe('offline');
    const w = await device('walt');
    await watcher.waitFor('presence:changed', (p) => p.userId === walt!.id && p.presence === 'available');
    await w.request('presence:set', { status: 'away' });
    await watcher.waitFor('presence:changed', (p) => p.userId === walt!.id && p.presence === 'away');
    const found = await watcher.request('directory:search', { query: 'wal' });
    expect(found.users.map((u) => [u.username, u.presence])).toEqual([['walt', 'away']]);
    w.close();
    await watcher.waitFor('presence:changed', (p) => p.userId === walt!.id && p.presence === 'offline');
  });
});
