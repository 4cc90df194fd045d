/**
 * The core's parts under fake timers, with a fake signaling link (no socket, no server):
 * reconnect backoff, heartbeat zombie detection, the ring-loss timer, call waiting, and
 * hang-up / hold while the server is unreachable.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { type Softphone } from '../../../src/core/softphone.js';
import type { CallView } from '../../../src/shared/protocol/index.js';
import { type FakeSignaling, ME, answeredHere, incomingView, phoneOnFakeLinks } from './fake-signaling.js';

interface Rig {
  phone: Softphone;
  links: FakeSignaling[];
  link(): FakeSignaling;
  views: Map<string, CallView>;
  /** Requests that never get an answer (the timeout rejects them, like Signaling does). */
  silent: Set<string>;
}

async function rig(opts: { heartbeatIntervalMs?: number } = {}): Promise<Rig> {
  const store = new MemoryStore();
  await store.set('session', { serverUrl: 'http://server.test', refreshToken: 'r1', user: ME });
  const views = new Map<string, CallView>();
  const silent = new Set<string>();
  const links: FakeSignaling[] = [];
  const respond = async (event: string, payload: unknown, timeoutMs?: number): Promise<unknown> => {
    if (silent.has(event)) {
      await new Promise((r) => setTimeout(r, timeoutMs ?? 10_000));
      const { ProtocolError } = await import('../../../src/shared/protocol/index.js');
      throw new ProtocolError('internal', 'the server did not answer in time', { timeout: true });
    }
    const p = payload as { callId?: string };
    switch (event) {
      case 'session:sync':
        return {
          user: ME,
          status: 'available',
          settings: { callWaiting: true },
          missedCount: 0,
          calls: [...views.values()].filter((v) => v.state !== 'ended'),
          ended: [],
          historyHead: null,
          lastSeenMissedAt: 0,
        };
      case 'session:ping':
      case 'call:signal':
        return {};
      case 'call:accept': {
        const v = answeredHere(views.get(p.callId!)!, Date.now());
        views.set(v.callId, v);
        return { call: v };
      }
      case 'call:hangup': {
        const v: CallView = { ...views.get(p.callId!)!, state: 'ended', outcome: 'completed', endReason: 'hangup' };
        views.set(v.callId, v);
        return { call: v };
      }
      default:
        throw new Error(`unexpected request ${event}`);
    }
  };
  const phone = phoneOnFakeLinks(store, respond, links, { heartbeatIntervalMs: 1_000, ringingLossGraceMs: 8_000, ...opts });
  expect(await phone.restore()).toBe(true);
  return { phone, links, link: () => links.at(-1)!, views, silent };
}

async function connect(r: Rig): Promise<void> {
  r.link().open();
  await vi.advanceTimersByTimeAsync(0);
  expect(r.phone.snapshot().connection).toBe('connected');
}

/** alice is in a call with carol (answered here), bob's call rings. */
async function twoCalls(r: Rig): Promise<{ first: string; second: string }> {
  const first = incomingView('c-first', 'carol', Date.now());
  r.views.set(first.callId, first);
  r.link().push('call:incoming', { call: first });
  await r.phone.answer(first.callId);
  const second = incomingView('c-second', 'bob', Date.now());
  r.views.set(second.callId, second);
  r.link().push('call:incoming', { call: second });
  expect(r.phone.snapshot().calls.map((c) => [c.callId, c.local])).toEqual([
    ['c-first', 'active'],
    ['c-second', 'ringing-in'],
  ]);
  return { first: first.callId, second: second.callId };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connection', () => {
  it('reconnects with exponential backoff after failures, and at once after a connect', async () => {
    const r = await rig();
    const link = r.link();
    expect(link.connectCalls).toBe(1);
    expect(r.phone.snapshot().connection).toBe('connecting');
    for (const delay of [500, 1_000, 2_000, 4_000, 8_000, 8_000]) {
      const before = link.connectCalls;
      link.fail();
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(link.connectCalls).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(link.connectCalls).toBe(before + 1);
    }
    await connect(r);
    // The backoff starts over once connected.
    link.drop();
    expect(r.phone.snapshot().connection).toBe('reconnecting');
    const before = link.connectCalls;
    await vi.advanceTimersByTimeAsync(500);
    expect(link.connectCalls).toBe(before + 1);
  });

  it('a heartbeat without answer replaces the (zombie) connection', async () => {
    const r = await rig();
    await connect(r);
    const link = r.link();
    r.silent.add('session:ping');
    // First ping at 1 s, unanswered for its 1 s timeout.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(r.phone.stats.zombiesDetected).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.phone.stats.zombiesDetected).toBe(1);
    expect(link.disconnectCalls).toBe(1);
    expect(link.connectCalls).toBe(2);
    expect(r.phone.snapshot().connection).toBe('reconnecting');
  });

  it('a connection that answers its heartbeats stays', async () => {
    const r = await rig();
    await connect(r);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.phone.stats.heartbeats).toBe(10);
    expect(r.phone.stats.zombiesDetected).toBe(0);
    expect(r.link().disconnectCalls).toBe(0);
  });
});

