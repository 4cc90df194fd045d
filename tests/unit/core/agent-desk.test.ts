/**
 * The agent desk and auto-answer in the core, under fake timers with a fake signaling link:
 * the agent view mirrors the server (refresh after every connect, pushes, acks), requests
 * carry what the user asked, auto-away reaches the server even after a drop, and a call the
 * server marks for auto-answer is answered after its delay through the one answer path.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { type Softphone } from '../../../src/core/softphone.js';
import { ProtocolError, type AgentView, type CallView, type ClientEventName, type HistoryRecord } from '../../../src/shared/protocol/index.js';
import { DEVICE, type FakeSignaling, ME, answeredHere, incomingView, phoneOnFakeLinks } from './fake-signaling.js';

const REASONS = [
  { code: 'break', label: 'Break', system: false },
  { code: 'away', label: 'Away', system: true },
];

function agentView(patch: Partial<AgentView> = {}): AgentView {
  return {
    user: ME,
    state: 'ready',
    reason: null,
    since: 1_000_000,
    by: 'agent',
    next: null,
    previous: null,
    callId: null,
    offerDeadline: null,
    wrapUp: null,
    noOffersUntil: null,
    graceUntil: null,
    autoAnswer: { queue: true, internal: false, delayMs: 500, agentMayChange: false },
    ...patch,
  };
}

interface Rig {
  phone: Softphone;
  link(): FakeSignaling;
  views: Map<string, CallView>;
  /** What the fake server answers to agent requests (null: the user is not an agent). */
  server: { agent: AgentView | null; history: HistoryRecord[] };
  sent(event: ClientEventName): unknown[];
}

async function rig(): Promise<Rig> {
  const store = new MemoryStore();
  await store.set('session', { serverUrl: 'http://server.test', refreshToken: 'r1', user: ME });
  const views = new Map<string, CallView>();
  const server: Rig['server'] = { agent: agentView(), history: [] };
  const links: FakeSignaling[] = [];
  const respond = async (event: string, payload: unknown): Promise<unknown> => {
    const p = payload as Record<string, unknown> & { callId?: string };
    const agentAck = (patch: Partial<AgentView>) => {
      if (!server.agent) throw new ProtocolError('forbidden', 'not an agent');
      server.agent = { ...server.agent, ...patch };
      return { agent: server.agent };
    };
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
        // This fake server's clock runs 5 s ahead of the device's.
        return { now: Date.now() + 5_000 };
      case 'call:signal':
        return {};
      case 'call:accept': {
        const v = answeredHere(views.get(p.callId!)!, Date.now());
        views.set(v.callId, v);
        return { call: v };
      }
      case 'call:decline': {
        const v: CallView = { ...views.get(p.callId!)!, state: 'ended', outcome: 'declined', endReason: 'declined' };
        views.set(v.callId, v);
        return { call: v };
      }
      case 'history:list':
        return { items: server.history, nextCursor: null };
      case 'agent:get':
        return agentAck({});
      case 'agent:reasons':
        return { reasons: REASONS };
      case 'agent:set': {
        const status = p.status as { state: 'ready' } | { state: 'not-ready'; reason: string } | null;
        if (status === null) return agentAck({ next: null });
        return agentAck({ state: status.state, reason: status.state === 'not-ready' ? status.reason : null, since: Date.now() });
      }
      case 'agent:wrapup':
        return agentAck({});
      case 'agent:wrapup-extend':
        return agentAck({});
      case 'agent:auto-answer':
        return agentAck({ autoAnswer: { ...server.agent!.autoAnswer, ...(p.autoAnswer as object) } });
      case 'agent:auto-away':
        return agentAck(p.away ? { state: 'not-ready', reason: 'away', by: 'auto-away', since: Date.now() } : { state: 'ready', reason: null, since: Date.now() });
      default:
        throw new Error(`unexpected request ${event}`);
    }
  };
  const phone = phoneOnFakeLinks(store, respond, links);
  expect(await phone.restore()).toBe(true);
  const link = () => links.at(-1)!;
  return {
    phone,
    link,
    views,
    server,
    sent: (event) => links.flatMap((l) => l.sent.filter((s) => s.event === event).map((s) => s.payload)),
  };
}

async function connect(r: Rig): Promise<void> {
  r.link().open();
  await vi.advanceTimersByTimeAsync(0);
  expect(r.phone.snapshot().connection).toBe('connected');
}

