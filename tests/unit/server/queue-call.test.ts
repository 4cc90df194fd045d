/** The queue call's pure transitions (src/server/queues/queue-call.ts). */
import { describe, expect, it } from 'vitest';
import { agentView, historyRecords } from '../../../src/server/calls/call-records.js';
import {
  answerOffer,
  currentOffer,
  dropOffers,
  endOffers,
  isWaiting,
  lateOffer,
  newQueueCall,
  offerTo,
  queueOfParty,
  queueParty,
  queueRecord,
} from '../../../src/server/queues/queue-call.js';
import { QUEUE_DEFAULTS } from '../../../src/server/store/queue-types.js';

const T0 = 1_800_000_000_000;
const queue = { ...QUEUE_DEFAULTS, id: 'support', name: 'Support', maxWaitSec: 60, createdAt: 0 };
const caller = { id: 'u-caller', username: 'carol', displayName: 'Carol' };
const ann = { id: 'u-ann', username: 'ann', displayName: 'Ann' };
const ben = { id: 'u-ben', username: 'ben', displayName: 'Ben' };
const fresh = () => newQueueCall({ callId: 'c1', caller, callerDeviceId: 'carol-d', queue, priority: 2, callerKind: 'guest', now: T0 });
const ring = (who: typeof ann, ...devices: string[]) => ({ agent: who, deviceIds: devices, autoAnswerMs: null });

describe('queue call transitions', () => {
  it('a new call waits with the queue as callee, max-wait from the queue', () => {
    const c = fresh();
    expect(c).toMatchObject({ state: 'ringing', callee: queueParty(queue), queuedAt: T0, maxWaitAt: T0 + 60_000, priority: 2, offerSeq: 0 });
    expect(isWaiting(c)).toBe(true);
    expect(queueOfParty(c.callee)).toEqual({ id: 'support', name: 'Support' });
    expect(queueOfParty(caller)).toBeUndefined();
  });

  it('offers number up; ending one agent of a ring-all offer leaves the other ringing; the last puts it back in line', () => {
    const offered = offerTo(fresh(), [ring(ann, 'ann-1', 'ann-2'), ring(ben, 'ben-1')], T0 + 1_000, T0 + 16_000);
    expect(offered).toMatchObject({ offerSeq: 1, offeredTo: ['u-ann', 'u-ben'], ringingDeviceIds: ['ann-1', 'ann-2', 'ben-1'] });
    expect(agentView(offered, 'u-ann')).toMatchObject({ callee: ann, offer: { seq: 1, at: T0 + 1_000, deadline: T0 + 16_000 }, ringDeadline: T0 + 18_000 });
    const one = endOffers(offered, ['u-ann'], 'declined');
    expect(one).toMatchObject({ offeredTo: ['u-ben'], ringingDeviceIds: ['ben-1'] });
    expect(currentOffer(one, 'u-ann')).toBeUndefined();
    expect(lateOffer(one, 'u-ann')?.code).toBe('conflict');
    const none = endOffers(one, ['u-ben'], 'missed');
    expect(isWaiting(none)).toBe(true);
    const again = offerTo(none, [ring(ann, 'ann-1')], T0 + 2_000, T0 + 17_000);
    expect(again.offerSeq).toBe(2);
    expect(currentOffer(again, 'u-ann')?.seq).toBe(2);
  });

  it('an offer whose agent could not be reserved is dropped, not recorded', () => {
    const offered = offerTo(fresh(), [ring(ann, 'ann-1'), ring(ben, 'ben-1')], T0, T0 + 15_000);
    const dropped = dropOffers(offered, ['u-ben'], 1);
    expect(dropped.offers!.map((o) => o.agentId)).toEqual(['u-ann']);
    expect(dropped.ringingDeviceIds).toEqual(['ann-1']);
  });

  it('the answer makes the agent the callee and withdraws the others; the records carry the queue call', () => {
    const missed = endOffers(offerTo(fresh(), [ring(ann, 'ann-1')], T0 + 1_000, T0 + 16_000), ['u-ann'], 'missed');
    const offered = offerTo(missed, [ring(ann, 'ann-1'), ring(ben, 'ben-1')], T0 + 16_000, T0 + 31_000);
    const answered = answerOffer(offered, ben, 'ben-1', T0 + 20_000);
    expect(answered).toMatchObject({ state: 'answered', callee: ben, answeredDeviceId: 'ben-1', offeredTo: [] });
    expect(lateOffer(answered, 'u-ann')?.code).toBe('conflict');
    const ended = { ...answered, state: 'ended' as const, endedAt: T0 + 50_000, outcome: 'completed' as const, endReason: 'hangup' as const };
    expect(queueRecord(ended)).toEqual({
      outcome: 'answered',
      waitSec: 20,
      talkSec: 30,
      callerKind: 'guest',
      offers: [
        { agent: ann, at: T0 + 1_000, result: 'missed' },
        { agent: ann, at: T0 + 16_000, result: 'withdrawn' },
        { agent: ben, at: T0 + 16_000, result: 'answered' },
      ],
    });
    const records = historyRecords(ended);
    expect(records.map((r) => [r.userId, r.direction])).toEqual([
      ['u-caller', 'outgoing'],
      ['u-ben', 'incoming'],
    ]);
    expect(lateOffer(ended, 'u-ann')?.code).toBe('gone');
  });

  it('outcomes: abandoned, unanswered, refused; an unanswered call has the caller\'s record only', () => {
    const end = (endReason: 'cancelled' | 'max_wait' | 'no_agents' | 'device_lost') => ({
      ...fresh(),
      state: 'ended' as const,
      endedAt: T0 + 5_400,
      outcome: 'missed' as const,
      endReason,
    });
    expect(queueRecord(end('cancelled'))).toMatchObject({ outcome: 'abandoned', waitSec: 5, talkSec: 0 });
    expect(queueRecord(end('device_lost')).outcome).toBe('abandoned');
    expect(queueRecord(end('max_wait')).outcome).toBe('unanswered');
    expect(queueRecord(end('no_agents')).outcome).toBe('refused');
    expect(historyRecords(end('max_wait')).map((r) => r.userId)).toEqual(['u-caller']);
  });
});
