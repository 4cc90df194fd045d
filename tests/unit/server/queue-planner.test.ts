/** The pure queue planner: strategies, tiers, autofill, line order, tried agents, wakeAt. */
import { describe, expect, it } from 'vitest';
import { newAgent, type AgentRecord } from '../../../src/server/agents/agent-machine.js';
import { plan, type Plan, type PlanCall } from '../../../src/server/queues/planner.js';
import { QUEUE_DEFAULTS, type QueueMemberRow } from '../../../src/server/store/queue-types.js';
import type { QueueConfig, QueueStrategy } from '../../../src/shared/protocol/index.js';

const autoAnswer = { queue: false, internal: false, delayMs: 0, agentMayChange: false };

/** A ready agent, idle since 0 unless `p` says otherwise. */
function agent(id: string, p: Partial<AgentRecord> = {}): AgentRecord {
  return { ...newAgent({ id, username: id, displayName: id.toUpperCase() }, autoAnswer, 0), state: 'ready', ...p };
}

function call(callId: string, p: Partial<PlanCall> = {}): PlanCall {
  return { callId, queuedAt: 0, priority: 0, callerUserId: null, offered: false, tried: [], ...p };
}

interface Setup {
  strategy?: QueueStrategy;
  tierWaitSec?: number;
  /** userId, or [userId, level]; position = index. */
  members: (string | [string, number])[];
  agents: AgentRecord[];
  calls: PlanCall[];
  handledToday?: Record<string, number>;
  lastOfferedTo?: string | null;
  now?: number;
}

function run(s: Setup): Plan {
  const queue: QueueConfig = {
    id: 'support',
    name: 'Support',
    ...QUEUE_DEFAULTS,
    strategy: s.strategy ?? 'longest-idle',
    tierWaitSec: s.tierWaitSec ?? 30,
    createdAt: 0,
  };
  const members: QueueMemberRow[] = s.members.map((m, position) => {
    const [userId, level] = typeof m === 'string' ? [m, 1] : m;
    return { queueId: 'support', userId, level, position };
  });
  members.sort((a, b) => a.level - b.level || a.position - b.position);
  return plan({
    queue,
    members,
    agents: new Map(s.agents.map((a) => [a.userId, a])),
    calls: s.calls,
    handledToday: s.handledToday ?? {},
    lastOfferedTo: s.lastOfferedTo ?? null,
    now: s.now ?? 1000,
  });
}

/** callId → agents, in plan order. */
const picks = (p: Plan): string[] => p.offers.map((o) => `${o.callId}:${o.agentIds.join('+')}`);

describe('queue planner: longest-idle', () => {
  it('picks the agent idle longest (smallest idleSince)', () => {
    const p = run({ members: ['a', 'b', 'c'], agents: [agent('a', { idleSince: 300 }), agent('b', { idleSince: 100 }), agent('c', { idleSince: 200 })], calls: [call('c1')] });
    expect(picks(p)).toEqual(['c1:b']);
  });

  it('ties by user id', () => {
    const p = run({ members: ['b', 'a'], agents: [agent('b', { idleSince: 100 }), agent('a', { idleSince: 100 })], calls: [call('c1')] });
    expect(picks(p)).toEqual(['c1:a']);
  });

  it('ignores member order and skips a longer-idle agent who is not ready', () => {
    const p = run({
      members: ['a', 'b', 'c'],
      agents: [agent('a', { idleSince: 500 }), agent('b', { idleSince: 10, state: 'not-ready', reason: 'break' }), agent('c', { idleSince: 400 })],
      calls: [call('c1')],
    });
    expect(picks(p)).toEqual(['c1:c']);
  });

  it('autofill: the first call gets the longest idle, the second the next', () => {
    const p = run({ members: ['a', 'b', 'c'], agents: [agent('a', { idleSince: 300 }), agent('b', { idleSince: 100 }), agent('c', { idleSince: 200 })], calls: [call('c2', { queuedAt: 20 }), call('c1', { queuedAt: 10 })] });
    expect(picks(p)).toEqual(['c1:b', 'c2:c']);
  });
});

