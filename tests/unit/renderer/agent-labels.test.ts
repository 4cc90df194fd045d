/** The agent desk's words: state, menu, pending next status, countdown and history line. */
import { describe, expect, it } from 'vitest';
import {
  agentMenu,
  agentStateLabel,
  changeIsDeferred,
  currentStatus,
  historyAgentLine,
  sameStatus,
  statusLabel,
  timeInState,
  wrapUpCountdown,
} from '../../../src/renderer/state/agent-labels.js';

const REASONS = [
  { code: 'break', label: 'Break', system: false },
  { code: 'lunch', label: 'Lunch', system: false },
  { code: 'missed', label: 'Missed', system: true },
];

describe('agent labels', () => {
  it('names the state with its reason', () => {
    expect(agentStateLabel({ state: 'ready', reason: null }, REASONS)).toBe('Ready');
    expect(agentStateLabel({ state: 'not-ready', reason: 'missed' }, REASONS)).toBe('Not ready · Missed');
    expect(agentStateLabel({ state: 'not-ready', reason: 'coaching' }, REASONS)).toBe('Not ready · Coaching');
    expect(agentStateLabel({ state: 'wrap-up', reason: null }, REASONS)).toBe('Wrap-up');
  });

  it('offers Ready and the agent’s reasons, not the system ones', () => {
    expect(agentMenu(REASONS).map((e) => e.label)).toEqual(['Ready', 'Break', 'Lunch']);
    expect(agentMenu(REASONS)[1]!.status).toEqual({ state: 'not-ready', reason: 'break' });
  });

  it('knows which entry is current and when a change waits for the call to clear', () => {
    expect(sameStatus(currentStatus({ state: 'not-ready', reason: 'lunch' }), { state: 'not-ready', reason: 'lunch' })).toBe(true);
    expect(sameStatus(currentStatus({ state: 'not-ready', reason: 'lunch' }), { state: 'not-ready', reason: 'break' })).toBe(false);
    expect(sameStatus(currentStatus({ state: 'on-call', reason: null }), { state: 'ready' })).toBe(false);
    expect(changeIsDeferred('on-call')).toBe(true);
    expect(changeIsDeferred('wrap-up')).toBe(true);
    expect(changeIsDeferred('ready')).toBe(false);
    expect(statusLabel({ state: 'not-ready', reason: 'break' }, REASONS)).toBe('Break');
  });

  it('shows time in state and the wrap-up countdown (rounded up), or why there is none', () => {
    expect(timeInState(1_000, 1_000 + 125_400)).toBe('02:05');
    expect(wrapUpCountdown({ deadline: 50_000, awaitingDisposition: false }, 20_500)).toBe('Ends in 00:30');
    expect(wrapUpCountdown({ deadline: null, awaitingDisposition: true }, 0)).toBe('Disposition required');
    expect(wrapUpCountdown({ deadline: null, awaitingDisposition: false }, 0)).toBe('No time limit');
  });

  it('adds queue, disposition and notes to a history row when present', () => {
    expect(historyAgentLine({ queue: { id: 'q1', name: 'Support' }, disposition: 'resolved', notes: 'reset password' })).toBe(
      'Support · resolved · Notes: reset password',
    );
    expect(historyAgentLine({})).toBe('');
    // A queue call's record: a guest came "via web", and how long they waited.
    const queueCall = { outcome: 'answered' as const, waitSec: 72, talkSec: 30, offers: [], callerKind: 'guest' as const };
    expect(historyAgentLine({ queue: { id: 'q1', name: 'Support' }, queueCall, disposition: 'resolved' })).toBe('Support · via web · waited 01:12 · resolved');
    expect(historyAgentLine({ queue: { id: 'q1', name: 'Support' }, queueCall: { ...queueCall, callerKind: 'user' } })).toBe('Support · waited 01:12');
  });
});
