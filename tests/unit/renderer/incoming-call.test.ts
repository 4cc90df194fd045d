/**
 * The incoming-call card (main window and ringing window) and the notification text for a queue
 * offer: the queue's name, the caller's name, "via web" for a guest, and how long they waited,
 * from the one shared wording (src/shared/call-words.ts). Rendered to HTML with react-dom/server.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { incomingCallNotice } from '../../../src/main/app/incoming-call-alerts.js';
import { callAnnouncement } from '../../../src/renderer/ui/Announcer.js';
import { IncomingCall } from '../../../src/renderer/ui/call/IncomingCall.js';
import { incomingCallText, queueCallDetail, waitedSec } from '../../../src/shared/call-words.js';
import type { CallInfo } from '../../../src/shared/contract.js';

const NOW = 1_700_000_000_000;
const guest = { id: 'guest-1', username: 'guest', displayName: 'Web caller' };

function ringing(patch: Partial<CallInfo> = {}): CallInfo {
  return {
    callId: 'c1',
    state: 'ringing',
    caller: { id: 'u-bob', username: 'bob', displayName: 'Bob' },
    callee: { id: 'u-alice', username: 'alice', displayName: 'Alice' },
    callerDeviceId: 'dev-bob',
    answeredDeviceId: null,
    createdAt: NOW,
    answeredAt: null,
    ringDeadline: NOW + 30_000,
    outcome: null,
    endReason: null,
    direction: 'incoming',
    peer: { id: 'u-bob', username: 'bob', displayName: 'Bob' },
    local: 'ringing-in',
    isOfferer: false,
    ringingDevices: null,
    remoteHeld: false,
    held: false,
    receivedDigits: '',
    ...patch,
  };
}

/** A guest who joined the queue 72 s before this offer. */
const offer = (patch: Partial<CallInfo> = {}) =>
  ringing({
    caller: guest,
    peer: guest,
    queue: { id: 'support', name: 'Support' },
    callerKind: 'guest',
    queuedAt: NOW - 72_000,
    offer: { seq: 1, at: NOW, deadline: NOW + 15_000 },
    ...patch,
  });

const card = (call: CallInfo, props: Record<string, unknown> = {}) =>
  renderToStaticMarkup(createElement(IncomingCall, { call, onAnswer: () => undefined, onDecline: () => undefined, ...props }));

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('queue offer words', () => {
  it('waited: at the offer, or until now (never less than at the offer); none for other calls', () => {
    expect(waitedSec(offer())).toBe(72);
    expect(waitedSec(offer(), NOW + 5_400)).toBe(77);
    expect(waitedSec(offer(), NOW - 60_000)).toBe(72);
    expect(waitedSec(ringing())).toBeNull();
    expect(waitedSec(offer({ offer: null }))).toBeNull();
    expect(waitedSec(offer({ offer: null }), NOW)).toBe(72);
  });

  it('names the queue, "via web" for a guest only, and the wait', () => {
    expect(queueCallDetail(offer())).toBe('Support · via web · waited 01:12');
    expect(queueCallDetail(offer({ callerKind: 'user', queuedAt: NOW - 3_725_000 }))).toBe('Support · waited 1:02:05');
    expect(queueCallDetail(offer({ callerKind: undefined, queuedAt: null }))).toBe('Support');
    expect(queueCallDetail(ringing())).toBeNull();
  });

  it('the desktop notification says the same as the card', () => {
    expect(incomingCallText(offer())).toEqual({ title: 'Incoming call · Support', body: 'Web caller · Support · via web · waited 01:12' });
    expect(incomingCallNotice(offer())).toMatchObject({ title: 'Incoming call · Support', body: 'Web caller · Support · via web · waited 01:12' });
    // A person-to-person call reads as before.
    expect(incomingCallNotice(ringing())).toMatchObject({ title: 'Incoming call', body: 'Bob (bob)' });
  });
});

describe('IncomingCall card', () => {
  it('a queue offer shows the caller, the queue, "via web" and the wait on the server’s clock', () => {
    vi.setSystemTime(NOW + 3_000);
    // The server's clock is 2 s ahead of this device's: 72 + 3 + 2 s.
    const html = card(offer(), { clockOffsetMs: 2_000 });
    expect(html).toContain('<p class="incoming-name">Web caller</p>');
    expect(html).toContain('Support · via web · waited 01:17.');
  });

  it('a signed-in caller in a queue is not "via web"; call waiting and auto-answer are still said', () => {
    const html = card(offer({ caller: { ...guest, displayName: 'Bob' }, peer: { ...guest, displayName: 'Bob' }, callerKind: 'user', autoAnswerMs: 500 }), {
      otherCall: ringing({ peer: { id: 'u-c', username: 'carol', displayName: 'Carol' } }),
    });
    expect(html).toContain('Support · waited 01:12. Answering puts Carol on hold. It is answered for you in a moment.');
    expect(html).not.toContain('via web');
  });

  it('a person-to-person call reads as before', () => {
    expect(card(ringing())).toContain('Bob is calling you.');
  });
});

describe('screen reader announcement', () => {
  it('an offer says the queue, "via web" and the wait; a person-to-person call as before', () => {
    expect(callAnnouncement(offer(), undefined)).toBe('Incoming call from Web caller: Support · via web · waited 01:12');
    expect(callAnnouncement(ringing(), undefined)).toBe('Incoming call from Bob');
  });
});