function ring(r: Rig, callId: string, autoAnswerMs: number | null, from: 'bob' | 'carol' = 'bob'): CallView {
  const v: CallView = { ...incomingView(callId, from, Date.now()), autoAnswerMs, queue: { id: 'q-support', name: 'Support' } };
  r.views.set(callId, v);
  r.link().push('call:incoming', { call: v });
  return v;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('agent desk', () => {
  it('reads the agent view and the reason codes after connecting, and emits them', async () => {
    const r = await rig();
    const seen: (string | null)[] = [];
    r.phone.on('agent', (d) => seen.push(d.agent?.state ?? null));
    await connect(r);
    expect(r.phone.snapshot().agent).toMatchObject({ state: 'ready', user: { id: ME.id } });
    expect(r.phone.snapshot().agentReasons).toEqual(REASONS);
    expect(seen.at(-1)).toBe('ready');
    // The view's instants are the server's: the UI counts with the measured offset.
    expect(r.phone.snapshot().agentClockOffsetMs).toBe(5_000);
  });

  it('a user without the agent role has no desk', async () => {
    const r = await rig();
    r.server.agent = null;
    await connect(r);
    expect(r.phone.snapshot().agent).toBeNull();
    expect(r.sent('agent:reasons')).toEqual([]);
  });

  it('pushes replace the view; another agent’s view and a stale ack do not', async () => {
    const r = await rig();
    await connect(r);
    r.link().push('agent:changed', { agent: agentView({ state: 'on-call', callId: 'c1', since: 1_000_100 }) });
    expect(r.phone.snapshot().agent).toMatchObject({ state: 'on-call', callId: 'c1' });
    r.link().push('agent:changed', { agent: agentView({ user: { id: 'u-bob', username: 'bob', displayName: 'Bob' }, state: 'offline' }) });
    expect(r.phone.snapshot().agent?.state).toBe('on-call');
    r.link().push('agent:changed', { agent: agentView({ state: 'ready', since: 1_000_050 }) });
    expect(r.phone.snapshot().agent?.state).toBe('on-call');
  });

  it('a reconnect reads the server’s view again (changed while the link was down)', async () => {
    const r = await rig();
    await connect(r);
    r.link().drop();
    r.server.agent = agentView({ state: 'not-ready', reason: 'missed', by: 'system', since: 1_000_200 });
    await vi.advanceTimersByTimeAsync(500);
    await connect(r);
    expect(r.phone.snapshot().agent).toMatchObject({ state: 'not-ready', reason: 'missed' });
  });

  it('set, cancel next, wrap-up and extend send what the user asked', async () => {
    const r = await rig();
    await connect(r);
    await r.phone.setAgentStatus({ state: 'not-ready', reason: 'break' });
    expect(r.phone.snapshot().agent).toMatchObject({ state: 'not-ready', reason: 'break' });
    await r.phone.setAgentStatus(null);
    await r.phone.wrapUp({ callId: 'c1', disposition: 'resolved', notes: 'ok', done: true });
    await r.phone.extendWrapUp('c1');
    expect(r.sent('agent:set')).toEqual([{ status: { state: 'not-ready', reason: 'break' } }, { status: null }]);
    expect(r.sent('agent:wrapup')).toEqual([{ callId: 'c1', disposition: 'resolved', notes: 'ok', done: true }]);
    expect(r.sent('agent:wrapup-extend')).toEqual([{ callId: 'c1' }]);
  });

  it('when wrap-up ends the history is read again, so the record shows its disposition and notes', async () => {
    const r = await rig();
    await connect(r);
    const wrapUp = {
      callId: 'c1',
      deadline: Date.now() + 30_000,
      awaitingDisposition: false,
      extensionsLeft: 1,
      extendBySec: 30,
      dispositions: [{ code: 'solved', label: 'Solved' }],
      dispositionRequired: true,
      disposition: 'solved',
      notes: 'reset',
    };
    r.link().push('agent:changed', { agent: agentView({ state: 'wrap-up', callId: 'c1', wrapUp, since: 1_000_100 }) });
    expect(r.sent('history:list')).toEqual([]);
    r.server.history = [
      {
        id: 'h1', callId: 'c1', direction: 'incoming', peer: ME, outcome: 'completed', endReason: 'hangup', missed: false,
        startedAt: 0, answeredAt: 1, endedAt: 2, durationSec: 1, answeredDeviceId: DEVICE, seen: true,
        queue: { id: 'support', name: 'Support' }, disposition: 'solved', notes: 'reset',
      },
    ];
    r.link().push('agent:changed', { agent: agentView({ state: 'ready', since: 1_000_200 }) });
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent('history:list')).toHaveLength(1);
    expect(r.phone.snapshot().history[0]).toMatchObject({ callId: 'c1', disposition: 'solved', notes: 'reset' });
  });

  it('auto-answer changes go to the server and come back in the view', async () => {
    const r = await rig();
    await connect(r);
    await r.phone.setAutoAnswer({ queue: false, delayMs: 1000 });
    expect(r.sent('agent:auto-answer')).toEqual([{ autoAnswer: { queue: false, delayMs: 1000 } }]);
    expect(r.phone.snapshot().agent?.autoAnswer).toMatchObject({ queue: false, delayMs: 1000 });
  });

  it('auto-away asked while disconnected reaches the server on reconnect, once', async () => {
    const r = await rig();
    await connect(r);
    r.link().drop();
    await r.phone.autoAway(true);
    expect(r.sent('agent:auto-away')).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    await connect(r);
    expect(r.sent('agent:auto-away')).toEqual([{ away: true }]);
    expect(r.phone.snapshot().agent).toMatchObject({ state: 'not-ready', reason: 'away', by: 'auto-away' });
    r.link().drop();
    await vi.advanceTimersByTimeAsync(500);
    await connect(r);
    expect(r.sent('agent:auto-away')).toHaveLength(1);
  });

  it('auto-away of a non-agent sends nothing', async () => {
    const r = await rig();
    r.server.agent = null;
    await connect(r);
    await r.phone.autoAway(true);
    expect(r.sent('agent:auto-away')).toEqual([]);
  });
});

