/**
 * The wallboard's figures (src/server/queues/wallboard-figures.ts) and its service
 * (wallboard.ts) on fakes of its sources: service level, ASA and AHT from the day's counts,
 * agents by state per queue, members never seen shown offline, pushes only when a figure
 * changed, and the poll that runs only while someone subscribes.
 */
import { describe, expect, it } from 'vitest';
import { newAgent, type AgentRecord } from '../../../src/server/agents/agent-machine.js';
import { DEFAULT_AUTO_ANSWER } from '../../../src/server/agents/agent-service.js';
import type { QueueLiveView, WaitingCall } from '../../../src/server/queues/types.js';
import { buildWallboard, dayFigures, dayStartOf } from '../../../src/server/queues/wallboard-figures.js';
import { WallboardService } from '../../../src/server/queues/wallboard.js';
import type { QueueDayCounts, QueueMemberRow } from '../../../src/server/store/queue-types.js';
import { QUEUE_DEFAULTS } from '../../../src/server/store/queue-types.js';
import { Wallboard, type QueueConfig, type UserSummary } from '../../../src/shared/protocol/index.js';
import { VirtualTimers } from './virtual-timers.js';

const user = (id: string, displayName = id): UserSummary => ({ id, username: id, displayName });
const queue = (id: string, serviceLevelSec = 20): QueueConfig => ({ ...QUEUE_DEFAULTS, id, name: `Queue ${id}`, serviceLevelSec, createdAt: 1 });
const counts = (c: Partial<QueueDayCounts>): QueueDayCounts => ({
  answered: 0,
  abandoned: 0,
  unanswered: 0,
  refused: 0,
  answeredWithinServiceLevel: 0,
  totalWaitMs: 0,
  totalTalkMs: 0,
  ...c,
});
const agent = (id: string, state: AgentRecord['state'], since = 5_000, reason: string | null = null): AgentRecord => ({
  ...newAgent(user(id, id.toUpperCase()), DEFAULT_AUTO_ANSWER, since),
  state,
  reason,
});
const member = (queueId: string, userId: string, level = 1, position = 1): QueueMemberRow => ({ queueId, userId, level, position });
const waitingCall = (callId: string, queueId: string, enqueuedAt: number): WaitingCall => ({
  callId,
  queueId,
  enqueuedAt,
  priority: 0,
  caller: user(`caller-${callId}`),
  callerKind: 'user',
  offeredTo: [],
});

describe('day figures', () => {
  it('service level over answered + abandoned + unanswered (refused never waited); ASA and AHT over answered', () => {
    // 3 answered (2 within the threshold), 1 abandoned, 1 unanswered, 2 refused.
    const f = dayFigures(counts({ answered: 3, answeredWithinServiceLevel: 2, abandoned: 1, unanswered: 1, refused: 2, totalWaitMs: 45_000, totalTalkMs: 100_000 }));
    expect(f).toEqual({ serviceLevelPct: 40, avgSpeedOfAnswerSec: 15, avgHandleTimeSec: 33.3 });
  });

  it('no call yet: no figure (null), not 0 % or 100 %', () => {
    expect(dayFigures(counts({}))).toEqual({ serviceLevelPct: null, avgSpeedOfAnswerSec: null, avgHandleTimeSec: null });
    expect(dayFigures(counts({ refused: 4 })).serviceLevelPct).toBeNull();
    expect(dayFigures(counts({ abandoned: 2 }))).toEqual({ serviceLevelPct: 0, avgSpeedOfAnswerSec: null, avgHandleTimeSec: null });
  });

  it('the day starts at local midnight', () => {
    const noon = new Date(2026, 11, 4, 12, 30).getTime();
    expect(dayStartOf(noon)).toBe(new Date(2026, 11, 4).getTime());
    expect(dayStartOf(new Date(2026, 11, 4).getTime())).toBe(new Date(2026, 11, 4).getTime());
  });
});

describe('buildWallboard', () => {
  const now = 100_000;
  const wb = buildWallboard({
    now,
    dayStart: 10,
    queues: [queue('sales', 30), queue('support')],
    counts: new Map([['support', counts({ answered: 1, answeredWithinServiceLevel: 1, totalWaitMs: 4_000, totalTalkMs: 60_000 })]]),
    waiting: new Map([['support', [waitingCall('c2', 'support', 90_000), waitingCall('c1', 'support', 80_000)]]]),
    agents: new Map([
      ['bob', agent('bob', 'ready')],
      ['ann', agent('ann', 'not-ready', 7_000, 'lunch')],
      ['zed', agent('zed', 'on-call')], // live, in no queue
    ]),
    members: [member('support', 'bob'), member('support', 'ann', 1, 2), member('sales', 'ann'), member('support', 'cid', 2, 3)],
    users: new Map([['cid', user('cid', 'Cid')]]),
    handled: { bob: 3 },
  });

  it('is a valid Wallboard', () => {
    expect(Wallboard.safeParse(wb).success).toBe(true);
    expect(wb).toMatchObject({ at: now, dayStart: 10 });
  });

  it('per queue: the line, members by state, the day', () => {
    const support = wb.queues.find((q) => q.queue.id === 'support')!;
    expect(support).toMatchObject({ waiting: 2, oldestWaitingSince: 80_000, answered: 1, serviceLevelPct: 100, avgSpeedOfAnswerSec: 4, avgHandleTimeSec: 60 });
    expect(support.agents).toEqual({ offline: 1, 'not-ready': 1, ready: 1, reserved: 0, 'on-call': 0, 'wrap-up': 0 });
    const sales = wb.queues.find((q) => q.queue.id === 'sales')!;
    expect(sales).toMatchObject({ waiting: 0, oldestWaitingSince: null, answered: 0, serviceLevelSec: 30, serviceLevelPct: null });
    expect(sales.agents['not-ready']).toBe(1);
  });

  it('per agent: state, reason, queues, handled today; a member never seen is offline since the day began', () => {
    expect(wb.agents.map((a) => a.agent.user.displayName)).toEqual(['ANN', 'BOB', 'Cid', 'ZED']);
    const [ann, bob, cid, zed] = wb.agents;
    expect(ann).toMatchObject({ agent: { state: 'not-ready', reason: 'lunch', since: 7_000 }, queues: ['sales', 'support'], handledToday: 0 });
    expect(bob).toMatchObject({ agent: { state: 'ready' }, queues: ['support'], handledToday: 3 });
    expect(cid).toMatchObject({ agent: { state: 'offline', since: 10 }, queues: ['support'] });
    expect(zed).toMatchObject({ agent: { state: 'on-call' }, queues: [] });
  });
});

