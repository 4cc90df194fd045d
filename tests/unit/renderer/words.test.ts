/** The renderer's words for errors, call outcomes and durations (pure functions). */
import { describe, expect, it } from 'vitest';
import { describeError } from '../../../src/renderer/state/errors.js';
import { formatDuration, historyOutcome, missedCallsLabel, outgoingStatus } from '../../../src/renderer/state/labels.js';
import { QualitySampler } from '../../../src/renderer/media/quality.js';
import type { CallInfo } from '../../../src/shared/contract.js';
import type { HistoryRecord } from '../../../src/shared/protocol/index.js';

const err = (code: string, message = 'x', details?: Record<string, unknown>) => Object.assign(new Error(message), { code, details });

describe('describeError', () => {
  it('speaks to users, not developers', () => {
    expect(describeError(err('unauthorized', 'invalid credentials'), 'login')).toBe('Wrong username or password.');
    expect(describeError(err('busy'), 'dial', { peerName: 'Bob' })).toBe('Bob is busy.');
    expect(describeError(err('internal', 'Not connected to the server. Reconnecting…', { offline: true }))).toMatch(/^Not connected/);
    expect(describeError(err('internal', 'cannot reach', { network: true }), 'login', { serverUrl: 'https://x.example' })).toBe(
      "Can't reach the server at https://x.example. Check the address and your network connection.",
    );
    expect(describeError(err('rate_limited'), 'login')).toMatch(/Too many sign-in attempts/);
    expect(describeError(err('conflict', 'the call was answered on another device'), 'answer')).toBe('The call was answered on another device.');
    expect(describeError(err('bad_request', 'you cannot call yourself'), 'dial')).toBe("You can't call yourself.");
    expect(describeError(err('gone'))).toBe('The call has already ended.');
    // A queue offer another agent took (or whose caller left) is not "answered on another device".
    for (const code of ['conflict', 'gone', 'not_found']) {
      expect(describeError(err(code), 'offer')).toBe('The call is no longer yours to answer: another agent took it, or the caller hung up.');
    }
    expect(describeError(err('busy'), 'offer', { peerName: 'Bob' })).toBe('Bob is busy.');
    expect(describeError(undefined)).toBe('Something went wrong.');
    expect(describeError({})).toBe('Something went wrong.');
  });
});

const call = (patch: Partial<CallInfo>): CallInfo =>
  ({
    callId: 'c1',
    state: 'ended',
    local: 'ended',
    peer: { id: 'u2', username: 'bob', displayName: 'Bob' },
    ringingDevices: 1,
    outcome: null,
    endReason: null,
    ...patch,
  }) as CallInfo;

describe('outgoing call feedback', () => {
  it('names each way a call can fail to connect', () => {
    expect(outgoingStatus(call({ local: 'ringing-out', state: 'ringing', ringingDevices: 2 })).label).toBe('Ringing…');
    expect(outgoingStatus(call({ local: 'ringing-out', state: 'ringing', ringingDevices: null })).label).toBe('Calling…');
    expect(outgoingStatus(call({ outcome: 'busy', endReason: 'busy' })).label).toBe('Busy');
    expect(outgoingStatus(call({ outcome: 'busy', endReason: 'dnd' })).detail).toMatch(/does not want to be disturbed/);
    expect(outgoingStatus(call({ outcome: 'missed', endReason: 'timeout' })).label).toBe('No answer');
    expect(outgoingStatus(call({ outcome: 'declined', endReason: 'declined' })).label).toBe('Declined');
  });

  it('a queue call that ended unanswered is labelled for why, not "Busy" or "did not answer"', () => {
    const queue = { id: 'support', name: 'Support' };
    const peer = { id: 'queue-support', username: 'support', displayName: 'Support' };
    expect(outgoingStatus(call({ outcome: 'busy', endReason: 'no_agents', queue, peer }))).toEqual({ label: 'No one available' });
    expect(outgoingStatus(call({ outcome: 'missed', endReason: 'max_wait', queue, peer }))).toEqual({ label: 'No answer' });
  });
});

describe('history words', () => {
  const rec = (patch: Partial<HistoryRecord>) => ({ direction: 'incoming', outcome: 'completed', missed: false, ...patch }) as HistoryRecord;
  it('marks missed calls and tells direction', () => {
    expect(historyOutcome(rec({ missed: true, outcome: 'missed' }))).toBe('Missed');
    expect(historyOutcome(rec({ direction: 'outgoing' }))).toBe('Outgoing');
    expect(historyOutcome(rec({}))).toBe('Incoming');
    expect(historyOutcome(rec({ direction: 'outgoing', outcome: 'missed' }))).toBe('No answer');
  });
  it('counts missed calls in words that read naturally', () => {
    expect(missedCallsLabel(1)).toBe('1 missed call');
    expect(missedCallsLabel(3)).toBe('3 missed calls');
    expect(missedCallsLabel(0)).toBe('0 missed calls');
  });
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(75)).toBe('01:15');
    expect(formatDuration(3_725)).toBe('1:02:05');
  });
});

describe('QualitySampler', () => {
  const pc = (entries: Record<string, unknown>[]) =>
    ({ getStats: async () => new Map(entries.map((e) => [e.id as string, e])) }) as unknown as RTCPeerConnection;
  it('reads RTT of the selected pair, jitter, and loss over the last interval', async () => {
    const s = new QualitySampler();
    const base = [
      { id: 't', type: 'transport', selectedCandidatePairId: 'p' },
      { id: 'p', type: 'candidate-pair', currentRoundTripTime: 0.012 },
    ];
    const first = await s.sample(pc([...base, { id: 'i', type: 'inbound-rtp', kind: 'audio', jitter: 0.004, packetsLost: 0, packetsReceived: 100 }]));
    expect(first).toEqual({ rttMs: 12, jitterMs: 4, lossPct: 0 });
    const second = await s.sample(pc([...base, { id: 'i', type: 'inbound-rtp', kind: 'audio', jitter: 0.004, packetsLost: 5, packetsReceived: 145 }]));
    expect(second.lossPct).toBeCloseTo(10);
  });
});