describe('queue planner: ring-all', () => {
  it('offers one call to every offerable member of the tier, in member order', () => {
    const p = run({ strategy: 'ring-all', members: ['c', 'a', 'b', 'd'], agents: [agent('a'), agent('b'), agent('c'), agent('d', { state: 'reserved' })], calls: [call('c1')] });
    expect(picks(p)).toEqual(['c1:c+a+b']);
  });

  it('autofill: the first call rings everyone, the next waits (nothing to wake for)', () => {
    const p = run({ strategy: 'ring-all', members: ['a', 'b'], agents: [agent('a'), agent('b')], calls: [call('c1', { queuedAt: 0 }), call('c2', { queuedAt: 5 })] });
    expect(picks(p)).toEqual(['c1:a+b']);
    expect(p.wakeAt).toBeNull();
  });

  it('rings the lowest tier only, even past the tier wait; the next call waits for its own tier wait', () => {
    const p = run({
      strategy: 'ring-all',
      members: [['a', 1], ['b', 1], ['c', 2]],
      agents: [agent('a'), agent('b'), agent('c')],
      calls: [call('c1', { queuedAt: 0 }), call('c2', { queuedAt: 50_000 })],
      now: 60_000,
    });
    expect(picks(p)).toEqual(['c1:a+b']);
    expect(p.wakeAt).toBe(80_000);
  });

  it('passes over an agent who declined the call while others ring', () => {
    const p = run({ strategy: 'ring-all', members: ['a', 'b', 'c'], agents: [agent('a'), agent('b'), agent('c')], calls: [call('c1', { tried: ['b'] })] });
    expect(picks(p)).toEqual(['c1:a+c']);
  });
});

describe('queue planner: round-robin', () => {
  const agents = [agent('a'), agent('b'), agent('c')];

  it('picks the member after the one offered the previous call', () => {
    expect(picks(run({ strategy: 'round-robin', members: ['a', 'b', 'c'], agents, calls: [call('c1')], lastOfferedTo: 'b' }))).toEqual(['c1:c']);
  });

  it('wraps after the last member; starts at the first with no previous offer', () => {
    expect(picks(run({ strategy: 'round-robin', members: ['a', 'b', 'c'], agents, calls: [call('c1')], lastOfferedTo: 'c' }))).toEqual(['c1:a']);
    expect(picks(run({ strategy: 'round-robin', members: ['a', 'b', 'c'], agents, calls: [call('c1')] }))).toEqual(['c1:a']);
  });

  it('skips a member who is not offerable; starts at the first when the previous one left the queue', () => {
    const busyB = [agent('a'), agent('b', { state: 'on-call' }), agent('c')];
    expect(picks(run({ strategy: 'round-robin', members: ['a', 'b', 'c'], agents: busyB, calls: [call('c1')], lastOfferedTo: 'a' }))).toEqual(['c1:c']);
    expect(picks(run({ strategy: 'round-robin', members: ['a', 'b', 'c'], agents, calls: [call('c1')], lastOfferedTo: 'gone' }))).toEqual(['c1:a']);
  });

  it('follows member order (position), not user id, and keeps turning within one plan', () => {
    const p = run({ strategy: 'round-robin', members: ['c', 'a', 'b'], agents, calls: [call('c1', { queuedAt: 1 }), call('c2', { queuedAt: 2 }), call('c3', { queuedAt: 3 })], lastOfferedTo: 'c' });
    expect(picks(p)).toEqual(['c1:a', 'c2:b', 'c3:c']);
  });
});

