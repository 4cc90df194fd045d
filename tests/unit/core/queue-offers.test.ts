/**
 * Queue offers on an agent's device, in the core under fake timers with a fake signaling link:
 * an offer rings like any call; `call:offer-ended` lets it go quietly (no missed call, no ended
 * screen); a later offer of the same call (higher seq) rings again; word about an older offer is
 * ignored; the ringing safety net follows the offer's deadline on the server's clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OfferBook } from '../../../src/core/queue-offers.js';
import { offer, offerRig as rig, type OfferRig } from './offer-rig.js';

const local = (r: OfferRig, callId: string) => r.phone.snapshot().calls.find((c) => c.callId === callId)?.local;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('queue offers on the agent’s device', () => {
  it('an offer rings with its queue details; withdrawn, it leaves quietly (no missed call, no ended call)', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    expect(r.phone.snapshot().calls).toMatchObject([
      { callId: 'q1', local: 'ringing-in', queue: { name: 'Support' }, callerKind: 'guest', offer: { seq: 1 } },
    ]);
    r.serverCalls.delete('q1');
    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'withdrawn' });
    const s = r.phone.snapshot();
    expect(s.calls).toEqual([]);
    expect(s.missedCount).toBe(0);
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1']);
    // Nothing is left to end later either.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.phone.snapshot().calls).toEqual([]);
  });

  it('a later offer of the same call (higher seq) rings again after a missed one', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'missed' });
    expect(local(r, 'q1')).toBeUndefined();
    offer(r, 'q1', 2);
    expect(local(r, 'q1')).toBe('ringing-in');
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1', 'ring q1#2']);
    await r.phone.answer('q1');
    expect(local(r, 'q1')).toBe('active');
  });

  it('a declined offer is gone from this device at once, and a later offer rings again', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    await r.phone.decline('q1');
    expect(r.sent('call:decline')).toEqual([{ callId: 'q1' }]);
    expect(r.phone.snapshot().calls).toEqual([]);
    // The server's own word arrives after the ack: nothing more happens.
    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'declined' });
    offer(r, 'q1', 2);
    expect(local(r, 'q1')).toBe('ringing-in');
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1', 'ring q1#2']);
  });

  it('stale word is ignored: an older offer’s end, an offer already over, news of a call taken by another agent', async () => {
    const r = await rig();
    const first = offer(r, 'q1', 1);
    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'missed' });
    const second = offer(r, 'q1', 2);
    // The end of offer 1 again (a duplicate or late delivery) does not stop offer 2.
    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'missed' });
    expect(local(r, 'q1')).toBe('ringing-in');
    r.link().push('call:offer-ended', { callId: 'q1', seq: 2, result: 'withdrawn' });
    // Offers 2 and 1 arriving late (a sync, a duplicate) do not ring again.
    r.link().push('call:incoming', { call: second });
    r.link().push('call:incoming', { call: first });
    expect(local(r, 'q1')).toBeUndefined();
    // Another agent answered it, then it ended: none of this device's business.
    const other = { id: 'u-carol', username: 'carol', displayName: 'Carol' };
    r.link().push('call:answered-elsewhere', { call: { ...first, state: 'answered', callee: other, answeredDeviceId: 'dev-carol', answeredAt: Date.now(), offer: null } });
    r.link().push('call:ended', { call: { ...first, state: 'ended', callee: other, outcome: 'completed', endReason: 'hangup', offer: null } });
    expect(r.phone.snapshot().calls).toEqual([]);
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1', 'ring q1#2', 'ring-stopped q1']);
  });

  it('a new offer while the old one still rings here rings anew, with the new deadline', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    await vi.advanceTimersByTimeAsync(10_000);
    offer(r, 'q1', 2);
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1', 'ring q1#2']);
    // Offer 1's deadline passes: offer 2 (15 s from now) keeps ringing.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(local(r, 'q1')).toBe('ringing-in');
  });

  it('the ringing safety net follows the offer’s deadline on the server’s clock, and ends it quietly', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    // The server's RONA word is lost: the offer rang 15 s, plus a short margin.
    await vi.advanceTimersByTimeAsync(15_500);
    expect(local(r, 'q1')).toBe('ringing-in');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.phone.snapshot().calls).toEqual([]);
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1']);
    // It was not a missed call of this user's, and a later offer still rings.
    offer(r, 'q1', 2);
    expect(local(r, 'q1')).toBe('ringing-in');
  });

  it('auto-answer works for an offer, and a withdrawn offer is never auto-answered', async () => {
    const r = await rig();
    offer(r, 'q1', 1, { autoAnswerMs: 500 });
    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'withdrawn' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.sent('call:accept')).toEqual([]);
    offer(r, 'q1', 2, { autoAnswerMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(r.sent('call:accept')).toEqual([{ callId: 'q1' }]);
    expect(local(r, 'q1')).toBe('active');
    expect(r.events.at(-1)).toBe('auto-answered q1');
  });

  it('withdrawn while the user is answering: the prepared microphone is released', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    r.phone.on('media-wanted', () => r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'withdrawn' }));
    await r.phone.answer('q1');
    expect(r.events).toContain('media-released q1');
  });

  it('after a reconnect, an offer the server no longer has stops ringing quietly (not a failed call)', async () => {
    const r = await rig();
    offer(r, 'q1', 1);
    r.link().drop();
    r.serverCalls.delete('q1');
    await vi.advanceTimersByTimeAsync(500);
    r.link().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.phone.snapshot().calls).toEqual([]);
    expect(r.events).toEqual(['ring q1#1', 'ring-stopped q1']);
  });
});

describe('OfferBook', () => {
  it('remembers the highest ended seq per call, and forgets the oldest calls past its bound', () => {
    const book = new OfferBook(2);
    book.markEnded('a', 3);
    book.markEnded('a', 1);
    expect(book.endedSeq('a')).toBe(3);
    book.markEnded('b', 1);
    book.markEnded('c', 1);
    expect([book.endedSeq('a'), book.endedSeq('b'), book.endedSeq('c')]).toEqual([0, 1, 1]);
  });
});
