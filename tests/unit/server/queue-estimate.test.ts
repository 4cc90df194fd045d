/** The estimated wait of a queue caller, and the staff counts it starts from. */
import { describe, expect, it } from 'vitest';
import { newAgent, type AgentRecord } from '../../../src/server/agents/agent-machine.js';
import { estimateWaitSec, staff, type WaitEstimateInput } from '../../../src/server/queues/estimate.js';

/** 10 answered calls of 120 s talk, 30 s wrap-up: aht 150 s. */
const base: WaitEstimateInput = { waitingAhead: 0, offered: false, answered: 10, totalTalkMs: 1_200_000, wrapUpSec: 30, agentsFree: 0, agentsWorking: 2 };
const est = (p: Partial<WaitEstimateInput>): number | null => estimateWaitSec({ ...base, ...p });

describe('estimated wait', () => {
  it('first in line with every agent busy: one release, aht / working', () => {
    expect(est({})).toBe(75);
    expect(est({ agentsWorking: 1 })).toBe(150);
    expect(est({ agentsWorking: 3 })).toBe(50);
  });

  it('grows with the callers ahead that wait for an agent', () => {
    expect(est({ waitingAhead: 1 })).toBe(150);
    expect(est({ waitingAhead: 3 })).toBe(300);
  });

  it('free agents take the first callers at once', () => {
    expect(est({ agentsFree: 1, agentsWorking: 2 })).toBe(0);
    expect(est({ waitingAhead: 1, agentsFree: 2, agentsWorking: 2 })).toBe(0);
    expect(est({ waitingAhead: 2, agentsFree: 1, agentsWorking: 2 })).toBe(150);
  });

  it('0 while being offered, whatever the line', () => {
    expect(est({ offered: true, waitingAhead: 9, answered: 0 })).toBe(0);
  });

  it('null with nothing to estimate from: no answered call yet, or nobody taking calls', () => {
    expect(est({ answered: 0, totalTalkMs: 0 })).toBeNull();
    expect(est({ agentsWorking: 0 })).toBeNull();
    expect(est({ totalTalkMs: Number.NaN })).toBeNull();
  });

  it('without wrap-up the handle time is the talk time; rounds up to whole seconds', () => {
    expect(est({ wrapUpSec: 0 })).toBe(60);
    expect(est({ wrapUpSec: 0, totalTalkMs: 1_000_010, agentsWorking: 3 })).toBe(34);
  });

  it('never negative on odd input', () => {
    expect(est({ waitingAhead: -3, totalTalkMs: -5, wrapUpSec: -1 })).toBe(0);
    expect(est({ agentsWorking: 0, agentsFree: 1 })).toBe(0);
  });
});

describe('staff counts', () => {
  const autoAnswer = { queue: false, internal: false, delayMs: 0, agentMayChange: false };
  const agent = (id: string, p: Partial<AgentRecord>): AgentRecord => ({ ...newAgent({ id, username: id, displayName: id }, autoAnswer, 0), ...p });
  const members = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'none'].map((userId, position) => ({ queueId: 'q', userId, level: 1, position }));
  const agents = new Map(
    [
      agent('a', { state: 'ready' }),
      agent('b', { state: 'ready', noOffersUntil: 5000 }),
      agent('c', { state: 'reserved' }),
      agent('d', { state: 'on-call' }),
      agent('e', { state: 'wrap-up' }),
      agent('f', { state: 'not-ready', reason: 'break' }),
      agent('g', { state: 'offline' }),
      agent('h', { state: 'ready', graceUntil: 9000 }),
      agent('outsider', { state: 'ready' }),
    ].map((a) => [a.userId, a]),
  );

  it('free = offerable members; working = members taking calls', () => {
    expect(staff(members, agents, 1000)).toEqual({ free: 1, working: 5 });
    expect(staff(members, agents, 5000)).toEqual({ free: 2, working: 5 });
  });

  it('leaves the caller out', () => {
    expect(staff(members, agents, 1000, 'a')).toEqual({ free: 0, working: 4 });
  });
});