describe('queue planner: fewest-calls', () => {
  const agents = [agent('a', { idleSince: 10 }), agent('b', { idleSince: 30 }), agent('c', { idleSince: 20 })];

  it('picks who answered the fewest calls of the queue today', () => {
    expect(picks(run({ strategy: 'fewest-calls', members: ['a', 'b', 'c'], agents, calls: [call('c1')], handledToday: { a: 3, b: 1, c: 2 } }))).toEqual(['c1:b']);
  });

  it('counts a member missing from handledToday as 0', () => {
    expect(picks(run({ strategy: 'fewest-calls', members: ['a', 'b', 'c'], agents, calls: [call('c1')], handledToday: { a: 3, b: 1 } }))).toEqual(['c1:c']);
  });

  it('ties by longest idle, then by user id', () => {
    expect(picks(run({ strategy: 'fewest-calls', members: ['a', 'b', 'c'], agents, calls: [call('c1')], handledToday: { a: 1, b: 1, c: 1 } }))).toEqual(['c1:a']);
    const same = [agent('b', { idleSince: 5 }), agent('a', { idleSince: 5 })];
    expect(picks(run({ strategy: 'fewest-calls', members: ['b', 'a'], agents: same, calls: [call('c1')], handledToday: { a: 2, b: 2 } }))).toEqual(['c1:a']);
  });

  it('autofill: fewest first, then the next fewest', () => {
    const p = run({ strategy: 'fewest-calls', members: ['a', 'b', 'c'], agents, calls: [call('c1', { queuedAt: 1 }), call('c2', { queuedAt: 2 })], handledToday: { a: 5, b: 4, c: 0 } });
    expect(picks(p)).toEqual(['c1:c', 'c2:b']);
  });
});

describe('queue planner: top-down', () => {
  it('picks the first in member order whatever the idle time', () => {
    const p = run({ strategy: 'top-down', members: ['c', 'a', 'b'], agents: [agent('a', { idleSince: 0 }), agent('b', { idleSince: 0 }), agent('c', { idleSince: 900 })], calls: [call('c1')] });
    expect(picks(p)).toEqual(['c1:c']);
  });

  it('goes down the list past members who cannot take it', () => {
    const p = run({
      strategy: 'top-down',
      members: ['a', 'b', 'c'],
      agents: [agent('a', { state: 'wrap-up' }), agent('b', { noOffersUntil: 5000 }), agent('c')],
      calls: [call('c1')],
    });
    expect(picks(p)).toEqual(['c1:c']);
  });

  it('level comes before position', () => {
    const p = run({ strategy: 'top-down', tierWaitSec: 0, members: [['a', 2], ['b', 1]], agents: [agent('a'), agent('b')], calls: [call('c1'), call('c2', { queuedAt: 1 })] });
    expect(picks(p)).toEqual(['c1:b', 'c2:a']);
  });
});

