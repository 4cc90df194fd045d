/**
 * The queue load test's checks (bench/lib/queue-analysis.ts) on hand-made device logs: a
 * clean call passes, and each broken invariant is counted (so the acceptance test's zeros
 * mean something).
 */
import { describe, expect, it } from 'vitest';
import { analyse, type RecordLite } from '../../../bench/lib/queue-analysis.js';
import type { AgentEvt, AgentLog, CallerCall } from '../../../bench/lib/queue-log.js';

const ready = (t: number, since = t): AgentEvt => ({ t, kind: 'state', state: 'ready', reason: null, callId: null, noOffersUntil: null, graceUntil: null, since });
const reserved = (t: number, callId: string): AgentEvt => ({ t, kind: 'state', state: 'reserved', reason: null, callId, noOffersUntil: null, graceUntil: null, since: t });
const incoming = (t: number, callId: string, seq = 1, offerAt = t): AgentEvt => ({ t, kind: 'incoming', callId, seq, queue: 'load', offerAt });

function agent(userId: string, events: AgentEvt[], lb = 1): AgentLog {
  return { userId, username: userId, lb, epochs: [{ connectedAt: 0, disconnectedAt: null }], events };
}

function call(callId: string, p: Partial<CallerCall>): CallerCall {
  return {
    callId,
    callerId: `caller-${callId}`,
    lb: 1,
    sentAt: 0,
    ackAt: null,
    ackError: null,
    queuedAt: null,
    waitingUpdates: 0,
    answeredAt: null,
    answeredBy: null,
    endedAt: null,
    endReason: null,
    outcome: null,
    patienceMs: null,
    cancelledAt: null,
    hangupAt: null,
    neverPlaced: false,
    ...p,
  };
}

const rec = (userId: string, endReason: string, queueOutcome: string | null = 'answered'): RecordLite => ({ userId, endReason, queueOutcome });

function run(agents: AgentLog[], calls: CallerCall[], records: Record<string, RecordLite[]>) {
  return analyse({
    agents,
    callers: { calls, skipped: 0, errorCodes: {}, epochs: calls.map((c) => ({ userId: c.callerId, lb: c.lb, epochs: [{ connectedAt: 0, disconnectedAt: null }] })) },
    records: new Map(Object.entries(records)),
    nodeOf: (lb) => (lb === 1 ? 'survivor' : 'killed'),
    killAt: null,
    endOfRun: 10_000,
  });
}

/** One answered call: queued at 100 with agent A ready, offered at 105, answered, hung up. */
const answeredCall = () => ({
  agent: agent('A', [
    ready(10),
    incoming(105, 'c1'),
    reserved(106, 'c1'),
    { t: 150, kind: 'accepted', callId: 'c1', ok: true, code: null },
    { t: 1_000, kind: 'ended', callId: 'c1', endReason: 'hangup' },
  ]),
  call: call('c1', { sentAt: 95, ackAt: 100, answeredAt: 160, answeredBy: 'A', endedAt: 1_000, endReason: 'hangup', outcome: 'completed' }),
  records: { c1: [rec('caller-c1', 'hangup'), rec('A', 'hangup')] },
});

