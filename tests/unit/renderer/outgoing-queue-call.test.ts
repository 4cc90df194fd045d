/**
 * A signed-in user's call to a queue in the app: instead of "Ringing…" the outgoing pane says
 * the caller waits in line, with their place and the estimate from `queue:waiting` (spoken as
 * it changes), and a call that ends unanswered says why in the queue's words.
 * Rendered to HTML with react-dom/server.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { OutgoingCall, queueCallStatus } from '../../../src/renderer/ui/call/OutgoingCall.js';
import type { CallInfo } from '../../../src/shared/contract.js';

const NOW = 1_700_000_000_000;
const me = { id: 'u-carol', username: 'carol', displayName: 'Carol' };
const queueParty = { id: 'queue-support', username: 'support', displayName: 'Support' };

function waiting(patch: Partial<CallInfo> = {}): CallInfo {
  return {
    callId: 'c1',
    state: 'ringing',
    caller: me,
    callee: queueParty,
    callerDeviceId: 'dev-carol',
    answeredDeviceId: null,
    createdAt: NOW,
    answeredAt: null,
    ringDeadline: NOW + 600_000,
    outcome: null,
    endReason: null,
    queue: { id: 'support', name: 'Support' },
    direction: 'outgoing',
    peer: queueParty,
    local: 'ringing-out',
    isOfferer: true,
    ringingDevices: 0,
    remoteHeld: false,
    held: false,
    receivedDigits: '',
    queueWaiting: null,
    ...patch,
  };
}

const place = (position: number, estimatedWaitSec: number | null, stage: 'waiting' | 'offered' = 'waiting') => ({
  callId: 'c1',
  queue: { id: 'support', name: 'Support' },
  stage,
  position,
  waiting: 3,
  estimatedWaitSec,
  enqueuedAt: NOW,
  maxWaitAt: NOW + 600_000,
});

const render = (call: CallInfo) => renderToStaticMarkup(createElement(OutgoingCall, { call, onHangup: () => undefined, onClose: () => undefined }));

describe('a queue call in the outgoing pane', () => {
  it('shows the place in line and the estimate, in a live region, not "Ringing…"', () => {
    const html = render(waiting({ queueWaiting: place(2, 150) }));
    expect(html).toContain('Waiting in line…');
    expect(html).toContain('You are number 2 in line. Estimated wait: about 3 minutes.');
    expect(html).toContain('aria-live="polite"');
    expect(html).not.toContain('Ringing');
    expect(html).not.toContain('not online');
  });

  it('before the first place arrives, and once an agent is rung', () => {
    expect(queueCallStatus(waiting())).toEqual({ label: 'Joining the line…' });
    expect(queueCallStatus(waiting({ queueWaiting: place(1, null, 'offered') }))).toEqual({
      label: 'Connecting you to an agent…',
      detail: 'An agent is being connected to your call.',
    });
  });

  it('an unanswered end says why; leaving the line says nothing more', () => {
    const ended = (endReason: CallInfo['endReason'], outcome: CallInfo['outcome']) => waiting({ state: 'ended', local: 'ended', endReason, outcome });
    expect(queueCallStatus(ended('max_wait', 'missed')).detail).toMatch(/nobody could take your call in time/);
    expect(queueCallStatus(ended('no_agents', 'busy')).detail).toMatch(/nobody is available/);
    expect(queueCallStatus(ended('cancelled', 'cancelled'))).toEqual({ label: 'Cancelled' });
  });
});
