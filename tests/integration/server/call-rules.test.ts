/**
 * The call rules the conformance run found loose: id reuse, who may learn about
 * an ended call, idempotent ending requests, a late hang-up's end time, decline
 * followed by the other devices going away, the per-callee ring cap, and the end
 * time of a call left answered by a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/protocol/index.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, tempDir, type TestServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({ ringTimeoutMs: 10_000, maxRingingPerUser: 2, endedCallRetentionMs: 1_000 });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function device(s: TestServer, username: string) {
  const d = await connectDevice(s, username);
  open.push(d);
  return d;
}

/** A call from `from` to `to`, answered by `to`. */
async function answeredCall(from: TestDevice, to: TestDevice, toName: string) {
  const { call } = await from.request('call:invite', { to: { username: toName } });
  await to.waitFor('call:incoming', (p) => p.call.callId === call.callId);
  const accepted = await to.request('call:accept', { callId: call.callId });
  return accepted.call;
}

async function rejection(p: Promise<unknown>): Promise<ProtocolError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the request should have been refused').toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
}


describe('call id reuse', () => {
  it('answers conflict when a live call id is re-invited to another callee; a true retry gets the call', async () => {
    const alice = await device(server, 'reuse-alice');
    await device(server, 'reuse-bob');
    const carol = await device(server, 'reuse-carol');
    const { call } = await alice.request('call:invite', { to: { username: 'reuse-bob' }, callId: 'reuse-1' });
    const retry = await alice.request('call:invite', { to: { username: 'reuse-bob' }, callId: 'reuse-1' });
    expect(retry.call.callId).toBe(call.callId);
    expect(retry.call.callee.username).toBe('reuse-bob');
    const err = await rejection(alice.request('call:invite', { to: { username: 'reuse-carol' }, callId: 'reuse-1' }));
    expect(err.code).toBe('conflict');
    await carol.flush();
    expect(carol.count('call:incoming')).toBe(0);
  });
});

describe('who learns about an ended call', () => {
  it('gives the final view to the parties only; a stranger gets no call detail, before and after it leaves live state', async () => {
    const alice = await device(server, 'gone-alice');
    const bob = await device(server, 'gone-bob');
    const eve = await device(server, 'gone-eve');
    const call = await answeredCall(alice, bob, 'gone-bob');
    await alice.request('call:hangup', { callId: call.callId });

    for (const event of ['call:accept', 'call:claim', 'call:decline'] as const) {
      const err = await rejection(eve.request(event, { callId: call.callId }));
      expect(err.code).not.toBe('gone');
      expect(err.details?.call).toBeUndefined();
    }
    await waitFor(async () => (await server.live.calls.get(call.callId)) === undefined, 'the ended call to expire');

    const stranger = await rejection(eve.request('call:claim', { callId: call.callId }));
    expect(stranger.code).toBe('not_found');
    expect(stranger.details).toBeUndefined();
    const party = await rejection(bob.request('call:claim', { callId: call.callId }));
    expect(party.code).toBe('gone');
    expect((party.details?.call as { callId: string }).callId).toBe(call.callId);
  });
});

describe('ending requests are idempotent', () => {
  it('hangup and cancel on an ended call answer ok with its final view; accept, decline and claim answer gone', async () => {
    const alice = await device(server, 'idem-alice');
    const bob = await device(server, 'idem-bob');
    const call = await answeredCall(alice, bob, 'idem-bob');
    await alice.request('call:hangup', { callId: call.callId });

    const again = await alice.request('call:hangup', { callId: call.callId });
    expect(again.call).toMatchObject({ state: 'ended', outcome: 'completed' });
    expect((await bob.request('call:hangup', { callId: call.callId })).call.state).toBe('ended');
    expect((await alice.request('call:cancel', { callId: call.callId })).call.state).toBe('ended');
    for (const event of ['call:accept', 'call:decline', 'call:claim'] as const) {
      expect((await rejection(bob.request(event, { callId: call.callId }))).code).toBe('gone');
    }
    // Still ok once the call has left live state (a client retrying after a long outage).
    await waitFor(async () => (await server.live.calls.get(call.callId)) === undefined, 'the ended call to expire');
    expect((await alice.request('call:hangup', { callId: call.callId })).call.outcome).toBe('completed');
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
  });
});

