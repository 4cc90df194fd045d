/** Every transition of the pure agent state machine, on a fake clock (`now` is a parameter). */
import { describe, expect, it } from 'vitest';
import {
  dueAt,
  newAgent,
  step,
  type AgentEvent,
  type AgentRecord,
  type MachineConfig,
  type WrapUpSpec,
} from '../../../src/server/agents/agent-machine.js';
import { ProtocolError } from '../../../src/shared/protocol/index.js';

const cfg: MachineConfig = { graceMs: 60_000, maxNoAnswer: 1, rejectDelayMs: 10_000, noAnswerDelayMs: 0 };
const user = { id: 'u1', username: 'bob', displayName: 'Bob' };
const autoAnswer = { queue: false, internal: false, delayMs: 0, agentMayChange: false };
const wrap: WrapUpSpec = {
  seconds: 30,
  extendBySec: 30,
  extensions: 1,
  dispositions: [{ code: 'solved', label: 'Solved' }],
  required: true,
};
const noWrap: WrapUpSpec = { seconds: 0, extendBySec: 30, extensions: 0, dispositions: [], required: false };

/** Runs events in order from t=0, one second apart unless an event says `at`. */
function run(events: (AgentEvent & { at?: number })[], c = cfg) {
  let a: AgentRecord = newAgent(user, autoAnswer, 0);
  let t = 0;
  const log: string[] = [];
  const effects: string[] = [];
  for (const ev of events) {
    t = ev.at ?? t + 1000;
    const s = step(a, ev, t, c);
    a = s.agent;
    log.push(...s.log.map((l) => `${l.from}>${l.to}${l.reason ? `(${l.reason})` : ''}:${l.cause}`));
    effects.push(...s.effects.map((e) => e.type));
  }
  return { a, log, effects, t };
}

const ready: AgentEvent[] = [{ type: 'device-online' }, { type: 'set', status: { state: 'ready' }, by: 'agent', byUserId: null }];
const offer = (deadline = 20_000): AgentEvent => ({ type: 'offer', callId: 'c1', queueId: 'q', deadline });