describe('call registry', () => {
  it('ends ringing calls once signaling stays lost for the grace, not pushed back by failed reconnects', async () => {
    const r = await rig();
    await connect(r);
    r.link().push('call:incoming', { call: incomingView('c-ring', 'bob', Date.now()) });
    const stopped: string[] = [];
    r.phone.on('ring-stopped', (c) => stopped.push(c.callId));
    r.link().drop();
    // Failed reconnect attempts meanwhile must not re-arm the timer.
    for (let t = 0; t < 7; t++) {
      await vi.advanceTimersByTimeAsync(1_000);
      r.link().fail();
    }
    await vi.advanceTimersByTimeAsync(999);
    expect(r.phone.snapshot().calls[0]?.local).toBe('ringing-in');
    await vi.advanceTimersByTimeAsync(1);
    expect(r.phone.snapshot().calls[0]).toMatchObject({ local: 'ended', outcome: 'failed', endReason: 'device_lost' });
    expect(stopped).toEqual(['c-ring']);
  });

  it('a reconnect within the grace keeps the call ringing', async () => {
    const r = await rig();
    await connect(r);
    const v = incomingView('c-ring2', 'bob', Date.now());
    r.views.set(v.callId, v);
    r.link().push('call:incoming', { call: v });
    r.link().drop();
    await vi.advanceTimersByTimeAsync(500);
    await connect(r);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.phone.snapshot().calls[0]?.local).toBe('ringing-in');
  });
});

describe('call waiting', () => {
  it('answering a second call holds the first before the answer is sent', async () => {
    const r = await rig();
    await connect(r);
    const { first, second } = await twoCalls(r);
    const wanted: string[] = [];
    r.phone.on('media-wanted', ({ callId }) => wanted.push(callId));
    r.link().sent.length = 0;
    await r.phone.answer(second);
    expect(r.link().sent.filter((s) => s.event !== 'session:ping')).toEqual([
      { event: 'call:signal', payload: { callId: first, signal: { type: 'hold', held: true } } },
      { event: 'call:accept', payload: { callId: second } },
    ]);
    expect(wanted).toContain(second);
    const calls = r.phone.snapshot().calls;
    expect(calls.find((c) => c.callId === first)).toMatchObject({ local: 'active', held: true });
    expect(calls.find((c) => c.callId === second)).toMatchObject({ local: 'active', held: false });
  });

  it('swap resumes the held call and holds the other', async () => {
    const r = await rig();
    await connect(r);
    const { first, second } = await twoCalls(r);
    await r.phone.answer(second);
    r.link().sent.length = 0;
    await r.phone.swap(first);
    expect(r.link().sent.filter((s) => s.event !== 'session:ping').map((s) => s.payload)).toEqual([
      { callId: second, signal: { type: 'hold', held: true } },
      { callId: first, signal: { type: 'hold', held: false } },
    ]);
  });
});

describe('hang-up and hold with the server unreachable', () => {
  it('hang-up ends the call here at once, releases media, and is sent with endedAt on reconnect before the sync', async () => {
    const r = await rig();
    await connect(r);
    const v = incomingView('c-live', 'bob', Date.now());
    r.views.set(v.callId, v);
    r.link().push('call:incoming', { call: v });
    await r.phone.answer(v.callId);
    const released: string[] = [];
    r.phone.on('media-released', ({ callId }) => released.push(callId));
    r.link().drop();
    await vi.advanceTimersByTimeAsync(100);
    const hungUpAt = Date.now();
    await r.phone.hangup(v.callId);
    expect(released).toEqual([v.callId]);
    expect(r.phone.snapshot().calls[0]).toMatchObject({ local: 'ended', outcome: 'completed', endReason: 'hangup' });

    await vi.advanceTimersByTimeAsync(400);
    r.link().sent.length = 0;
    await connect(r);
    expect(r.link().eventsSent().slice(0, 2)).toEqual(['call:hangup', 'session:sync']);
    expect(r.link().sent[0]!.payload).toEqual({ callId: v.callId, endedAt: hungUpAt });
    // The server's view (still answered at sync time in other races) never revives it.
    r.link().push('call:answered', { call: answeredHere(v, hungUpAt) });
    expect(r.phone.snapshot().calls.find((c) => c.callId === v.callId)?.local ?? 'ended').toBe('ended');
  });

  it('hold applies here at once and reaches the far end on reconnect', async () => {
    const r = await rig();
    await connect(r);
    const v = incomingView('c-hold', 'bob', Date.now());
    r.views.set(v.callId, v);
    r.link().push('call:incoming', { call: v });
    await r.phone.answer(v.callId);
    r.link().drop();
    await r.phone.hold(v.callId, true);
    expect(r.phone.snapshot().calls[0]).toMatchObject({ local: 'active', held: true });
    await vi.advanceTimersByTimeAsync(500);
    r.link().sent.length = 0;
    await connect(r);
    expect(r.link().sent[0]).toEqual({ event: 'call:signal', payload: { callId: v.callId, signal: { type: 'hold', held: true } } });
  });
});