/** Fakes of the sources, changeable between computes. */
function sources() {
  const agents = new Map<string, AgentRecord>([['bob', agent('bob', 'ready')]]);
  const line: WaitingCall[] = [];
  const listeners: ((q: string) => void)[] = [];
  const day = counts({});
  const reads = { dayCounts: 0 };
  const storage = {
    queues: {
      list: async () => [queue('support')],
      allMembers: async () => [member('support', 'bob')],
      dayCounts: async () => (reads.dayCounts++, { ...day }),
      handledSince: async () => ({}),
    },
    accounts: { getUserById: async () => undefined },
  } as never;
  const live = { agents: { list: async () => [...agents.values()] } } as never;
  const lineView: QueueLiveView = {
    waiting: async () => [...line],
    on: (_e, l) => listeners.push(l),
  };
  return { agents, line, listeners, day, reads, storage, live, lineView };
}

function service(subscribers: { n: number }) {
  const s = sources();
  const timers = new VirtualTimers();
  const sent: Wallboard[] = [];
  const wallboard = new WallboardService({
    storage: s.storage,
    live: s.live,
    log: { error: () => undefined },
    line: s.lineView,
    subscribers: () => subscribers.n,
    send: (w) => sent.push(w),
    timers,
  });
  return { ...s, timers, sent, wallboard };
}

describe('WallboardService', () => {
  it('a line change pushes within 1 s; an unchanged poll pushes nothing', async () => {
    const subs = { n: 1 };
    const t = service(subs);
    const first = await t.wallboard.subscribed();
    expect(first.queues[0]!.waiting).toBe(0);
    await t.timers.advance(2_000); // polls: the first push, then nothing new
    expect(t.sent).toHaveLength(1);
    const changedAt = t.timers.now();
    t.line.push(waitingCall('c1', 'support', changedAt));
    for (const l of t.listeners) l('support');
    await t.timers.advance(1_000);
    expect(t.sent).toHaveLength(2);
    expect(t.sent[1]!.queues[0]).toMatchObject({ waiting: 1, oldestWaitingSince: changedAt });
    expect(t.sent[1]!.at - changedAt).toBeLessThanOrEqual(250);
  });

  it('a change made elsewhere (no local event) shows by the poll within 1 s', async () => {
    const subs = { n: 1 };
    const t = service(subs);
    await t.wallboard.subscribed();
    await t.timers.advance(1_000);
    const before = t.sent.length;
    const changedAt = t.timers.now();
    t.agents.set('bob', agent('bob', 'not-ready', changedAt, 'break')); // another node's change
    await t.timers.advance(1_000);
    const update = t.sent.slice(before).find((w) => w.agents[0]!.agent.state === 'not-ready');
    expect(update).toBeDefined();
    expect(update!.at - changedAt).toBeLessThanOrEqual(1_000);
  });

  it('polls only while someone subscribes', async () => {
    const subs = { n: 1 };
    const t = service(subs);
    await t.wallboard.subscribed();
    await t.timers.advance(2_000);
    const reads = t.reads.dayCounts;
    expect(reads).toBeGreaterThan(1);
    subs.n = 0;
    t.wallboard.unsubscribed();
    t.wallboard.changed(); // nobody listens: no work
    await t.timers.advance(5_000);
    expect(t.reads.dayCounts).toBe(reads);
    expect(t.timers.pending).toBe(0);
  });

  it('closed (shutdown): no poll, no push, whatever happens after', async () => {
    const subs = { n: 1 };
    const t = service(subs);
    await t.wallboard.subscribed();
    t.wallboard.close();
    const reads = t.reads.dayCounts;
    for (const l of t.listeners) l('support');
    t.wallboard.changed();
    await t.timers.advance(5_000);
    expect(t.reads.dayCounts).toBe(reads);
    expect(t.sent).toHaveLength(0);
    expect(t.timers.pending).toBe(0);
  });

  it('a socket that went away without unsubscribing stops the poll at its next tick', async () => {
    const subs = { n: 1 };
    const t = service(subs);
    await t.wallboard.subscribed();
    subs.n = 0; // disconnected: socket.io dropped it from the room
    await t.timers.advance(1_000);
    expect(t.timers.pending).toBe(0);
  });
});
