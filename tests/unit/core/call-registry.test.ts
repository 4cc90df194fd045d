/**
 * The core's call registry decides, call by call, what media this device runs, and says so
 * with explicit events (the renderer acts on nothing else): an outgoing call prepares its
 * offer while it rings, answering here prepares the microphone, an answered call is active,
 * and every end, move elsewhere, failed answer or sign-out releases it.
 */
import { describe, expect, it } from 'vitest';
import { CallRegistry, type CallRegistryEvents } from '../../../src/core/call-registry.js';
import type { SessionState } from '../../../src/shared/contract.js';
import type { CallView } from '../../../src/shared/protocol/index.js';
import { DEVICE, ME, answeredHere, incomingView } from './fake-signaling.js';

function rig() {
  let state = { phase: 'signed-in', user: ME, status: 'available', calls: [] } as unknown as SessionState;
  const events: Array<{ event: keyof CallRegistryEvents; callId: string; stage?: string }> = [];
  const timers = { setTimeout: () => 0, clearTimeout: () => undefined, now: () => 1_000 };
  const reg = new CallRegistry(
    { deviceId: DEVICE, timers: timers as never, endedLingerMs: 4_000, ringLossGraceMs: 8_000 },
    {
      state: () => state,
      update: (patch) => (state = { ...state, ...patch }),
      emit: (event, payload) => {
        if (event === 'media-wanted' || event === 'media-released') {
          const p = payload as { callId: string; stage?: string };
          events.push(p.stage ? { event, callId: p.callId, stage: p.stage } : { event, callId: p.callId });
        }
      },
      connected: () => true,
      hungUpHere: () => false,
    },
  );
  return { reg, events };
}

const outgoing = (callId: string): CallView => ({
  ...incomingView(callId, 'bob', 1_000),
  caller: ME,
  callee: { id: 'u-bob', username: 'bob', displayName: 'Bob' },
  callerDeviceId: DEVICE,
});
const ended = (v: CallView): CallView => ({ ...v, state: 'ended', outcome: 'completed', endReason: 'hangup' });

describe('CallRegistry media events', () => {
  it('an outgoing call prepares while it rings, runs when answered, and is released when it ends', () => {
    const { reg, events } = rig();
    const v = outgoing('c1');
    reg.applyView(v);
    expect(reg.mediaWanted().map((m) => m.stage)).toEqual(['preparing']);
    reg.applyView({ ...v, state: 'answered', answeredDeviceId: 'dev-bob', answeredAt: 1_100 });
    reg.applyView(ended(v));
    expect(events).toEqual([
      { event: 'media-wanted', callId: 'c1', stage: 'preparing' },
      { event: 'media-wanted', callId: 'c1', stage: 'active' },
      { event: 'media-released', callId: 'c1' },
    ]);
    expect(reg.mediaWanted()).toEqual([]);
  });

  it('an incoming call wants no media until the user answers here', () => {
    const { reg, events } = rig();
    const v = incomingView('c2', 'bob', 1_000);
    reg.applyView(v);
    expect(events).toEqual([]);
    reg.answeringHere('c2');
    expect(reg.mediaWanted()).toMatchObject([{ callId: 'c2', stage: 'preparing' }]);
    reg.applyView(answeredHere(v, 1_100));
    expect(events).toEqual([
      { event: 'media-wanted', callId: 'c2', stage: 'preparing' },
      { event: 'media-wanted', callId: 'c2', stage: 'active' },
    ]);
  });

  it('a failed answer releases the prepared microphone; answered elsewhere releases it too', () => {
    const { reg, events } = rig();
    reg.applyView(incomingView('c3', 'bob', 1_000));
    reg.answeringHere('c3');
    reg.answerFailed('c3');
    const v = incomingView('c4', 'carol', 1_000);
    reg.applyView(v);
    reg.answeringHere('c4');
    reg.applyView({ ...v, state: 'answered', answeredDeviceId: 'dev-other', answeredAt: 1_100 });
    expect(events).toEqual([
      { event: 'media-wanted', callId: 'c3', stage: 'preparing' },
      { event: 'media-released', callId: 'c3' },
      { event: 'media-wanted', callId: 'c4', stage: 'preparing' },
      { event: 'media-released', callId: 'c4' },
    ]);
  });

  it('a call restored already answered here (app restart) is active at once; signing out releases it', () => {
    const { reg, events } = rig();
    reg.applyView(answeredHere(incomingView('c5', 'bob', 1_000), 1_100));
    expect(reg.mediaWanted()).toMatchObject([{ callId: 'c5', stage: 'active' }]);
    reg.releaseAll();
    expect(events).toEqual([
      { event: 'media-wanted', callId: 'c5', stage: 'active' },
      { event: 'media-released', callId: 'c5' },
    ]);
  });

  it('holding does not touch the media events', () => {
    const { reg, events } = rig();
    const v = answeredHere(incomingView('c6', 'bob', 1_000), 1_100);
    const info = reg.applyView(v);
    reg.setCall({ ...info, held: true });
    reg.setCall({ ...info, held: false });
    expect(events).toEqual([{ event: 'media-wanted', callId: 'c6', stage: 'active' }]);
  });
});
