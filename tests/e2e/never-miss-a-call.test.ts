/**
 * Step 3 acceptance — never miss a call.
 *
 * Real processes throughout: the server; the web softphone (its own
 * Chromium, 660 Hz fake microphone); the desktop app as the harness runs it
 * (the real core and the real DesktopApp from src/main/app in this process,
 * the real renderer bundle in another Chromium with a 440 Hz microphone,
 * minimised to the tray so the page is `hidden`); and a real Linux desktop
 * session — Xvfb, a D-Bus session bus and dunst — that the real
 * FreedesktopNotifier talks to. Only the window, tray and power ports are
 * fakes (tests/harness/desktop-shell.ts); the main window port minimises and
 * restores the renderer's real window.
 *
 * Proved here:
 * 1. A call to the hidden desktop raises an OS notification with Answer and
 *    Decline. Answer, pressed through dunst, connects the call with two-way
 *    audio (checked by tone on both pages); the window the shell brought up
 *    for the call hides again after it. Decline declines the call for the
 *    caller, and both histories show it.
 * 2. Ringing starts within 1 s of the invite, and every ringing surface —
 *    the notification in dunst, the ringing window, the renderer's ringtone —
 *    stops within 200 ms after another device of the callee answers. Awaited
 *    here with 5 s and 1 s; the measured latencies are logged (the benchmark
 *    holds the tight bounds).
 * 3. After a simulated sleep, resume makes the desktop reachable again at
 *    once; a call missed then is announced (dunst) and counted ("1 missed call").
 * 4. Two tabs of one browser profile are two devices: both ring.
 *
 * Covered elsewhere, not repeated: a connection killed without a FIN is
 * replaced within two heartbeat intervals, and a call placed while the
 * desktop was offline is announced as missed once it reconnects, exactly once
 * (tests/integration/desktop/resilience.test.ts, through a TCP proxy the test
 * controls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForTone } from '../helpers/audio.js';
import { desktopSessionAvailable, startDesktopSession, type DesktopSessionEnv } from '../helpers/desktop-session.js';
import { signIn, waitForState } from '../helpers/phone.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  callRegion,
  incomingDialog,
  openDesktop,
  openWeb,
  outgoingRegion,
  recordRingtone,
  rendererUrl,
  visibilityState,
  waitForCallState,
  waitForRemoteAudio,
  waitForRingtoneEvent,
  type DesktopApp,
  type DesktopShell,
  type SurfaceEvent,
  type WebApp,
} from '../harness/index.js';
import type { CallInfo } from '../../src/shared/contract.js';

const DESKTOP_HZ = 440;
const WEB_HZ = 660;
/** Requirement: ringing starts within 1 s of the invite; awaited with several times that. */
const RING_START_WAIT_MS = 5_000;
/** Requirement: every surface stops within 200 ms of the answer elsewhere; awaited with several times that. */
const RING_STOP_WAIT_MS = 1_000;

const missing = desktopSessionAvailable();
if (missing) console.warn(`never-miss-a-call acceptance skipped: ${missing} (Debian: xvfb dbus-x11 dunst)`);

const measured: string[] = [];
function report(line: string): void {
  measured.push(line);
  console.log(`[never-miss-a-call] ${line}`);
}