describe('agent state machine', () => {
  it('sign in → not-ready(away); set ready; set not-ready(break)', () => {
    const r = run([...ready, { type: 'set', status: { state: 'not-ready', reason: 'break' }, by: 'agent', byUserId: null }]);
    expect(r.log).toEqual(['offline>not-ready(away):device', 'not-ready>ready:set', 'ready>not-ready(break):set']);
    expect(r.a.state).toBe('not-ready');
    expect(r.a.since).toBe(3000);
  });

  it('offer → reserved with a deadline; answer → on-call; hang up → wrap-up with the timer', () => {
    const r = run([...ready, offer(), { type: 'answered', callId: 'c1' }, { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: wrap }]);
    expect(r.log.slice(2)).toEqual(['ready>reserved:offer', 'reserved>on-call:answer', 'on-call>wrap-up:hangup']);
    expect(r.a.wrapUp?.deadline).toBe(r.t + 30_000);
    expect(dueAt(r.a)).toBe(r.t + 30_000);
  });

  it('extend adds time once; a required disposition holds wrap-up past the timer until it is given', () => {
    let r = run([...ready, offer(), { type: 'answered', callId: 'c1' }, { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: wrap }]);
    const end = r.t + 30_000;
    let s = step(r.a, { type: 'extend', callId: 'c1' }, r.t + 1, cfg);
    expect(s.agent.wrapUp?.deadline).toBe(end + 30_000);
    expect(() => step(s.agent, { type: 'extend', callId: 'c1' }, r.t + 2, cfg)).toThrow(ProtocolError);
    s = step(s.agent, { type: 'timer' }, end + 30_000, cfg);
    expect(s.agent.state).toBe('wrap-up');
    expect(s.agent.wrapUp).toMatchObject({ awaitingDisposition: true, deadline: null });
    expect(dueAt(s.agent)).toBeNull();
    expect(() => step(s.agent, { type: 'wrapup', callId: 'c1', done: true }, end + 31_000, cfg)).toThrow(/required/);
    s = step(s.agent, { type: 'wrapup', callId: 'c1', disposition: 'solved', notes: 'ok\u0007!' }, end + 32_000, cfg);
    expect(s.agent.state).toBe('ready');
    expect(s.effects).toEqual([{ type: 'save-wrapup', callId: 'c1', disposition: 'solved', notes: 'ok!' }]);
    r = { ...r, a: s.agent };
    expect(r.a.wrapUp).toBeNull();
  });

  it('wrap-up timer without a required disposition → ready; done ends it early; unknown disposition refused', () => {
    const w = { ...wrap, required: false };
    const base = [...ready, offer(), { type: 'answered', callId: 'c1' } as AgentEvent, { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: w } as AgentEvent];
    const r = run(base);
    expect(step(r.a, { type: 'timer' }, r.t + 30_000, cfg).agent.state).toBe('ready');
    expect(step(r.a, { type: 'timer' }, r.t + 29_000, cfg).agent.state).toBe('wrap-up');
    expect(step(r.a, { type: 'wrapup', callId: 'c1', done: true }, r.t + 1, cfg).log[0]?.cause).toBe('wrapup-done');
    expect(() => step(r.a, { type: 'wrapup', callId: 'c1', disposition: 'nope' }, r.t + 1, cfg)).toThrow(/unknown disposition/);
  });

  it('next status asked during a call is applied when wrap-up clears; null cancels it', () => {
    const brk: AgentEvent = { type: 'set', status: { state: 'not-ready', reason: 'break' }, by: 'agent', byUserId: null };
    const r = run([...ready, offer(), { type: 'answered', callId: 'c1' }, brk, { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: noWrap }]);
    expect(r.a.state).toBe('not-ready');
    expect(r.a.reason).toBe('break');
    expect(r.log.at(-1)).toBe('on-call>not-ready(break):next');
    const c = run([...ready, offer(), { type: 'answered', callId: 'c1' }, brk, { type: 'set', status: null, by: 'agent', byUserId: null }, { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: noWrap }]);
    expect(c.a.state).toBe('ready');
  });

  it('a supervisor forcing a busy agent not-ready: applied when the call clears, logged as the supervisor’s', () => {
    const force: AgentEvent = { type: 'set', status: { state: 'not-ready', reason: 'logged-out' }, by: 'supervisor', byUserId: 'sup1' };
    const hangup: AgentEvent = { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: noWrap };
    const r = run([...ready, offer(), { type: 'answered', callId: 'c1' }, force, hangup]);
    expect(r.a).toMatchObject({ state: 'not-ready', reason: 'logged-out', by: 'supervisor', byUserId: 'sup1', next: null, nextBy: null });
    const last = step(run([...ready, offer(), { type: 'answered', callId: 'c1' }, force]).a, hangup, 99_000, cfg).log.at(-1);
    expect(last).toMatchObject({ from: 'on-call', to: 'not-ready', by: 'supervisor', byUserId: 'sup1', cause: 'next' });
    // The agent's own next status is still logged as theirs.
    const own = run([...ready, offer(), { type: 'answered', callId: 'c1' }, { type: 'set', status: { state: 'not-ready', reason: 'break' }, by: 'agent', byUserId: null }, hangup]);
    expect(own.a).toMatchObject({ reason: 'break', by: 'agent', byUserId: null });
  });

  it('a not-ready asked for while the offer rings wins over RONA (the agent stays out of the queues)', () => {
    const force: AgentEvent = { type: 'set', status: { state: 'not-ready', reason: 'logged-out' }, by: 'supervisor', byUserId: 'sup1' };
    const r = run([...ready, offer(5_000), force], { ...cfg, maxNoAnswer: 3 });
    const s = step(r.a, { type: 'timer' }, 5_000, { ...cfg, maxNoAnswer: 3 });
    expect(s.agent).toMatchObject({ state: 'not-ready', reason: 'logged-out', by: 'supervisor', byUserId: 'sup1', missedInRow: 0 });
    expect(s.log).toEqual([expect.objectContaining({ from: 'reserved', to: 'not-ready', reason: 'logged-out', cause: 'rona', byUserId: 'sup1' })]);
    expect(s.effects).toEqual([{ type: 'offer-missed', callId: 'c1' }]);
  });

  it('RONA: the offer deadline → not-ready(missed) and the call is given up', () => {
    const r = run([...ready, offer(5_000)]);
    expect(step(r.a, { type: 'timer' }, 4_999, cfg).agent.state).toBe('reserved');
    const s = step(r.a, { type: 'timer' }, 5_000, cfg);
    expect(s.agent).toMatchObject({ state: 'not-ready', reason: 'missed', by: 'system' });
    expect(s.effects).toEqual([{ type: 'offer-missed', callId: 'c1' }]);
  });

  it('RONA below max-no-answer keeps the agent ready; the call timing out counts the same', () => {
    const r = run([...ready, offer(5_000)], { ...cfg, maxNoAnswer: 2, noAnswerDelayMs: 3_000 });
    const s = step(r.a, { type: 'call-ended', callId: 'c1', endReason: 'timeout', answered: false, wrapUp: noWrap }, 5_000, { ...cfg, maxNoAnswer: 2 });
    expect(s.agent).toMatchObject({ state: 'ready', missedInRow: 1 });
  });

  it('decline → ready with the reject delay; no offer before it ends', () => {
    const r = run([...ready, offer(), { type: 'call-ended', callId: 'c1', endReason: 'declined', answered: false, wrapUp: noWrap }]);
    expect(r.a.state).toBe('ready');
    expect(r.a.noOffersUntil).toBe(r.t + 10_000);
    expect(() => step(r.a, offer(), r.t + 9_999, cfg)).toThrow(/declined/);
    expect(step(r.a, offer(), r.t + 10_000, cfg).agent.state).toBe('reserved');
  });

  it('the caller giving up returns the agent to ready; a non-ready agent gets no offer', () => {
    const r = run([...ready, offer(), { type: 'call-ended', callId: 'c1', endReason: 'cancelled', answered: false, wrapUp: noWrap }]);
    expect(r.a.state).toBe('ready');
    expect(() => step(newAgent(user, autoAnswer, 0), offer(), 1, cfg)).toThrow(/not ready/);
  });

  it('a person-to-person call returns the agent to the previous status', () => {
    const r = run([...ready, { type: 'set', status: { state: 'not-ready', reason: 'lunch' }, by: 'agent', byUserId: null }, { type: 'answered', callId: 'p2p' }, { type: 'call-ended', callId: 'p2p', endReason: 'hangup', answered: true, wrapUp: noWrap }]);
    expect(r.log.slice(-2)).toEqual(['not-ready>on-call:answer', 'on-call>not-ready(lunch):hangup']);
  });

  it('drop: grace keeps everything, reconnect clears it, expiry → offline; a call in progress keeps the agent', () => {
    const r = run([...ready, { type: 'device-gone', at: 10_000 }]);
    expect(r.a).toMatchObject({ state: 'ready', graceUntil: 70_000 });
    expect(dueAt(r.a)).toBe(70_000);
    const back = step(r.a, { type: 'device-online' }, 40_000, cfg);
    expect(back.agent).toMatchObject({ state: 'ready', graceUntil: null, since: r.a.since });
    expect(back.log).toEqual([]);
    expect(step(r.a, { type: 'timer' }, 70_000, cfg).agent.state).toBe('offline');
    const onCall = run([...ready, offer(), { type: 'answered', callId: 'c1' }, { type: 'device-gone', at: 10_000 }]);
    const t = step(onCall.a, { type: 'timer' }, 70_000, cfg);
    expect(t.agent.state).toBe('on-call');
    expect(step(t.agent, { type: 'call-ended', callId: 'c1', endReason: 'hangup', answered: true, wrapUp: noWrap }, 80_000, cfg).agent.state).toBe('offline');
  });

  it('grace ending during an offer gives the call up; offline refuses a set', () => {
    const r = run([...ready, offer(100_000), { type: 'device-gone', at: 10_000 }]);
    const s = step(r.a, { type: 'timer' }, 70_000, cfg);
    expect(s.agent.state).toBe('offline');
    expect(s.effects).toEqual([{ type: 'offer-missed', callId: 'c1' }]);
    expect(() => step(s.agent, { type: 'set', status: { state: 'ready' }, by: 'agent', byUserId: null }, 70_001, cfg)).toThrow(/offline/);
  });

  it('a supervisor set is logged with who did it; auto-answer changes no state; ready clears the miss count', () => {
    const r = run([...ready, { type: 'set', status: { state: 'not-ready', reason: 'meeting' }, by: 'supervisor', byUserId: 's1' }]);
    expect(r.a).toMatchObject({ state: 'not-ready', reason: 'meeting', by: 'supervisor', byUserId: 's1' });
    const aa = step(r.a, { type: 'auto-answer', autoAnswer: { ...autoAnswer, queue: true } }, r.t + 1, cfg);
    expect(aa.log).toEqual([]);
    expect(aa.agent).toMatchObject({ state: 'not-ready', autoAnswer: { queue: true } });
    const missedOnce = run([...ready, offer(5_000), { type: 'timer', at: 5_000 }], { ...cfg, maxNoAnswer: 3 });
    expect(missedOnce.a.missedInRow).toBe(1);
    expect(step(missedOnce.a, { type: 'set', status: { state: 'ready' }, by: 'agent', byUserId: null }, 6_000, cfg).agent.missedInRow).toBe(0);
  });

  it('auto-away: ready → away and back; a manual break is not overridden', () => {
    const r = run([...ready, { type: 'auto-away', away: true }]);
    expect(r.a).toMatchObject({ state: 'not-ready', reason: 'away', by: 'auto-away' });
    expect(step(r.a, { type: 'auto-away', away: false }, r.t + 1, cfg).agent.state).toBe('ready');
    const m = run([...ready, { type: 'set', status: { state: 'not-ready', reason: 'break' }, by: 'agent', byUserId: null }, { type: 'auto-away', away: true }, { type: 'auto-away', away: false }]);
    expect(m.a).toMatchObject({ state: 'not-ready', reason: 'break' });
  });
});
