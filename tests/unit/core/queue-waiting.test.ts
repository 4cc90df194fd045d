/**
 * The caller's side of a queue call in the core, under fake timers with a fake signaling
 * link: a guest of the call page signs in with its token (nothing else is asked of the
 * server), places a queue call, follows `queue:waiting` (also one that overtakes the
 * invite's ack), keeps its place while signaling is lost until max-wait, and reads how
 * the call ended.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { Softphone } from '../../../src/core/softphone.js';
import { estimateText, positionText, queueEndMessage } from '../../../src/shared/queue-labels.js';
import type { CallView, QueueWaiting } from '../../../src/shared/protocol/index.js';
import { FakeSignaling } from './fake-signaling.js';

const GUEST = { id: 'guest-7d1c', username: 'guest', displayName: 'Dana' };
const GUEST_DEVICE = 'dev-guest-7d1c';
const QUEUE_PARTY = { id: 'queue-support', username: 'support', displayName: 'Support' };
const AGENT = { id: 'u-bob', username: 'bob', displayName: 'Bob' };
const START = 1_000_000;
const MAX_WAIT_MS = 60_000;

interface Rig {
  phone: Softphone;
  link(): FakeSignaling;
  store: MemoryStore;
  /** What `call:invite` answers, and what it pushes before answering. */
  invite: { view?: CallView; before?: QueueWaiting };
}

function waitingView(callId: string): CallView {
  return {
    callId,
    state: 'ringing',
    caller: GUEST,
    callee: QUEUE_PARTY,
    callerDeviceId: GUEST_DEVICE,
    answeredDeviceId: null,
    createdAt: START,
    answeredAt: null,
    ringDeadline: START + MAX_WAIT_MS,
    outcome: null,
    endReason: null,
    queue: { id: 'support', name: 'Support' },
    callerKind: 'guest',
    queuedAt: START,
  };
}

function place(callId: string, position: number, patch: Partial<QueueWaiting> = {}): QueueWaiting {
  return {
    callId,
    queue: { id: 'support', name: 'Support' },
    stage: 'waiting',
    position,
    waiting: Math.max(position, 2),
    estimatedWaitSec: 90,
    enqueuedAt: START,
    maxWaitAt: START + MAX_WAIT_MS,
    ...patch,
  };
}

async function guestRig(): Promise<Rig> {
  const links: FakeSignaling[] = [];
  const store = new MemoryStore();
  const invite: Rig['invite'] = {};
  const phone = new Softphone({
    device: { deviceId: GUEST_DEVICE, kind: 'web', name: 'Call page', appVersion: '0' },
    store,
    heartbeatIntervalMs: 60_000,
    reconnectBaseMs: 500,
    reconnectMaxMs: 1_000,
    ringingLossGraceMs: 8_000,
    random: () => 1,
    createSignaling: (o) => {
      const l = new FakeSignaling(o, async (event, payload) => {
        if (event === 'session:ping') return { now: Date.now() };
        if (event === 'call:invite') {
          const p = payload as { callId: string };
          if (invite.before) l.push('queue:waiting', { ...invite.before, callId: p.callId });
          return { call: { ...(invite.view ?? waitingView(p.callId)), callId: p.callId } };
        }
        if (event === 'call:cancel') {
          const p = payload as { callId: string };
          return { call: { ...waitingView(p.callId), state: 'ended', outcome: 'cancelled', endReason: 'cancelled' } };
        }
        throw new Error(`a guest must not send ${event}`);
      });
      links.push(l);
      return l;
    },
  });
  await phone.startGuest('http://server.test/call/support', { token: 'guest-token-abc', expiresIn: 600, user: GUEST });
  return { phone, link: () => links.at(-1)!, store, invite };
}

async function connect(r: Rig): Promise<void> {
  r.link().open();
  await vi.advanceTimersByTimeAsync(0);
  expect(r.phone.snapshot().connection).toBe('connected');
}

const call = (r: Rig) => r.phone.snapshot().calls[0]!;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a guest of the call page', () => {
  it('connects with its token and asks nothing of an account (no sync, presence, agent desk, history)', async () => {
    const r = await guestRig();
    const auth = await r.link().opts.auth();
    expect(auth).toMatchObject({ token: 'guest-token-abc', deviceId: GUEST_DEVICE, deviceKind: 'web' });
    await connect(r);
    expect(r.phone.snapshot()).toMatchObject({ phase: 'signed-in', user: GUEST, serverUrl: 'http://server.test' });
    expect(r.link().eventsSent()).toEqual([]);
    // Nothing is remembered: a reload is a new guest.
    expect(await r.store.get('session')).toBeUndefined();
  });

  it('keeps using its token, even past its expiry: it has no refresh, the server judges it', async () => {
    const r = await guestRig();
    await vi.advanceTimersByTimeAsync(590_000);
    expect((await r.link().opts.auth()).token).toBe('guest-token-abc');
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await r.link().opts.auth()).token).toBe('guest-token-abc');
  });
});