describe('a hang-up reported late', () => {
  it('records the end time the device reports, clamped between the answer and now, on both records', async () => {
    const alice = await device(server, 'late-alice');
    const bob = await device(server, 'late-bob');
    const call = await answeredCall(alice, bob, 'late-bob');
    await waitFor(async () => Date.now() > call.answeredAt! + 50, '50 ms of call');
    const hungUpAt = call.answeredAt! + 40;
    const { call: ended } = await alice.request('call:hangup', { callId: call.callId, endedAt: hungUpAt });
    expect(ended.state).toBe('ended');
    const records = await server.storage.history.recordsForCall(call.callId);
    expect(records.map((r) => r.endedAt)).toEqual([hungUpAt, hungUpAt]);
  });

  it('never records an end before the answer or after now', async () => {
    const alice = await device(server, 'clamp-alice');
    const bob = await device(server, 'clamp-bob');
    const early = await answeredCall(alice, bob, 'clamp-bob');
    await alice.request('call:hangup', { callId: early.callId, endedAt: early.answeredAt! - 60_000 });
    expect((await server.storage.history.recordsForCall(early.callId))[0]!.endedAt).toBe(early.answeredAt);

    const late = await answeredCall(alice, bob, 'clamp-bob');
    const before = Date.now();
    await bob.request('call:hangup', { callId: late.callId, endedAt: before + 3_600_000 });
    const endedAt = (await server.storage.history.recordsForCall(late.callId))[0]!.endedAt;
    expect(endedAt).toBeGreaterThanOrEqual(before);
    expect(endedAt).toBeLessThanOrEqual(Date.now());
  });
});

describe('decline, then the other ringing devices go away', () => {
  it('ends the call as declined at once, not as missed at the ring timeout', async () => {
    const alice = await device(server, 'dec-alice');
    const bobDesk = await device(server, 'dec-bob');
    const bobWeb = await device(server, 'dec-bob');
    const { call } = await alice.request('call:invite', { to: { username: 'dec-bob' } });
    await bobDesk.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bobWeb.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bobDesk.request('call:decline', { callId: call.callId });
    bobWeb.close();
    const ended = await alice.waitFor('call:ended', (p) => p.call.callId === call.callId, 3_000);
    expect(ended.call).toMatchObject({ outcome: 'declined', endReason: 'declined' });
    const bobs = (await server.storage.history.recordsForCall(call.callId)).find((r) => r.direction === 'incoming');
    expect(bobs).toMatchObject({ outcome: 'declined', missed: false });
  });
});

describe('calls ringing one callee at once', () => {
  it('refuses invites beyond MAX_RINGING_PER_USER with busy, leaving no record; the callee rings only for the first ones', async () => {
    const callers = [await device(server, 'cap-a'), await device(server, 'cap-b'), await device(server, 'cap-c')];
    const bob = await device(server, 'cap-bob');
    const first = await callers[0]!.request('call:invite', { to: { username: 'cap-bob' } });
    const second = await callers[1]!.request('call:invite', { to: { username: 'cap-bob' } });
    expect(first.call.state).toBe('ringing');
    expect(second.call.state).toBe('ringing');
    const refused = await rejection(callers[2]!.request('call:invite', { to: { username: 'cap-bob' }, callId: 'cap-third' }));
    expect(refused.code).toBe('busy');
    await bob.flush();
    expect(bob.count('call:incoming')).toBe(2);
    // Refused before anything was written: the flood leaves no missed calls in bob's history.
    expect(await server.storage.history.recordsForCall('cap-third')).toHaveLength(0);
    // Once one of them stops ringing, a new call rings again.
    await callers[0]!.request('call:cancel', { callId: first.call.callId });
    const fourth = await callers[2]!.request('call:invite', { to: { username: 'cap-bob' } });
    expect(fourth.call.state).toBe('ringing');
  });
});

describe('a call left answered by a crash', () => {
  it('ends at the last liveness mark of the crashed run, not at the restart, when no device returns', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ dataDir });
    const alice = await connectDevice(first, 'crash-alice');
    const bob = await connectDevice(first, 'crash-bob');
    const call = await answeredCall(alice, bob, 'crash-bob');
    await waitFor(async () => Date.now() > call.answeredAt! + 1_500, '1.5 s of call');
    alice.close();
    bob.close();
    await first.stop();
    // The crash: the last mark the dead process wrote was 1 s into the call.
    const lastAlive = call.answeredAt! + 1_000;
    fs.writeFileSync(path.join(dataDir, 'alive'), String(lastAlive));

    const second = await startTestServer({ dataDir, callReconnectGraceMs: 1_000 });
    try {
      await waitFor(async () => (await second.storage.history.recordsForCall(call.callId)).length === 2, 'the call to end', { timeoutMs: 10_000 });
      const records = await second.storage.history.recordsForCall(call.callId);
      for (const r of records) {
        expect(r).toMatchObject({ outcome: 'completed', endReason: 'device_lost', endedAt: lastAlive, durationSec: 1 });
      }
    } finally {
      await second.stop();
    }
  });
});
