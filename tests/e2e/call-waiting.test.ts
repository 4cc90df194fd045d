/**
 * Acceptance: call waiting is the core's policy, whatever surface answers.
 *
 * Someone is in a call; a second call comes in and is answered from one
 * surface — the desktop's main window, its ringing window, the OS
 * notification's Answer action, the global answer shortcut, or the web
 * softphone. Every time the first call goes on hold: its far end is told
 * ("… put the call on hold") and hears silence (frequency analysis of its
 * remote audio: each party's fake microphone plays its own tone), while the
 * second caller hears the one who answered.
 *
 * Cast: Carol on the desktop (real DesktopApp shell around the core, renderer
 * in Chromium; OS edge faked: notifications, shortcuts), Alice and Bob on the
 * web softphone. For the desktop surfaces Alice calls first and Bob second;
 * for the web page Alice is the one who answers, Carol calls first and Bob
 * second.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEVICE_SETTINGS } from '../../src/shared/contract.js';
import { waitForTone } from '../helpers/audio.js';
import { waitForState } from '../helpers/phone.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  callRegion,
  incomingDialog,
  openDesktop,
  openWeb,
  waitForCallState,
  waitForRemoteAudio,
  type DesktopApp,
  type DesktopShell,
  type WebApp,
} from '../harness/index.js';

const CAROL_HZ = 440;
const ALICE_HZ = 660;
const BOB_HZ = 880;
/** Media and signalling on loopback take well under a second; awaited with a wide margin. */
const WAIT_MS = 20_000;

interface Party {
  name: string;
  page: Page;
  hz: number;
}

let server: TestServer;
let carolApp: DesktopApp;
let shell: DesktopShell;
let aliceWeb: WebApp;
let bobWeb: WebApp;
let carol: Party;
let alice: Party;
let bob: Party;

beforeAll(async () => {
  server = await startTestServer();
  [carolApp, aliceWeb, bobWeb] = await Promise.all([
    openDesktop(server, 'carol', { toneHz: CAROL_HZ, shell: {} }),
    openWeb(server, 'alice', { toneHz: ALICE_HZ }),
    openWeb(server, 'bob', { toneHz: BOB_HZ }),
  ]);
  shell = carolApp.shell!;
  carol = { name: 'Carol', page: carolApp.page, hz: CAROL_HZ };
  alice = { name: 'Alice', page: aliceWeb.page, hz: ALICE_HZ };
  bob = { name: 'Bob', page: bobWeb.page, hz: BOB_HZ };
  // Carol and Alice let a second call ring while they are on a call (Settings → Call waiting).
  for (const p of [carol, alice]) {
    await p.page.getByRole('button', { name: 'Settings' }).click();
    const waiting = p.page.getByRole('checkbox', { name: 'Call waiting' });
    if (!(await waiting.isChecked())) await waiting.click();
    await p.page.getByRole('checkbox', { name: 'Call waiting', checked: true }).waitFor({ timeout: WAIT_MS });
  }
  await waitForState(carolApp.phone, (s) => s.account.callWaiting, WAIT_MS, 'call waiting on for carol');
});

afterAll(async () => {
  await Promise.allSettled([carolApp?.close(), aliceWeb?.close(), bobWeb?.close()]);
  await server?.stop();
});

/** Each caller of the current test, with whom: they hang up afterwards. */
const inCall: { caller: Party; callee: Party }[] = [];

afterEach(async () => {
  // Every test starts with nobody in a call and Carol's window up.
  for (const { caller, callee } of inCall.splice(0)) {
    const hangup = callRegion(caller.page, callee.name).getByRole('button', { name: 'Hang up' });
    if (await hangup.isVisible()) await hangup.click();
  }
  await waitForState(carolApp.phone, (s) => s.calls.every((c) => c.local === 'ended'), WAIT_MS, 'carol idle');
  await carolApp.show();
});