describe('queue load analysis', () => {
  it('a clean answered call: no violation, one latency sample from the ack (no queuedAt)', () => {
    const x = answeredCall();
    const r = run([x.agent], [x.call], x.records);
    expect(r.invariants).toMatchObject({ doubleOffers: 0, callsOfferedTwice: 0, lostCalls: 0, missingCallerRecords: 0, missingAgentRecords: 0, extraRecords: 0, wrongQueueOutcome: 0 });
    expect(r.invariants.examples).toEqual([]);
    expect(r.counts).toMatchObject({ placed: 1, answered: 1, endReasons: { hangup: 1 } });
    expect(r.samples).toEqual([{ callId: 'c1', ms: 5, fromSendMs: 10, node: 'survivor', afterKill: false, at: 100, neverOffered: false }]);
  });

  it("the latency starts at the server's enqueue time when the call says it (the offer may beat the ack)", () => {
    const x = answeredCall();
    const r = run([x.agent], [{ ...x.call, queuedAt: 98, ackAt: 110 }], x.records);
    expect(r.samples).toEqual([expect.objectContaining({ callId: 'c1', ms: 7, fromSendMs: 10 })]);
  });

  it('an agent ringing for a second call before the first ended is a double offer', () => {
    const a = agent('B', [ready(10), incoming(200, 'x'), incoming(250, 'y')]);
    const calls = ['x', 'y'].map((id) => call(id, { ackAt: 190, endedAt: 900, endReason: 'cancelled', cancelledAt: 800 }));
    const records = { x: [rec('caller-x', 'cancelled', 'abandoned')], y: [rec('caller-y', 'cancelled', 'abandoned')] };
    const r = run([a], calls, records);
    expect(r.invariants.doubleOffers).toBe(1);
    expect(r.invariants.examples[0]).toMatchObject({ kind: 'double-offer', agentId: 'B', callId: 'y', otherCallId: 'x' });
  });

  it('one call ringing two agents at once (server times overlap) is counted; one after the other is not', () => {
    const c = agent('C', [ready(10), incoming(300, 'z'), { t: 400, kind: 'offer-ended', callId: 'z', seq: 1, result: 'missed' }]);
    const d = agent('D', [ready(10), incoming(310, 'z', 2), { t: 500, kind: 'ended', callId: 'z', endReason: 'cancelled' }]);
    const z = call('z', { ackAt: 290, endedAt: 500, endReason: 'cancelled', cancelledAt: 490 });
    const records = { z: [rec('caller-z', 'cancelled', 'abandoned')] };
    expect(run([c, d], [z], records).invariants.callsOfferedTwice).toBe(1);
    const later = agent('D', [ready(10), incoming(401, 'z', 2), { t: 500, kind: 'ended', callId: 'z', endReason: 'cancelled' }]);
    expect(run([c, later], [z], records).invariants.callsOfferedTwice).toBe(0);
  });

  it('a call:incoming that arrives after its offer ended (late, from another node) is no offer', () => {
    const a = agent('H', [
      ready(10),
      { t: 200, kind: 'offer-ended', callId: 'x', seq: 1, result: 'withdrawn' },
      incoming(210, 'x', 1),
      incoming(250, 'y'),
      { t: 300, kind: 'accepted', callId: 'y', ok: true, code: null },
      { t: 900, kind: 'ended', callId: 'y', endReason: 'hangup' },
    ]);
    const x = call('x', { ackAt: 100, endedAt: 190, endReason: 'cancelled', cancelledAt: 180 });
    const y = call('y', { ackAt: 240, answeredAt: 310, answeredBy: 'H', endedAt: 900, endReason: 'hangup' });
    const r = run([a], [x, y], { x: [rec('caller-x', 'cancelled', 'abandoned')], y: [rec('caller-y', 'hangup'), rec('H', 'hangup')] });
    expect(r.invariants.doubleOffers).toBe(0);
    expect(r.counts.staleIncoming).toBe(1);
  });

  it('an answer whose ack was lost (found up on the agent after a reconnect) makes the agent a participant', () => {
    const a: AgentLog = {
      ...agent('J', [ready(10), incoming(105, 'k'), { t: 400, kind: 'accepted', callId: 'k', ok: false, code: 'timeout' }, { t: 900, kind: 'synced', ringing: [], active: ['k'], sentAt: 850 }, { t: 2_000, kind: 'ended', callId: 'k', endReason: 'device_lost' }]),
      epochs: [
        { connectedAt: 0, disconnectedAt: 400 },
        { connectedAt: 800, disconnectedAt: null },
      ],
    };
    const k = call('k', { ackAt: 100, endedAt: 2_000, endReason: 'device_lost' });
    const r = run([a], [k], { k: [rec('caller-k', 'device_lost'), rec('J', 'device_lost')] });
    expect(r.invariants).toMatchObject({ extraRecords: 0, wrongQueueOutcome: 0, missingAgentRecords: 0 });
    expect(r.counts).toMatchObject({ answered: 1, answerUnseenByCaller: 1 });
    expect(r.observations).toEqual([expect.objectContaining({ kind: 'answer-unseen-by-caller', callId: 'k', agentId: 'J' })]);
  });

  it("a sync's answer older than an end the device already had does not reopen the call", () => {
    const a = agent('L', [
      ready(10),
      incoming(105, 'p'),
      { t: 150, kind: 'accepted', callId: 'p', ok: true, code: null },
      { t: 500, kind: 'ended', callId: 'p', endReason: 'hangup' },
      { t: 520, kind: 'synced', ringing: [], active: ['p'], sentAt: 480 },
      ready(700),
      incoming(800, 'q'),
    ]);
    const p = call('p', { ackAt: 100, answeredAt: 160, answeredBy: 'L', endedAt: 500, endReason: 'hangup' });
    const q = call('q', { ackAt: 790, endedAt: 900, endReason: 'cancelled', cancelledAt: 890 });
    const r = run([a], [p, q], { p: [rec('caller-p', 'hangup'), rec('L', 'hangup')], q: [rec('caller-q', 'cancelled', 'abandoned')] });
    expect(r.invariants.offersWhileOnCall).toBe(0);
  });

  it('a call offered on while the agent who declined it is still being released is not offered twice', () => {
    const c = agent('M', [
      ready(10),
      incoming(300, 'd'),
      { t: 410, kind: 'offer-ended', callId: 'd', seq: 1, result: 'declined' },
      { t: 420, kind: 'declined', callId: 'd', ok: true, code: null, sentAt: 350 },
      ready(430, 405),
    ]);
    const n = agent('N', [ready(10), incoming(403, 'd', 2, 400), { t: 600, kind: 'ended', callId: 'd', endReason: 'cancelled' }]);
    const d = call('d', { ackAt: 290, endedAt: 600, endReason: 'cancelled', cancelledAt: 590 });
    expect(run([c, n], [d], { d: [rec('caller-d', 'cancelled', 'abandoned')] }).invariants.callsOfferedTwice).toBe(0);
  });

  it('an offer while the device still believes in a call that ended while it was cut off is no violation; one while the call is up is', () => {
    const events = (syncAt: number): AgentEvt[] => [
      ready(10),
      incoming(105, 'u'),
      { t: 150, kind: 'accepted', callId: 'u', ok: true, code: null },
      ready(650),
      incoming(700, 'v'),
      { t: syncAt, kind: 'synced', ringing: ['v'], active: [], sentAt: 690 },
    ];
    const cut = (e: AgentEvt[]): AgentLog => ({
      ...agent('P', e),
      epochs: [
        { connectedAt: 0, disconnectedAt: 300 },
        { connectedAt: 600, disconnectedAt: null },
      ],
    });
    const u = (endedAt: number) => call('u', { ackAt: 100, answeredAt: 160, answeredBy: 'P', endedAt, endReason: 'hangup' });
    const v = call('v', { ackAt: 690, endedAt: 900, endReason: 'cancelled', cancelledAt: 890 });
    const records = { u: [rec('caller-u', 'hangup'), rec('P', 'hangup')], v: [rec('caller-v', 'cancelled', 'abandoned')] };
    expect(run([cut(events(750))], [u(400), v], records).invariants.offersWhileOnCall).toBe(0);
    expect(run([cut(events(750))], [u(2_000), v], records).invariants.offersWhileOnCall).toBe(1);
  });

  it('a placed call that never ended is lost; records of agents who only missed are extra', () => {
    const lost = call('l', { ackAt: 100 });
    const missedBy = call('m', { ackAt: 100, endedAt: 300, endReason: 'max_wait' });
    const r = run([], [lost, missedBy], { m: [rec('caller-m', 'max_wait', 'unanswered'), rec('E', 'timeout', null)] });
    expect(r.invariants).toMatchObject({ lostCalls: 1, missingCallerRecords: 1, extraRecords: 1 });
  });

  it('a wrong queue outcome and a record that disagrees with what the caller saw are counted', () => {
    const x = answeredCall();
    const r = run([x.agent], [x.call], { c1: [rec('caller-c1', 'timeout', 'abandoned'), rec('A', 'hangup')] });
    expect(r.invariants).toMatchObject({ recordMismatches: 1, wrongQueueOutcome: 1 });
  });

  it('a call queued while an agent was idle but never offered counts with its time to the end', () => {
    const idle = agent('F', [ready(10)]);
    const c = call('n', { sentAt: 90, ackAt: 100, endedAt: 2_100, endReason: 'cancelled', cancelledAt: 2_000 });
    const r = run([idle], [c], { n: [rec('caller-n', 'cancelled', 'abandoned')] });
    expect(r.samples).toEqual([expect.objectContaining({ callId: 'n', ms: 2_000, neverOffered: true })]);
  });

  it('no sample when every idle agent is needed by calls waiting ahead', () => {
    const idle = agent('G', [ready(10)]);
    const first = call('w1', { ackAt: 50, endedAt: 5_000, endReason: 'max_wait' });
    const second = call('w2', { ackAt: 100, endedAt: 5_000, endReason: 'max_wait' });
    const r = run([idle], [first, second], {});
    expect(r.samples.map((s) => s.callId)).toEqual(['w1']);
  });
});