describe('queue planner: tiers', () => {
  const busyA = agent('a', { state: 'on-call' });

  it('a level-2 member gets the call only after the tier wait while a level-1 agent is busy', () => {
    const setup = { members: [['a', 1], ['b', 2]] as [string, number][], agents: [busyA, agent('b')], calls: [call('c1', { queuedAt: 1000 })] };
    const early = run({ ...setup, now: 30_999 });
    expect(picks(early)).toEqual([]);
    expect(early.wakeAt).toBe(31_000);
    expect(picks(run({ ...setup, now: 31_000 }))).toEqual(['c1:b']);
  });

  it('every taking-calls state of a lower level holds the tier back: ready in a delay, reserved, on-call, wrap-up', () => {
    for (const a of [agent('a', { noOffersUntil: 99_000 }), agent('a', { state: 'reserved' }), busyA, agent('a', { state: 'wrap-up' })]) {
      expect(picks(run({ members: [['a', 1], ['b', 2]], agents: [a, agent('b')], calls: [call('c1')], now: 5000 }))).toEqual([]);
    }
  });

  it('a level-2 member is eligible at once when no level-1 member is logged in and ready', () => {
    const out = [agent('a', { state: 'not-ready', reason: 'break' }), agent('a', { state: 'offline' }), agent('a', { graceUntil: 60_000 })];
    for (const a of out) {
      expect(picks(run({ members: [['a', 1], ['b', 2]], agents: [a, agent('b')], calls: [call('c1')] }))).toEqual(['c1:b']);
    }
    // No live state at all is offline too.
    expect(picks(run({ members: [['a', 1], ['b', 2]], agents: [agent('b')], calls: [call('c1')] }))).toEqual(['c1:b']);
  });

  it('the wait is (level - lowest level) × tierWaitSec', () => {
    const agents = [busyA, agent('c')];
    const l3 = { members: [['a', 1], ['c', 3]] as [string, number][], agents, calls: [call('c1', { queuedAt: 0 })] };
    expect(run({ ...l3, now: 59_999 }).offers).toEqual([]);
    expect(run({ ...l3, now: 59_999 }).wakeAt).toBe(60_000);
    expect(picks(run({ ...l3, now: 60_000 }))).toEqual(['c1:c']);
    // Lowest level 2: level 3 is one tier up.
    const l2 = { members: [['a', 2], ['c', 3]] as [string, number][], agents, calls: [call('c1', { queuedAt: 0 })], now: 30_000 };
    expect(picks(run(l2))).toEqual(['c1:c']);
  });

  it('a middle tier without a ready member does not open the top tier early', () => {
    const p = run({ members: [['a', 1], ['b', 2], ['c', 3]], agents: [busyA, agent('b', { state: 'not-ready', reason: 'away' }), agent('c')], calls: [call('c1')], now: 40_000 });
    expect(p.offers).toEqual([]);
    expect(p.wakeAt).toBe(60_000);
  });

  it('a free lower-level agent is preferred even after the tier wait', () => {
    const p = run({ members: [['b', 2], ['a', 1]], agents: [agent('a', { idleSince: 900 }), agent('b', { idleSince: 0 })], calls: [call('c1')], now: 100_000 });
    expect(picks(p)).toEqual(['c1:a']);
  });

  it('autofill across tiers: a level-1 agent taken by the first call still holds the second for the tier wait', () => {
    const p = run({ members: [['a', 1], ['b', 2]], agents: [agent('a'), agent('b')], calls: [call('c1', { queuedAt: 0 }), call('c2', { queuedAt: 2000 })], now: 3000 });
    expect(picks(p)).toEqual(['c1:a']);
    expect(p.wakeAt).toBe(32_000);
  });

  it('tierWaitSec 0: every tier at once, the lowest free one first', () => {
    const p = run({ tierWaitSec: 0, members: [['a', 1], ['b', 2]], agents: [busyA, agent('b')], calls: [call('c1')] });
    expect(picks(p)).toEqual(['c1:b']);
  });

  it('an agent who declined or missed the call does not hold the next tier back for it', () => {
    const declined = agent('a', { noOffersUntil: 11_000 });
    const p = run({ members: [['a', 1], ['b', 2]], agents: [declined, agent('b')], calls: [call('c1', { tried: ['a'] }), call('c2', { queuedAt: 500 })], now: 1000 });
    expect(picks(p)).toEqual(['c1:b']);
    // c2 waits: a (in their delay) holds level 2 back for it; a is free for it at 11 s.
    expect(p.wakeAt).toBe(11_000);
  });

  it('the caller, a lower-level member, does not hold the tier back for their own call', () => {
    const p = run({ members: [['a', 1], ['b', 2]], agents: [agent('a'), agent('b')], calls: [call('c1', { callerUserId: 'a' })] });
    expect(picks(p)).toEqual(['c1:b']);
  });
});