/** `from` calls `to` from the contacts list; resolves when `to`'s page shows it ringing. */
async function places(from: Party, to: Party): Promise<void> {
  inCall.push({ caller: from, callee: to });
  await from.page.getByRole('button', { name: 'Contacts' }).click();
  await from.page.getByRole('button', { name: `Call ${to.name}` }).click();
  await incomingDialog(to.page).getByText(from.name, { exact: true }).waitFor({ timeout: WAIT_MS });
}

/** A first call, answered in the callee's page, with audio both ways. */
async function firstCall(caller: Party, callee: Party): Promise<void> {
  await places(caller, callee);
  await incomingDialog(callee.page).getByRole('button', { name: 'Answer' }).click();
  await waitForCallState(caller.page, callee.name, 'active');
  await waitForRemoteAudio(caller.page, WAIT_MS);
  await waitForTone(caller.page, callee.hz, { timeoutMs: WAIT_MS });
}

/** What a user notices once the second call was answered: the first is held, in silence. */
async function expectFirstHeld(first: Party, second: Party, callee: Party): Promise<void> {
  await waitForCallState(second.page, callee.name, 'active');
  // The held call's far end is told, and hears nothing from the callee any more.
  await callRegion(first.page, callee.name).getByText(`${callee.name} put the call on hold`).waitFor({ timeout: WAIT_MS });
  await waitForTone(first.page, callee.hz, { present: false, timeoutMs: WAIT_MS });
  // The second caller hears the callee.
  await waitForRemoteAudio(second.page, WAIT_MS);
  await waitForTone(second.page, callee.hz, { timeoutMs: WAIT_MS });
}

/**
 * How each desktop surface answers Bob's call to Carol (ringing now), and whether Carol's
 * window is in the tray meanwhile (the notification is only for a window not in front).
 */
const desktopSurfaces: [string, boolean, () => Promise<void>][] = [
  ['the main window', false, () => incomingDialog(carol.page).getByRole('button', { name: 'Answer' }).click()],
  [
    'the ringing window',
    true,
    async () => {
      const ringing = await carolApp.openRingingWindow();
      try {
        const dialog = incomingDialog(ringing);
        await dialog.getByText('Bob', { exact: true }).waitFor({ timeout: WAIT_MS });
        await dialog.getByRole('button', { name: 'Answer' }).click();
        await ringing.getByText('No incoming call.').waitFor({ timeout: WAIT_MS });
      } finally {
        await ringing.close();
      }
    },
  ],
  [
    'the notification action',
    true,
    async () => {
      const note = await shell.os.until(() => shell.os.notifier.openOfKind('incoming-call')[0], 'the incoming-call notification', WAIT_MS);
      note.invoke('answer');
    },
  ],
  [
    'the global shortcut',
    true,
    async () => {
      await waitForState(carolApp.phone, (s) => s.calls.some((c) => c.local === 'ringing-in'), WAIT_MS, 'carol rings');
      shell.os.shortcuts.press(DEFAULT_DEVICE_SETTINGS.answerShortcut);
    },
  ],
];

describe('answering a second call puts the first on hold, and its far end hears silence', () => {
  it.each(desktopSurfaces)('desktop: answered from %s', async (_surface, inTray, answer) => {
    await firstCall(alice, carol);
    if (inTray) await carolApp.hide();
    await places(bob, carol);
    await answer();
    await expectFirstHeld(alice, bob, carol);
    // The core agrees: one live call, the other held.
    const s = carolApp.phone.snapshot();
    expect(s.calls.filter((c) => c.local === 'active').map((c) => [c.peer.username, c.held]).sort()).toEqual([
      ['alice', true],
      ['bob', false],
    ]);
  });

  it('web page: answered in the web softphone', async () => {
    await firstCall(carol, alice);
    await places(bob, alice);
    await incomingDialog(alice.page).getByRole('button', { name: 'Answer' }).click();
    await expectFirstHeld(carol, bob, alice);
  });
});
