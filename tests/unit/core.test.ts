import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/core/backoff.js';
import { localStateOf, toCallInfo } from '../../src/core/call-model.js';
import type { CallView } from '../../src/shared/protocol/index.js';

const alice = { id: 'a', username: 'alice', displayName: 'Alice' };
const bob = { id: 'b', username: 'bob', displayName: 'Bob' };
const view = (patch: Partial<CallView> = {}): CallView => ({
  callId: 'c1',
  state: 'ringing',
  caller: alice,
  callee: bob,
  callerDeviceId: 'a1',
  answeredDeviceId: null,
  createdAt: 1,
  answeredAt: null,
  ringDeadline: 2,
  outcome: null,
  endReason: null,
  ...patch,
});

describe('backoff', () => {
  it('grows exponentially, stays under the cap and jitters', () => {
    const b = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000]);
    for (let i = 0; i < 20; i++) expect(b.next()).toBeLessThanOrEqual(30_000);
    b.reset();
    expect(b.next()).toBe(500);
    const jittered = new Backoff({ baseMs: 1000, maxMs: 30_000, random: () => 0.25 });
    expect(jittered.next()).toBe(250);
    const floor = new Backoff({ baseMs: 1000, maxMs: 30_000, random: () => 0 });
    expect(floor.next()).toBe(100);
  });
});

describe('call model', () => {
  it('maps server state to what this device shows', () => {
    expect(localStateOf(view(), 'a', 'a1')).toBe('ringing-out');
    expect(localStateOf(view(), 'a', 'a2')).toBe('elsewhere');
    expect(localStateOf(view(), 'b', 'b1')).toBe('ringing-in');
    const answered = view({ state: 'answered', answeredDeviceId: 'b2' });
    expect(localStateOf(answered, 'b', 'b2')).toBe('active');
    expect(localStateOf(answered, 'b', 'b1')).toBe('elsewhere');
    expect(localStateOf(answered, 'a', 'a1')).toBe('active');
    expect(localStateOf(view({ state: 'ended' }), 'a', 'a1')).toBe('ended');
  });

  it('keeps local flags across updates', () => {
    const first = toCallInfo(view(), 'a', 'a1', undefined, { ringingDevices: 3 });
    expect(first).toMatchObject({ direction: 'outgoing', peer: bob, isOfferer: true, ringingDevices: 3 });
    const next = toCallInfo(view({ state: 'answered', answeredDeviceId: 'b1' }), 'a', 'a1', { ...first, held: true });
    expect(next).toMatchObject({ local: 'active', held: true, ringingDevices: 3 });
  });
});