describe('queue planner: wakeAt', () => {
  it('null with nothing to wait for: no calls, every call offered, or nobody ready', () => {
    expect(run({ members: ['a'], agents: [agent('a')], calls: [] })).toEqual({ offers: [], wakeAt: null });
    expect(run({ members: ['a'], agents: [agent('a', { state: 'reserved' })], calls: [call('c1', { offered: true })] })).toEqual({ offers: [], wakeAt: null });
    const nobody = [agent('a', { state: 'not-ready', reason: 'away', noOffersUntil: 9000 }), agent('b', { state: 'on-call' })];
    expect(run({ members: [['a', 1], ['b', 2]], agents: nobody, calls: [call('c1')] })).toEqual({ offers: [], wakeAt: null });
  });

  it("a ready agent's no-offer delay ending", () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a', { noOffersUntil: 8000 }), agent('b', { noOffersUntil: 6000 })], calls: [call('c1')] });
    expect(p).toEqual({ offers: [], wakeAt: 6000 });
  });

  it('the earliest tier threshold over the waiting calls, and the later of delay and threshold', () => {
    const busyA = agent('a', { state: 'on-call' });
    const p = run({ members: [['a', 1], ['b', 2]], agents: [busyA, agent('b')], calls: [call('c2', { queuedAt: 10_000 }), call('c1', { queuedAt: 4000 })], now: 20_000 });
    expect(p.wakeAt).toBe(34_000);
    const q = run({ members: [['a', 1], ['b', 2]], agents: [busyA, agent('b', { noOffersUntil: 50_000 })], calls: [call('c1', { queuedAt: 4000 })], now: 20_000 });
    expect(q.wakeAt).toBe(50_000);
  });

  it("not for the caller's own delay: they never take their own call", () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a', { noOffersUntil: 5000 }), agent('b')], calls: [call('c1', { callerUserId: 'a' }), call('c2', { queuedAt: 1 })] });
    expect(picks(p)).toEqual(['c1:b']);
    expect(p.wakeAt).toBe(5000); // c2 can have a then
    const q = run({ members: ['a', 'b'], agents: [agent('a', { noOffersUntil: 5000 }), agent('b', { state: 'on-call' })], calls: [call('c1', { callerUserId: 'a' })] });
    expect(q).toEqual({ offers: [], wakeAt: null });
  });
});

describe('queue planner: autofill and line order', () => {
  it('more calls than agents: one call per agent in line order, the rest wait', () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a', { idleSince: 1 }), agent('b', { idleSince: 2 })], calls: [call('c3', { queuedAt: 3 }), call('c1', { queuedAt: 1 }), call('c2', { queuedAt: 2 })] });
    expect(picks(p)).toEqual(['c1:a', 'c2:b']);
    expect(p.wakeAt).toBeNull();
  });

  it('more agents than calls: one agent per call', () => {
    const p = run({ members: ['a', 'b', 'c', 'd'], agents: ['a', 'b', 'c', 'd'].map((id, i) => agent(id, { idleSince: i })), calls: [call('c1'), call('c2', { queuedAt: 1 })] });
    expect(picks(p)).toEqual(['c1:a', 'c2:b']);
  });

  it('higher priority first, then first in, then call id', () => {
    const calls = [call('late', { queuedAt: 10 }), call('vip', { queuedAt: 50, priority: 5 }), call('early', { queuedAt: 5 }), call('b-same', { queuedAt: 7 }), call('a-same', { queuedAt: 7 })];
    const agents = ['a', 'b', 'c', 'd', 'e'].map((id, i) => agent(id, { idleSince: i }));
    const p = run({ members: ['a', 'b', 'c', 'd', 'e'], agents, calls, now: 60 });
    expect(picks(p)).toEqual(['vip:a', 'early:b', 'a-same:c', 'b-same:d', 'late:e']);
    const few = run({ members: ['a', 'b'], agents: agents.slice(0, 2), calls, now: 60 });
    expect(picks(few)).toEqual(['vip:a', 'early:b']);
  });

  it('skips a call being offered and leaves its ringing agent alone', () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a', { state: 'reserved', callId: 'c1' }), agent('b')], calls: [call('c1', { offered: true }), call('c2', { queuedAt: 1 })] });
    expect(picks(p)).toEqual(['c2:b']);
  });

  it('a call nobody can take does not hold back the calls behind it', () => {
    const p = run({ members: ['a'], agents: [agent('a')], calls: [call('c1', { callerUserId: 'a' }), call('c2', { queuedAt: 1 })] });
    expect(picks(p)).toEqual(['c2:a']);
  });

  it('the same plan whatever the order of members and calls', () => {
    const agents = ['a', 'b', 'c'].map((id) => agent(id, { idleSince: 7 }));
    const calls = [call('x', { queuedAt: 3 }), call('y', { queuedAt: 3 }), call('z', { queuedAt: 3 })];
    const one = run({ members: ['a', 'b', 'c'], agents, calls });
    const two = run({ members: ['a', 'b', 'c'], agents: [...agents].reverse(), calls: [...calls].reverse() });
    expect(picks(one)).toEqual(['x:a', 'y:b', 'z:c']);
    expect(two).toEqual(one);
  });
});