describe('auto-answer', () => {
  it('answers after the server’s delay, through the answer path, and says so', async () => {
    const r = await rig();
    await connect(r);
    const auto: string[] = [];
    const wanted: string[] = [];
    r.phone.on('auto-answered', ({ callId }) => auto.push(callId));
    r.phone.on('media-wanted', ({ callId }) => wanted.push(callId));
    ring(r, 'c-q', 500);
    await vi.advanceTimersByTimeAsync(499);
    expect(r.sent('call:accept')).toEqual([]);
    expect(r.phone.snapshot().calls[0]?.local).toBe('ringing-in');
    await vi.advanceTimersByTimeAsync(1);
    expect(r.sent('call:accept')).toEqual([{ callId: 'c-q' }]);
    expect(r.phone.snapshot().calls[0]?.local).toBe('active');
    expect(wanted).toContain('c-q'); // the same media path as a manual answer
    expect(auto).toEqual(['c-q']);
  });

  it('a delay of 0 answers at once', async () => {
    const r = await rig();
    await connect(r);
    ring(r, 'c-zero', 0);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.sent('call:accept')).toEqual([{ callId: 'c-zero' }]);
  });

  it('holds the call already running here first (call waiting)', async () => {
    const r = await rig();
    await connect(r);
    const first = ring(r, 'c-first', null, 'carol');
    await r.phone.answer(first.callId);
    r.link().sent.length = 0;
    ring(r, 'c-second', 300);
    await vi.advanceTimersByTimeAsync(300);
    expect(r.link().eventsSent()).toEqual(['call:signal', 'call:accept']);
    expect(r.phone.snapshot().calls.find((c) => c.callId === 'c-first')).toMatchObject({ local: 'active', held: true });
  });

  it('does not answer a call the user declined or answered first', async () => {
    const r = await rig();
    await connect(r);
    const auto: string[] = [];
    r.phone.on('auto-answered', ({ callId }) => auto.push(callId));
    ring(r, 'c-declined', 500);
    await vi.advanceTimersByTimeAsync(200);
    await r.phone.decline('c-declined');
    ring(r, 'c-answered', 500, 'carol');
    await vi.advanceTimersByTimeAsync(100);
    await r.phone.answer('c-answered');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(r.sent('call:accept')).toEqual([{ callId: 'c-answered' }]);
    expect(auto).toEqual([]);
  });

  it('does not answer a call that stopped ringing here (cancelled, answered elsewhere)', async () => {
    const r = await rig();
    await connect(r);
    const a = ring(r, 'c-cancelled', 500);
    const b = ring(r, 'c-elsewhere', 500, 'carol');
    await vi.advanceTimersByTimeAsync(200);
    r.link().push('call:ended', { call: { ...a, state: 'ended', outcome: 'cancelled', endReason: 'cancelled' } });
    r.link().push('call:answered-elsewhere', { call: { ...b, state: 'answered', answeredDeviceId: 'dev-other', answeredAt: Date.now() } });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(r.sent('call:accept')).toEqual([]);
  });

  it('a call without autoAnswerMs keeps ringing', async () => {
    const r = await rig();
    await connect(r);
    ring(r, 'c-manual', null);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(r.sent('call:accept')).toEqual([]);
    expect(r.phone.snapshot().calls[0]?.local).toBe('ringing-in');
  });
});
