/**
 * CallMedia's recovery paths in plain Node: fake peer connection, microphone,
 * storage and vitest fake timers (the edges are injected, see media-edges.ts).
 * The same paths run for real in Chromium in tests/e2e/reload-recovery.test.ts
 * and tests/chaos/network-cut.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DISCONNECT_GRACE_MS,
  LOST_REASON,
  RECOVERY_RETRY_MS,
  RECOVERY_TIMEOUT_MS,
} from '../../../src/renderer/media/call-media.js';
import { MemoryStorage, rig, settle, type Rig } from './call-media-fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const offers = (r: Rig) => r.sent.filter((s) => s.type === 'offer');
const restartRequests = (r: Rig) => r.sent.filter((s) => s.type === 'restart-request');

/** The caller's side of a call whose audio flows. */
async function connectedOfferer(): Promise<Rig> {
  const r = rig({ isOfferer: true });
  r.media.start(false);
  await settle();
  expect(offers(r)).toHaveLength(1);
  r.media.onSignal({ type: 'answer', sdp: 'answer-sdp' });
  await settle();
  r.pc.setConnection('connected');
  expect(r.media.state).toBe('connected');
  return r;
}

/** The callee's side of a call whose audio flows. */
async function connectedAnswerer(): Promise<Rig> {
  const r = rig({ isOfferer: false });
  r.media.prepareAnswer();
  r.media.start(false);
  r.media.onSignal({ type: 'offer', sdp: 'offer-sdp' });
  await settle();
  expect(r.sent.filter((s) => s.type === 'answer')).toHaveLength(1);
  r.pc.setConnection('connected');
  expect(r.media.state).toBe('connected');
  return r;
}

describe('renderer reload during a call', () => {
  it('the caller rebuilds the session with a fresh offer and keeps the microphone muted', async () => {
    const storage = new MemoryStorage();
    const before = rig({ isOfferer: true, storage });
    before.media.setMuted(true);
    // The window reloads: a new CallMedia finds the call already active.
    const r = rig({ isOfferer: true, storage });
    expect(r.statuses[0]).toEqual({ muted: true });
    r.media.start(true);
    await settle();
    expect(r.media.state).toBe('reconnecting');
    expect(r.lastPhase()).toBe('reconnecting');
    expect(offers(r)).toEqual([{ type: 'offer', sdp: expect.any(String), fresh: true }]);
    expect(r.mics[0]?.track.enabled).toBe(false);
    r.media.onSignal({ type: 'answer', sdp: 'answer-sdp' });
    await settle();
    r.pc.setConnection('connected');
    expect(r.lastPhase()).toBe('connected');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS * 3);
    expect(r.hangups).toEqual([]);
  });

  it('the callee asks for a fresh session and answers it', async () => {
    const r = rig({ isOfferer: false });
    r.media.start(true);
    await settle();
    expect(restartRequests(r)).toEqual([{ type: 'restart-request', fresh: true }]);
    r.media.onSignal({ type: 'offer', sdp: 'offer-sdp', fresh: true });
    await settle();
    expect(r.sent.at(-1)).toEqual({ type: 'answer', sdp: 'answer-sdp' });
    expect(r.pc.sentTrack).toBe(r.mics[0]?.track);
  });

  it('an ICE restart for a session this renderer no longer has is answered with a fresh request', async () => {
    const r = rig({ isOfferer: false });
    r.media.start(true);
    r.media.onSignal({ type: 'offer', sdp: 'offer-sdp', iceRestart: true });
    await settle();
    expect(r.pcs).toHaveLength(0);
    expect(restartRequests(r).at(-1)).toEqual({ type: 'restart-request', fresh: true });
  });

  it('ending the call forgets the mute choice and releases the microphone', async () => {
    const storage = new MemoryStorage();
    const r = rig({ isOfferer: true, storage });
    r.media.start(false);
    await settle();
    r.media.setMuted(true);
    expect(storage.data.size).toBe(1);
    r.media.close();
    expect(r.media.state).toBe('ended');
    expect(storage.data.size).toBe(0);
    expect(r.mics[0]?.track.readyState).toBe('ended');
    expect(r.pc.connectionState).toBe('closed');
  });
  it('a microphone that opens after the call ended is stopped at once', async () => {
    const r = rig({ isOfferer: false });
    r.media.prepareAnswer();
    r.media.close();
    await settle();
    expect(r.mics).toHaveLength(1);
    expect(r.mics[0]?.track.readyState).toBe('ended');
  });
});