describe('queue planner: tried agents', () => {
  it('passes over an agent who declined or missed the call while another is eligible', () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a', { idleSince: 0 }), agent('b', { idleSince: 500 })], calls: [call('c1', { tried: ['a'] })] });
    expect(picks(p)).toEqual(['c1:b']);
  });

  it('offers it again to a tried agent when they are the only one', () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a'), agent('b', { state: 'on-call' })], calls: [call('c1', { tried: ['a'] })] });
    expect(picks(p)).toEqual(['c1:a']);
  });

  it('among only tried agents, the strategy picks', () => {
    const p = run({ members: ['a', 'b', 'c'], agents: [agent('a', { idleSince: 50 }), agent('b', { idleSince: 20 }), agent('c', { state: 'offline' })], calls: [call('c1', { tried: ['a', 'b'] })] });
    expect(picks(p)).toEqual(['c1:b']);
  });

  it('the first call in line gets its tried agent back rather than a later call getting them', () => {
    const p = run({ members: ['a'], agents: [agent('a')], calls: [call('c2', { queuedAt: 2 }), call('c1', { queuedAt: 1, tried: ['a'] })] });
    expect(picks(p)).toEqual(['c1:a']);
  });

  it('with two agents the tried one takes the next call', () => {
    const p = run({ members: ['a', 'b'], agents: [agent('a', { idleSince: 0 }), agent('b', { idleSince: 9 })], calls: [call('c1', { tried: ['a'] }), call('c2', { queuedAt: 1 })] });
    expect(picks(p)).toEqual(['c1:b', 'c2:a']);
  });
});

describe('queue planner: who is never offered', () => {
  it('offline, not-ready, reserved, on-call, wrap-up, in grace, in a no-offer delay, or without live state', () => {
    const agents = [
      agent('off', { state: 'offline' }),
      agent('nr', { state: 'not-ready', reason: 'break' }),
      agent('res', { state: 'reserved' }),
      agent('oc', { state: 'on-call' }),
      agent('wu', { state: 'wrap-up' }),
      agent('gr', { graceUntil: 5000 }),
      agent('no', { noOffersUntil: 1001 }),
    ];
    const members = [...agents.map((a) => a.userId), 'none'];
    expect(run({ members, agents, calls: [call('c1')], now: 1000 }).offers).toEqual([]);
    // A delay that has ended no longer counts.
    expect(picks(run({ members, agents, calls: [call('c1')], now: 1001 }))).toEqual(['c1:no']);
  });

  it('never the caller; never an agent who is not a member', () => {
    const p = run({ members: ['a'], agents: [agent('a'), agent('outsider', { idleSince: -5 })], calls: [call('c1', { callerUserId: 'a' })] });
    expect(p).toEqual({ offers: [], wakeAt: null });
  });

  it('never one agent for two calls, whatever the strategy', () => {
    for (const strategy of ['longest-idle', 'ring-all', 'round-robin', 'fewest-calls', 'top-down'] as const) {
      const p = run({ strategy, members: ['a', 'b', 'c'], agents: [agent('a'), agent('b'), agent('c')], calls: ['c1', 'c2', 'c3', 'c4'].map((id, i) => call(id, { queuedAt: i })) });
      const ids = p.offers.flatMap((o) => o.agentIds);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(['a', 'b', 'c']);
    }
  });
});
