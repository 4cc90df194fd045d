/**
 * The Linux notification adapter against a real notification daemon:
 * Xvfb + a private D-Bus session bus + dunst (tests/helpers/desktop-session.ts).
 * An incoming-call notification is sent through FreedesktopNotifier
 * (dbus-next), dunst displays it, its Answer / Decline buttons are pressed
 * through dunst's action menu, and CloseNotification takes it away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, PRODUCT_NAME } from '../../../src/main/app/constants.js';
import { incomingCallNotice } from '../../../src/main/app/incoming-call-alerts.js';
import type { NoticeHandlers } from '../../../src/main/app/ports.js';
import { FreedesktopNotifier } from '../../../src/main/node/freedesktop-notifier.js';
import { signIn, waitForState } from '../../helpers/phone.js';
import { startTestServer } from '../../helpers/server.js';
import { startDesktop } from './desktop-harness.js';
import type { CallInfo } from '../../../src/shared/contract.js';
import {
  DESKTOP_ENTRY_TAG,
  desktopSessionAvailable,
  startDesktopSession,
  type DesktopSessionEnv,
} from '../../helpers/desktop-session.js';

// Skips without the daemon on a developer machine; with CI=true this throws instead.
const missing = desktopSessionAvailable();
if (missing) console.warn(`freedesktop notification tests skipped: ${missing}; run \`npm run setup:test\``);

function call(id: string, name = 'Bob Builder'): CallInfo {
  const peer = { id: `u-${id}`, username: 'bob', displayName: name };
  return {
    callId: id,
    state: 'ringing',
    caller: peer,
    callee: { id: 'u-alice', username: 'alice', displayName: 'Alice' },
    callerDeviceId: 'dev-bob',
    answeredDeviceId: null,
    createdAt: Date.now(),
    answeredAt: null,
    ringDeadline: Date.now() + 45_000,
    outcome: null,
    endReason: null,
    direction: 'incoming',
    peer,
    local: 'ringing-in',
    isOfferer: false,
    ringingDevices: null,
    remoteHeld: false,
    held: false,
    receivedDigits: '',
  };
}

/** Handlers whose callbacks can be awaited. */
function recorder() {
  let actionResolve!: (k: string) => void;
  let closedResolve!: (r: string) => void;
  const action = new Promise<string>((r) => (actionResolve = r));
  const closed = new Promise<string>((r) => (closedResolve = r));
  const handlers: NoticeHandlers = { onAction: (k) => actionResolve(k), onClosed: (r) => closedResolve(r) };
  return { handlers, action, closed };
}

describe.skipIf(missing !== null)('freedesktop notifications (dbus-next) through a real dunst', () => {
  let session: DesktopSessionEnv;
  let notifier: FreedesktopNotifier;

  beforeAll(async () => {
    session = await startDesktopSession();
    notifier = await FreedesktopNotifier.connect({ appName: PRODUCT_NAME, desktopEntry: APP_ID, busAddress: session.busAddress });
  });
  afterAll(async () => {
    notifier?.disconnect();
    await session?.stop();
  });

  it('connects to the notification service and sees that it draws action buttons', () => {
    expect(notifier.server.name).toBe('dunst');
    expect(notifier.supportsActions).toBe(true);
  });

  it('shows an incoming call with critical urgency; pressing Answer reports "answer"', async () => {
    const rec = recorder();
    const handle = await notifier.show(incomingCallNotice(call('call-answer')), rec.handlers);
    await session.waitForDisplayed(1);
    await session.invokeAction('Answer');
    expect(await rec.action).toBe('answer');
    // `resident`: the daemon keeps it after the button; the app closes it when ringing stops.
    expect(await session.displayedCount()).toBe(1);
    await handle.close();
    expect(await rec.closed).toBe('closed');
    await session.waitForDisplayed(0);

    // What dunst received: app name, the call category, and (through the session's
    // dunst rules, which tag the rendered message) critical urgency and our desktop entry.
    const history = JSON.parse(await session.dunstctl('history')) as {
      data: Record<'appname' | 'summary' | 'body' | 'category' | 'message', { data: string }>[][];
    };
    const shown = history.data[0]!.find((n) => n.summary.data === 'Incoming call')!;
    expect(shown.appname.data).toBe(PRODUCT_NAME);
    expect(shown.category.data).toBe('call.incoming');
    expect(shown.body.data).toBe('Bob Builder (bob)');
    expect(shown.message.data.startsWith(`[critical ${DESKTOP_ENTRY_TAG}] `)).toBe(true);
    expect(APP_ID).toBe(DESKTOP_ENTRY_TAG);
  });

  it('pressing Decline reports "decline"', async () => {
    const rec = recorder();
    const handle = await notifier.show(incomingCallNotice(call('call-decline', 'Carol <Admin> & Co')), rec.handlers);
    await session.waitForDisplayed(1);
    await session.invokeAction('Decline');
    expect(await rec.action).toBe('decline');
    await handle.close();
    await session.waitForDisplayed(0);
  });

  it('CloseNotification (ringing stopped) removes the notification', async () => {
    const rec = recorder();
    const handle = await notifier.show(incomingCallNotice(call('call-close')), rec.handlers);
    await session.waitForDisplayed(1);
    await handle.close();
    expect(await rec.closed).toBe('closed');
    await session.waitForDisplayed(0);
    // Closing twice is harmless.
    await handle.close();
  });

  it('end to end: a real call rings through dunst; Answer in the notification answers it, and the notification goes', async () => {
    const server = await startTestServer();
    const alice = await startDesktop(server, 'dunst-alice', { ports: { notifier } });
    const bob = await signIn(server, 'dunst-bob', 'web');
    try {
      const call = await bob.dial({ username: 'dunst-alice' });
      await session.waitForDisplayed(1);
      await session.invokeAction('Answer');
      await alice.state((s) => s.calls.some((c) => c.callId === call.callId && c.local === 'active'), 'answered from dunst');
      await waitForState(bob, (s) => s.calls.some((c) => c.callId === call.callId && c.local === 'active'), 5_000, 'caller connected');
      // Ringing stopped: the app closed the notification.
      await session.waitForDisplayed(0);
      expect(alice.os.mainWindow.visible).toBe(true);
      await bob.hangup(call.callId);
    } finally {
      await bob.stop();
      await alice.stop();
      await server.stop();
    }
  });

  it('a notice with the same tag replaces the shown one instead of stacking', async () => {
    const first = recorder();
    const notice = { tag: 'missed-1', kind: 'missed-calls' as const, title: 'Missed call', body: 'Bob', actions: [], urgency: 'normal' as const, persistent: false };
    await notifier.show(notice, first.handlers);
    await session.waitForDisplayed(1);
    const second = recorder();
    const handle = await notifier.show({ ...notice, title: '2 missed calls', body: 'Bob (2)' }, second.handlers);
    await session.waitForDisplayed(1);
    await handle.close();
    await session.waitForDisplayed(0);
  });
});