describe.skipIf(missing !== null)('Step 3 — never miss a call', () => {
  let session: DesktopSessionEnv;
  let server: TestServer;
  let desktop: DesktopApp;
  let shell: DesktopShell;
  let web: WebApp;
  /** When the desktop's core started ringing for each call (Date.now()). */
  const rangAt = new Map<string, number>();
  /** dunst's id of the notification whose menu was used last. */
  let lastMenuId = 0;

  beforeAll(async () => {
    session = await startDesktopSession();
    server = await startTestServer();
    [desktop, web] = await Promise.all([
      openDesktop(server, 'nina', {
        toneHz: DESKTOP_HZ,
        shell: { busAddress: session.busAddress },
        // Ended calls leave the state sooner, so the window opened for a call hides sooner.
        core: { endedCallLingerMs: 1_500 },
      }),
      openWeb(server, 'omar', { toneHz: WEB_HZ }),
    ]);
    shell = desktop.shell!;
    desktop.phone.on('ring', (c) => rangAt.set(c.callId, Date.now()));
    await desktop.page.getByRole('button', { name: 'Contacts' }).waitFor();
    await recordRingtone(desktop.page);
    // In the tray: the window is minimised, the page hidden.
    await desktop.hide();
    expect(await visibilityState(desktop.page)).toBe('hidden');
  });

  afterAll(async () => {
    await Promise.allSettled([desktop?.close(), web?.close()]);
    await server?.stop();
    await session?.stop();
    if (measured.length > 0) console.log(`[never-miss-a-call] measured:\n  ${measured.join('\n  ')}`);
  });

  const isEvent =
    (surface: SurfaceEvent['surface'], what: SurfaceEvent['what'], kind?: 'incoming-call' | 'missed-calls') => (e: SurfaceEvent) =>
      e.surface === surface && e.what === what && (kind === undefined || (e.surface === 'notification' && e.kind === kind));

  /** Omar calls Nina from the web softphone; resolves when Nina's desktop rings, with when it was placed. */
  async function omarCallsNina(): Promise<{ call: CallInfo; clickedAt: number }> {
    const w = web.page;
    // Back to the contacts (a previous call may still show its outcome).
    await w.getByRole('button', { name: 'Contacts' }).click();
    const clickedAt = Date.now();
    await w.getByRole('button', { name: 'Call Nina' }).click();
    const s = await waitForState(desktop.phone, (st) => st.calls.some((c) => c.local === 'ringing-in'), RING_START_WAIT_MS, 'the desktop rings');
    return { call: s.calls.find((c) => c.local === 'ringing-in')!, clickedAt };
  }

  /** Every ringing surface started: awaited, and the latencies from the invite logged. */
  async function ringingStarted(call: CallInfo, clickedAt: number, label: string): Promise<void> {
    const opts = { since: clickedAt, timeoutMs: RING_START_WAIT_MS };
    const [notice, ringingWindow, ringtone] = await Promise.all([
      shell.waitForEvent(isEvent('notification', 'shown', 'incoming-call'), 'the incoming-call notification', opts),
      shell.waitForEvent(isEvent('ringing-window', 'shown'), 'the ringing window', opts),
      waitForRingtoneEvent(desktop.page, 'playing', clickedAt, RING_START_WAIT_MS),
    ]);
    await session.waitForDisplayed(1, RING_START_WAIT_MS);
    // From the server's invite (the call's createdAt) and from the caller's click.
    const since = (at: number) => `${at - call.createdAt} ms (${at - clickedAt} ms from the click)`;
    report(
      `${label}: ringing after the invite — core ${since(rangAt.get(call.callId)!)}, notification shown by dunst ${since(notice.at)}, ` +
        `ringing window ${since(ringingWindow.at)}, ringtone playing ${since(ringtone.at)}`,
    );
  }

  it('a call to the hidden desktop raises an OS notification with Answer/Decline; Answer in dunst connects with two-way audio', async () => {
    const d = desktop.page;
    const { call, clickedAt } = await omarCallsNina();
    await ringingStarted(call, clickedAt, 'answer from the notification');
    expect(shell.mainWindow.visible).toBe(false);

    const hidesBefore = desktop.hideRequests;
    await session.invokeAction('Answer');
    await waitForState(desktop.phone, (s) => s.calls.some((c) => c.callId === call.callId && c.local === 'active'), 10_000, 'answered from dunst');
    // The notification carried exactly Answer and Decline (dunst's action menu for it).
    const menu = session.lastMenu();
    expect(menu.map((m) => [m.summary, m.label, m.key]).sort()).toEqual([
      ['Incoming call', 'Answer', 'answer'],
      ['Incoming call', 'Decline', 'decline'],
    ]);
    expect(menu[0]!.id).toBe(menu[1]!.id);
    lastMenuId = menu[0]!.id;
    // Ringing stopped: the app took the notification away; the shell brought the window up for the call.
    await session.waitForDisplayed(0);
    expect(shell.ringingWindow.visible).toBe(false);
    await shell.mainWindow.settled();
    await expect.poll(() => visibilityState(d), { timeout: 10_000 }).toBe('visible');

    await waitForCallState(web.page, 'Nina', 'active');
    await Promise.all([waitForRemoteAudio(d), waitForRemoteAudio(web.page)]);
    await waitForTone(d, WEB_HZ, { timeoutMs: 20_000 });
    await waitForTone(web.page, DESKTOP_HZ, { timeoutMs: 20_000 });

    // What dunst showed: our app, the caller, the call category.
    const history = JSON.parse(await session.dunstctl('history')) as {
      data: Record<'appname' | 'summary' | 'body' | 'category', { data: string }>[][];
    };
    expect(history.data[0]!.find((n) => n.summary.data === 'Incoming call')).toMatchObject({
      appname: { data: 'Open Softphone' },
      body: { data: 'Omar (omar)' },
      category: { data: 'call.incoming' },
    });

    // Omar hangs up; the window the shell opened for the call goes back to the tray.
    await callRegion(web.page, 'Nina').getByRole('button', { name: 'Hang up' }).click();
    await waitForCallState(d, 'Omar', 'ended');
    await expect.poll(() => desktop.hideRequests, { timeout: 10_000 }).toBe(hidesBefore + 1);
    await expect.poll(() => visibilityState(d), { timeout: 10_000 }).toBe('hidden');
  });

  it('Decline in dunst declines the call for the caller; both histories show it', async () => {
    const { call, clickedAt } = await omarCallsNina();
    await ringingStarted(call, clickedAt, 'decline from the notification');

    await session.invokeAction('Decline');
    await outgoingRegion(web.page).getByText('Declined', { exact: true }).waitFor({ timeout: 10_000 });
    // This call's own notification (not the previous one's menu) offered both.
    const menu = session.lastMenu();
    expect(menu.map((m) => m.key).sort()).toEqual(['answer', 'decline']);
    expect(menu[0]!.id).not.toBe(lastMenuId);
    // Every surface went; declining does not open the app.
    await session.waitForDisplayed(0);
    await waitForRingtoneEvent(desktop.page, 'pause', clickedAt, 5_000);
    expect(shell.ringingWindow.visible).toBe(false);
    expect(shell.mainWindow.visible).toBe(false);
    expect(await visibilityState(desktop.page)).toBe('hidden');

    await web.page.getByRole('button', { name: 'History' }).click();
    await web.page.getByRole('listitem').filter({ hasText: 'Nina' }).filter({ hasText: 'Declined' }).first().waitFor({ timeout: 10_000 });
    const record = await waitForState(desktop.phone, (s) => s.history.some((r) => r.callId === call.callId), 5_000, 'the desktop history');
    expect(record.history.find((r) => r.callId === call.callId)).toMatchObject({ direction: 'incoming', outcome: 'declined', missed: false });
    // And the desktop's own history view, once the user opens the window.
    await desktop.show();
    await desktop.page.getByRole('button', { name: 'History' }).click();
    await desktop.page.getByRole('listitem').filter({ hasText: 'Omar' }).filter({ hasText: 'Declined' }).first().waitFor({ timeout: 10_000 });
    await desktop.page.getByRole('button', { name: 'Contacts' }).click();
    await desktop.hide();
  });

  it('rings within 1 s of the invite; every surface stops within 200 ms when another device of the callee answers', async () => {
    // Nina's second device (a real core, as her phone or browser would run it).
    const elsewhere = await signIn(server, 'nina', 'web');
    try {
      const { call, clickedAt } = await omarCallsNina();
      await ringingStarted(call, clickedAt, 'answered elsewhere');
      await waitForState(elsewhere, (s) => s.calls.some((c) => c.callId === call.callId && c.local === 'ringing-in'), RING_START_WAIT_MS, 'the other device rings');

      const answerSent = Date.now();
      const answered = await elsewhere.answer(call.callId);
      const opts = { since: answerSent, timeoutMs: RING_STOP_WAIT_MS };
      const [noticeClosed, windowHidden, ringtonePaused] = await Promise.all([
        shell.waitForEvent(isEvent('notification', 'closed', 'incoming-call'), 'the notification closed in dunst', opts),
        shell.waitForEvent(isEvent('ringing-window', 'hidden'), 'the ringing window hidden', opts),
        waitForRingtoneEvent(desktop.page, 'pause', answerSent, RING_STOP_WAIT_MS),
      ]);
      await session.waitForDisplayed(0, RING_STOP_WAIT_MS);
      // From the server's commit of the answer (answeredAt) and from when the other device sent it.
      const since = (at: number) => `${at - answered.answeredAt!} ms (${at - answerSent} ms from sending the answer)`;
      report(
        `stop after the answer elsewhere — notification closed by dunst ${since(noticeClosed.at)}, ` +
          `ringing window hidden ${since(windowHidden.at)}, ringtone paused ${since(ringtonePaused.at)}`,
      );
      expect(desktop.phone.snapshot().calls.find((c) => c.callId === call.callId)?.local).toBe('elsewhere');
      expect(shell.mainWindow.visible).toBe(false);

      await elsewhere.hangup(call.callId);
      await waitForCallState(web.page, 'Nina', 'ended');
    } finally {
      await elsewhere.stop();
    }
  });

  it('after a sleep, resume makes the desktop reachable at once; a call missed then is announced and counted', async () => {
    const connects = desktop.phone.stats.connects;
    const t0 = performance.now();
    shell.os.power.emit('resume');
    await waitForState(
      desktop.phone,
      (s) => s.connection === 'connected' && desktop.phone.stats.connects > connects,
      5_000,
      'connected again after resume',
    );
    report(`resume → connected again in ${Math.round(performance.now() - t0)} ms`);

    // Reachable: Omar's call rings through dunst; he gives up before Nina answers.
    const { call, clickedAt } = await omarCallsNina();
    await ringingStarted(call, clickedAt, 'after resume');
    const missedSince = Date.now();
    await outgoingRegion(web.page).getByRole('button', { name: 'Hang up' }).click();
    await shell.waitForEvent(isEvent('notification', 'shown', 'missed-calls'), 'the missed-call notification', { since: missedSince });
    await session.waitForDisplayed(1);
    // The sidebar badge says it in words that read naturally.
    await expect
      .poll(() => desktop.page.evaluate(() => document.querySelector('.nav-badge .visually-hidden')?.textContent ?? null), { timeout: 5_000 })
      .toBe('1 missed call');
    expect(shell.os.shell.badge).toBe(1);
    await session.dunstctl('close-all');
  });

  it('two tabs of one browser profile are two devices: both ring, and the one that does not answer stops', async () => {
    const d = desktop.page;
    const tab2 = await web.context.newPage();
    try {
      await tab2.goto(rendererUrl(server));
      // The second tab resumes the profile's session; both tabs stay connected.
      await Promise.all(
        [web.page, tab2].map((p) => p.getByRole('status').filter({ hasText: /^Connected$/ }).waitFor({ timeout: 20_000 })),
      );
      const hidesBefore = desktop.hideRequests;

      // Nina opens a softphone: link (as another app's would): the shell brings her window up with
      // Omar filled in the dial field, and nothing rings until she clicks Dial.
      await shell.app.openLink('softphone:omar');
      const dialField = d.getByRole('textbox', { name: 'Dial by name' });
      await expect.poll(() => dialField.inputValue(), { timeout: 5_000 }).toBe('omar');
      await shell.app.settled();
      expect(desktop.phone.snapshot().calls.filter((c) => c.local !== 'ended')).toEqual([]);
      await d.getByRole('button', { name: 'Dial', exact: true }).click();
      await Promise.all(
        [web.page, tab2].map((p) => incomingDialog(p).getByText('Nina', { exact: true }).waitFor({ timeout: RING_START_WAIT_MS })),
      );
      // Rung at once as two devices (not one of them late, after a reconnect).
      const out = await waitForState(desktop.phone, (s) => s.calls.some((c) => c.local === 'ringing-out' && c.ringingDevices !== null), 5_000, 'ringing out');
      expect(out.calls.find((c) => c.local === 'ringing-out')?.ringingDevices).toBe(2);

      await incomingDialog(tab2).getByRole('button', { name: 'Answer' }).click();
      await incomingDialog(web.page).waitFor({ state: 'detached', timeout: 5_000 });
      await waitForCallState(tab2, 'Nina', 'active');
      await waitForCallState(d, 'Omar', 'active');
      expect(await visibilityState(d)).toBe('visible');
      // Media goes to the tab that answered.
      await waitForRemoteAudio(d);
      await waitForTone(d, WEB_HZ, { timeoutMs: 20_000 });

      await callRegion(d, 'Omar').getByRole('button', { name: 'Hang up' }).click();
      await waitForCallState(tab2, 'Nina', 'ended');
      // Brought up by the link for Nina to dial (not for a call): it stays up once the call is over.
      await waitForState(desktop.phone, (s) => s.calls.length === 0, 15_000, 'call cleared');
      await d.getByRole('heading', { name: 'Contacts' }).waitFor({ timeout: 10_000 });
      expect(desktop.hideRequests).toBe(hidesBefore);
    } finally {
      await tab2.close();
    }
  });
});