describe('queue waiting state', () => {
  it('the call model follows queue:waiting until the call is answered', async () => {
    const r = await guestRig();
    await connect(r);
    const placed = await r.phone.dial({ queue: 'support' });
    expect(placed).toMatchObject({ local: 'ringing-out', direction: 'outgoing', queueWaiting: null });
    r.link().push('queue:waiting', place(placed.callId, 2));
    expect(call(r).queueWaiting).toMatchObject({ position: 2, waiting: 2, estimatedWaitSec: 90, stage: 'waiting', maxWaitAt: START + MAX_WAIT_MS });
    // A new view of the still-waiting call (e.g. a resume sync) keeps the place in line.
    r.link().push('call:ringing', { call: waitingView(placed.callId), ringingDevices: 0 });
    expect(call(r).queueWaiting?.position).toBe(2);
    r.link().push('queue:waiting', place(placed.callId, 1, { estimatedWaitSec: 20 }));
    expect(call(r).queueWaiting).toMatchObject({ position: 1, estimatedWaitSec: 20 });
    r.link().push('queue:waiting', place(placed.callId, 1, { stage: 'offered' }));
    expect(call(r).queueWaiting?.stage).toBe('offered');

    const answered: CallView = { ...waitingView(placed.callId), state: 'answered', callee: AGENT, answeredDeviceId: 'dev-bob', answeredAt: START + 5_000 };
    r.link().push('call:answered', { call: answered });
    expect(call(r)).toMatchObject({ local: 'active', peer: AGENT, queueWaiting: null });
    // A late place in line does not bring the wait back.
    r.link().push('queue:waiting', place(placed.callId, 1));
    expect(call(r).queueWaiting).toBeNull();
  });

  it('a queue:waiting that overtakes the invite acknowledgement still applies', async () => {
    const r = await guestRig();
    await connect(r);
    r.invite.before = place('ignored', 3);
    const placed = await r.phone.dial({ queue: 'support' });
    expect(placed.queueWaiting?.position).toBe(3);
    expect(call(r).queueWaiting?.position).toBe(3);
  });

  it('pushes for calls this device does not have are dropped (bounded), not applied to others', async () => {
    const r = await guestRig();
    await connect(r);
    for (let i = 0; i < 20; i++) r.link().push('queue:waiting', place(`stranger-${i}`, 4));
    const placed = await r.phone.dial({ queue: 'support' });
    expect(placed.queueWaiting).toBeNull();
  });

  it('the ring-loss timer does not end a call waiting in line, until its max-wait has passed', async () => {
    const r = await guestRig();
    await connect(r);
    const placed = await r.phone.dial({ queue: 'support' });
    r.link().push('queue:waiting', place(placed.callId, 2));
    r.link().drop();
    // Far beyond the 8 s ring-loss grace, with failed reconnects in between.
    for (let t = 0; t < 30; t++) {
      await vi.advanceTimersByTimeAsync(1_000);
      r.link().fail();
    }
    expect(call(r).local).toBe('ringing-out');
    // Past max-wait the server has ended it anyway: so does this device, after the grace.
    await vi.advanceTimersByTimeAsync(MAX_WAIT_MS);
    r.link().fail();
    await vi.advanceTimersByTimeAsync(8_000);
    expect(call(r)).toMatchObject({ local: 'ended', endReason: 'device_lost' });
  });

  it('the end of a queue call reads as the caller needs it', async () => {
    const r = await guestRig();
    await connect(r);
    const placed = await r.phone.dial({ queue: 'support' });
    r.link().push('queue:waiting', place(placed.callId, 1));
    r.link().push('call:ended', { call: { ...waitingView(placed.callId), state: 'ended', outcome: 'missed', endReason: 'max_wait' } });
    expect(call(r)).toMatchObject({ local: 'ended', queueWaiting: null });
    expect(queueEndMessage(call(r))).toMatch(/nobody could take your call in time/i);
  });

  it('hanging up while waiting cancels the call', async () => {
    const r = await guestRig();
    await connect(r);
    const placed = await r.phone.dial({ queue: 'support' });
    await r.phone.hangup(placed.callId);
    expect(r.link().eventsSent()).toEqual(['call:invite', 'call:cancel']);
    expect(call(r)).toMatchObject({ local: 'ended', endReason: 'cancelled' });
  });
});

describe('words', () => {
  it('position, estimate and end reasons', () => {
    expect(positionText({ position: 2, stage: 'waiting' })).toBe('You are number 2 in line.');
    expect(positionText({ position: 1, stage: 'waiting' })).toBe('You are next in line.');
    expect(positionText({ position: 1, stage: 'offered' })).toMatch(/agent/);
    expect(estimateText(null)).toBeNull();
    expect(estimateText(30)).toBe('Estimated wait: less than a minute');
    expect(estimateText(90)).toBe('Estimated wait: about 2 minutes');
    expect(estimateText(60)).toBe('Estimated wait: about 1 minute');
    expect(queueEndMessage({ endReason: 'no_agents', outcome: 'busy', answeredAt: null })).toMatch(/nobody is available/i);
    expect(queueEndMessage({ endReason: 'hangup', outcome: 'completed', answeredAt: 1 })).toBeNull();
  });
});
