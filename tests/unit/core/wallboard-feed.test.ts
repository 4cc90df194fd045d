/**
 * The supervisor's wallboard in the core (src/core/wallboard-feed.ts), wired as every host
 * wires it (HostBridge over a Softphone) on a fake signaling link: whether the page is
 * offered comes from the server, the feed subscribes only while the page is open and again
 * after a reconnect, pushes replace the figures (an older one never wins), and the
 * supervisor actions send what was asked.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HostBridge } from '../../../src/core/host-bridge.js';
import { MemoryStore } from '../../../src/core/ports.js';
import type { WallboardFeedState } from '../../../src/shared/contract.js';
import { ProtocolError, type ClientEventName, type Wallboard } from '../../../src/shared/protocol/index.js';
import { DEVICE, type FakeSignaling, ME, phoneOnFakeLinks } from './fake-signaling.js';

const REASONS = [
  { code: 'break', label: 'Break', system: false },
  { code: 'away', label: 'Away', system: true },
];

const board = (at: number, waiting = 0): Wallboard => ({
  at,
  dayStart: 0,
  queues: [
    {
      queue: { id: 'support', name: 'Support' },
      serviceLevelSec: 20,
      waiting,
      oldestWaitingSince: waiting > 0 ? at - 5_000 : null,
      agents: { offline: 0, 'not-ready': 0, ready: 1, reserved: 0, 'on-call': 0, 'wrap-up': 0 },
      answered: 0,
      abandoned: 0,
      unanswered: 0,
      refused: 0,
      serviceLevelPct: null,
      avgSpeedOfAnswerSec: null,
      avgHandleTimeSec: null,
    },
  ],
  agents: [],
});

async function rig(supervisor = true) {
  const store = new MemoryStore();
  await store.set('session', { serverUrl: 'http://server.test', refreshToken: 'r1', user: ME });
  const links: FakeSignaling[] = [];
  const server = { supervisor, wallboard: board(Date.now() + 5_000) };
  const respond = async (event: ClientEventName, payload: unknown): Promise<unknown> => {
    switch (event) {
      case 'session:sync':
        return { user: ME, status: 'available', settings: { callWaiting: true }, missedCount: 0, calls: [], ended: [], historyHead: null, lastSeenMissedAt: 0 };
      case 'session:ping':
        return { now: Date.now() };
      case 'agent:get':
        throw new ProtocolError('forbidden', 'not an agent');
      case 'agent:reasons':
        return { reasons: REASONS };
      case 'wallboard:subscribe':
        if (!server.supervisor) throw new ProtocolError('forbidden', 'this needs the supervisor role');
        return { wallboard: server.wallboard };
      case 'wallboard:unsubscribe':
        if (!server.supervisor) throw new ProtocolError('forbidden', 'this needs the supervisor role');
        return {};
      case 'agent:set':
      case 'supervisor:logout':
        return { agent: { user: { id: (payload as { userId: string }).userId } } };
      default:
        throw new Error(`unexpected request ${event}`);
    }
  };
  const phone = phoneOnFakeLinks(store, respond, links);
  const bridge = new HostBridge(phone, {} as never, { info: { kind: 'web', platform: 'test', appVersion: '0', deviceId: DEVICE } });
  const states: WallboardFeedState[] = [];
  bridge.subscribe((event, p) => {
    if (event === 'wallboard') states.push(p as WallboardFeedState);
  });
  expect(await phone.restore()).toBe(true);
  const link = () => links.at(-1)!;
  const invoke = async <T>(channel: string, payload: unknown): Promise<T> => {
    const r = await bridge.invoke(channel, payload);
    if (!r.ok) throw new ProtocolError(r.error.code, r.error.message);
    return r.data as T;
  };
  const sent = (event: ClientEventName) => links.flatMap((l) => l.sent.filter((s) => s.event === event).map((s) => s.payload));
  return { phone, bridge, server, link, states, invoke, sent, last: () => states.at(-1)! };
}

async function connect(r: Awaited<ReturnType<typeof rig>>): Promise<void> {
  r.link().open();
  await vi.advanceTimersByTimeAsync(0);
  expect(r.phone.snapshot().connection).toBe('connected');
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WallboardFeed', () => {
  it('nobody asked for it (the guest call page): not a single wallboard request', async () => {
    const r = await rig();
    await connect(r);
    expect(r.sent('wallboard:unsubscribe')).toHaveLength(0);
    expect(r.sent('wallboard:subscribe')).toHaveLength(0);
    expect(r.sent('agent:reasons')).toHaveLength(0);
  });

  it('a supervisor: offered once the server says so, without subscribing; reasons loaded; asked again after a reconnect', async () => {
    const r = await rig();
    await r.invoke('wallboard.state', {}); // the shell mounts before the link is up
    await connect(r);
    expect(r.last()).toMatchObject({ available: true, watching: false, live: false, wallboard: null, reasons: REASONS });
    expect(r.sent('wallboard:unsubscribe')).toHaveLength(1);
    expect(r.sent('wallboard:subscribe')).toHaveLength(0);
    r.link().drop();
    await vi.advanceTimersByTimeAsync(10_000);
    r.link().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent('wallboard:unsubscribe')).toHaveLength(2);
  });

  it('not a supervisor: not offered, and opening the page says why', async () => {
    const r = await rig(false);
    await connect(r);
    expect(await r.invoke('wallboard.state', {})).toMatchObject({ available: false, error: null });
    expect(r.sent('wallboard:unsubscribe')).toHaveLength(1);
    const s = await r.invoke<WallboardFeedState>('wallboard.watch', { watching: true });
    expect(s).toMatchObject({ available: false, watching: true, wallboard: null, error: { code: 'forbidden' } });
  });

  it('open: subscribes and shows the figures with the server clock offset; pushes replace them, an older one is dropped; close unsubscribes and ignores pushes', async () => {
    const r = await rig();
    await connect(r);
    const s = await r.invoke<WallboardFeedState>('wallboard.watch', { watching: true });
    expect(s).toMatchObject({ available: true, watching: true, live: true, clockOffsetMs: 5_000 });
    expect(s.wallboard).toEqual(r.server.wallboard);

    const newer = board(r.server.wallboard.at + 300, 2);
    r.link().push('wallboard:update', { wallboard: newer });
    expect(r.last().wallboard).toEqual(newer);
    r.link().push('wallboard:update', { wallboard: board(r.server.wallboard.at + 100, 1) });
    expect(r.last().wallboard).toEqual(newer);

    const closed = await r.invoke<WallboardFeedState>('wallboard.watch', { watching: false });
    expect(closed).toMatchObject({ watching: false, wallboard: null });
    expect(r.sent('wallboard:unsubscribe')).toHaveLength(1);
    r.link().push('wallboard:update', { wallboard: board(newer.at + 1_000, 3) });
    expect(r.last().wallboard).toBeNull();
  });

  it('a drop keeps the figures (not live); the reconnect subscribes again', async () => {
    const r = await rig();
    await connect(r);
    await r.invoke('wallboard.watch', { watching: true });
    r.link().drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.last()).toMatchObject({ live: false, watching: true });
    expect(r.last().wallboard).not.toBeNull();
    r.server.wallboard = board(Date.now() + 5_000, 4);
    await vi.advanceTimersByTimeAsync(10_000); // the backoff's reconnect
    r.link().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent('wallboard:subscribe')).toHaveLength(2);
    expect(r.last()).toMatchObject({ live: true });
    expect(r.last().wallboard!.queues[0]!.waiting).toBe(4);
  });

  it('opening the page while offline subscribes once connected', async () => {
    const r = await rig();
    const s = await r.invoke<WallboardFeedState>('wallboard.watch', { watching: true });
    expect(s).toMatchObject({ watching: true, live: false });
    expect(r.sent('wallboard:subscribe')).toHaveLength(0);
    await connect(r);
    expect(r.sent('wallboard:subscribe')).toHaveLength(1);
    expect(r.last()).toMatchObject({ live: true, available: true });
  });

  it('force not-ready and log out send the agent and the status asked for', async () => {
    const r = await rig();
    await connect(r);
    await r.invoke('supervisor.setAgent', { userId: 'u-bob', status: { state: 'not-ready', reason: 'break' } });
    await r.invoke('supervisor.logout', { userId: 'u-bob' });
    expect(r.sent('agent:set')).toEqual([{ userId: 'u-bob', status: { state: 'not-ready', reason: 'break' } }]);
    expect(r.sent('supervisor:logout')).toEqual([{ userId: 'u-bob' }]);
  });

  it('sign-out forgets the wallboard', async () => {
    const r = await rig();
    await connect(r);
    await r.invoke('wallboard.watch', { watching: true });
    await r.phone.logout().catch(() => undefined); // the fake has no HTTP server to revoke the session on
    expect(r.last()).toMatchObject({ available: false, watching: false, wallboard: null });
  });
});