describe('ICE restart when the connection drops', () => {
  it('the caller waits out the grace period, restarts ICE, then rebuilds the session', async () => {
    const r = await connectedOfferer();
    r.pc.setConnection('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECT_GRACE_MS - 1);
    expect(offers(r)).toHaveLength(1);
    expect(r.media.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(1);
    expect(r.media.state).toBe('reconnecting');
    expect(r.lastPhase()).toBe('reconnecting');
    expect(offers(r).at(-1)).toMatchObject({ iceRestart: true });
    expect(r.pcs).toHaveLength(1);
    // No answer: the next attempt replaces the peer connection.
    await vi.advanceTimersByTimeAsync(RECOVERY_RETRY_MS);
    expect(offers(r).at(-1)).toMatchObject({ fresh: true });
    expect(r.pcs).toHaveLength(2);
  });

  it('a drop that heals within the grace period starts no recovery', async () => {
    const r = await connectedOfferer();
    r.pc.setConnection('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECT_GRACE_MS / 2);
    r.pc.setConnection('connected');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS * 2);
    expect(offers(r)).toHaveLength(1);
    expect(r.hangups).toEqual([]);
  });

  it('"failed" restarts at once', async () => {
    const r = await connectedOfferer();
    r.pc.setConnection('failed');
    await settle();
    expect(offers(r)).toHaveLength(2);
    expect(r.media.state).toBe('reconnecting');
  });

  it('the callee asks the caller to restart instead of offering', async () => {
    const r = await connectedAnswerer();
    r.pc.setConnection('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECT_GRACE_MS - 1);
    expect(restartRequests(r)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(restartRequests(r)).toEqual([{ type: 'restart-request' }]);
    await vi.advanceTimersByTimeAsync(RECOVERY_RETRY_MS);
    expect(restartRequests(r).at(-1)).toEqual({ type: 'restart-request', fresh: true });
    expect(offers(r)).toEqual([]);
    expect(r.pc.offers).toEqual([]);
  });

  it('gives up and hangs up with a reason when no audio path returns within the deadline', async () => {
    const r = await connectedOfferer();
    r.pc.setConnection('failed');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS - 1);
    expect(r.hangups).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.hangups).toEqual([LOST_REASON]);
  });

  it('recovering in time keeps the call', async () => {
    const r = await connectedOfferer();
    r.pc.setConnection('failed');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS / 2);
    r.media.onSignal({ type: 'answer', sdp: 'answer-sdp' });
    await settle();
    r.pc.setConnection('connected');
    expect(r.media.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS * 2);
    expect(r.hangups).toEqual([]);
  });

  it('signaling coming back gives the recovery a full deadline and a new attempt', async () => {
    const r = await connectedAnswerer();
    r.pc.setConnection('failed');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS - 1_000);
    const before = restartRequests(r).length;
    r.media.signalingRestored();
    expect(restartRequests(r).length).toBe(before + 1);
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS - 1);
    expect(r.hangups).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.hangups).toEqual([LOST_REASON]);
  });
});

describe('hold during renegotiation', () => {
  it('a hold that arrives while an offer is in flight is applied to the session the offer builds', async () => {
    const r = await connectedOfferer();
    const mic = r.mics[0]!.track;
    expect(r.pc.sentTrack).toBe(mic);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The far end reloaded: a fresh session is being offered, and its offer is slow to make.
    r.media.onSignal({ type: 'restart-request', fresh: true });
    await settle();
    r.pc.offerGate = gate;
    // A second fresh request queues behind the first: the hold arrives in between.
    r.pcs[0]!.offerGate = gate;
    r.media.onSignal({ type: 'restart-request', fresh: true });
    await settle();
    const inFlight = r.pc;
    expect(inFlight.offers).toHaveLength(1);
    r.hold(true);
    expect(r.audio.muted).toBe(true);
    release();
    await settle();
    // Whatever peer connection the renegotiation ends with sends nothing while held.
    expect(r.pc.sentTrack).toBeNull();
    expect(inFlight.sentTrack).toBeNull();
    r.media.onSignal({ type: 'answer', sdp: 'answer-sdp' });
    await settle();
    r.pc.setConnection('connected');
    expect(r.pc.sentTrack).toBeNull();
    r.hold(false);
    await settle();
    expect(r.pc.sentTrack).toBe(mic);
    expect(r.audio.muted).toBe(false);
  });

  it('a hold while the callee answers an offer is not undone by the answer', async () => {
    const r = rig({ isOfferer: false });
    r.media.prepareAnswer();
    r.media.start(false);
    await settle();
    r.hold(false, true); // the far end holds
    r.media.onSignal({ type: 'offer', sdp: 'offer-sdp' });
    await settle();
    expect(r.sent.at(-1)).toMatchObject({ type: 'answer' });
    expect(r.pc.sentTrack).toBeNull();
    r.hold(false, false);
    await settle();
    expect(r.pc.sentTrack).toBe(r.mics[0]?.track);
  });
});

describe('glare: only the caller ever offers', () => {
  it('the caller ignores an offer from the far end', async () => {
    const r = await connectedOfferer();
    const sentBefore = r.sent.length;
    r.media.onSignal({ type: 'offer', sdp: 'their-offer' });
    await settle();
    expect(r.sent.length).toBe(sentBefore);
    expect(r.pc.remoteDescription).toEqual({ type: 'answer', sdp: 'answer-sdp' });
  });

  it('a restart request while our ICE-restart offer is unanswered makes no second offer', async () => {
    const r = await connectedOfferer();
    r.pc.setConnection('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECT_GRACE_MS);
    expect(offers(r)).toHaveLength(2);
    expect(offers(r).at(-1)).toMatchObject({ iceRestart: true });
    expect(r.pc.signalingState).toBe('have-local-offer');
    r.media.onSignal({ type: 'restart-request' });
    await settle();
    expect(offers(r)).toHaveLength(2);
    expect(r.pcs).toHaveLength(1);
  });

  it('the callee never creates an offer, whatever happens to the connection', async () => {
    const r = await connectedAnswerer();
    r.pc.setConnection('failed');
    await vi.advanceTimersByTimeAsync(RECOVERY_TIMEOUT_MS + RECOVERY_RETRY_MS);
    expect(r.pcs.flatMap((pc) => pc.offers)).toEqual([]);
    expect(offers(r)).toEqual([]);
    expect(restartRequests(r).length).toBeGreaterThan(1);
  });
});
