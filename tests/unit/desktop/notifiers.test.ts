import { describe, expect, it } from 'vitest';
import { FallbackNotifier } from '../../../src/main/app/fallback-notifier.js';
import { incomingCallNotice } from '../../../src/main/app/incoming-call-alerts.js';
import type { Notice, NotifierPort } from '../../../src/main/app/ports.js';
import { FreedesktopNotifier, notifyArguments } from '../../../src/main/node/freedesktop-notifier.js';
import type { CallInfo } from '../../../src/shared/contract.js';

const call = { callId: 'c-1', peer: { id: 'u-b', username: 'bob', displayName: 'Bob <b>' } } as CallInfo;

describe('freedesktop Notify arguments', () => {
  it('an incoming call: exactly Answer/Decline, critical urgency as a byte, our desktop entry, call.incoming, never expires', () => {
    const a = notifyArguments(incomingCallNotice(call), { appName: 'Open Softphone', desktopEntry: 'org.opensoftphone.desktop', icon: '/i.png' }, 0, true);
    expect(a.actions).toEqual(['answer', 'Answer', 'decline', 'Decline']);
    expect(a.hints.urgency).toMatchObject({ signature: 'y', value: 2 });
    expect(a.hints['desktop-entry']).toMatchObject({ signature: 's', value: 'org.opensoftphone.desktop' });
    expect(a.hints.category).toMatchObject({ signature: 's', value: 'call.incoming' });
    expect(a.hints.resident).toMatchObject({ signature: 'b', value: true });
    expect(a.expireTimeout).toBe(0);
    expect(a.body).toBe('Bob &lt;b&gt; (bob)');
    expect(notifyArguments(incomingCallNotice(call), { appName: 'x', desktopEntry: 'x' }, 0, false).body).toBe('Bob <b> (bob)');
  });

  it('missed calls: a default (click) action, normal urgency, call.unanswered, replaces by id', () => {
    const notice: Notice = { tag: 't', kind: 'missed-calls', title: 'Missed call', body: 'Bob', actions: [{ key: 'call-back', label: 'Call back' }], urgency: 'normal', persistent: false };
    const a = notifyArguments(notice, { appName: 'x', desktopEntry: 'x' }, 42);
    expect(a.actions).toEqual(['default', 'Open', 'call-back', 'Call back']);
    expect(a.hints.urgency).toMatchObject({ value: 1 });
    expect(a.hints.category).toMatchObject({ value: 'call.unanswered' });
    expect(a.replacesId).toBe(42);
    expect(a.expireTimeout).toBe(-1);
  });

  it('an unreachable session bus rejects connect (and does not crash the process)', async () => {
    await expect(FreedesktopNotifier.connect({ appName: 'x', desktopEntry: 'x', busAddress: 'unix:path=/nonexistent/softphone-bus' })).rejects.toThrow(/ENOENT/);
  });
});

describe('fallback notifier', () => {
  it('uses the fallback when the primary fails', async () => {
    const shown: string[] = [];
    const failing: NotifierPort = { show: async () => Promise.reject(new Error('bus gone')) };
    const working: NotifierPort = {
      show: async (n) => {
        shown.push(n.title);
        return { close: async () => undefined };
      },
    };
    const n = new FallbackNotifier(failing, working);
    await n.show(incomingCallNotice(call), {});
    expect(shown).toEqual(['Incoming call']);
  });
});
