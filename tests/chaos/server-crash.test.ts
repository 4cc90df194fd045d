/**
 * Chaos: the signaling server dies (SIGKILL: no shutdown code, sockets cut by
 * the kernel) and a supervisor starts it again on the same port and data
 * directory. The parties are the headless desktop app (real core in this
 * process, real renderer in Chromium; tone 440 Hz) and the web softphone
 * (core in the page; tone 660 Hz), each checking by frequency analysis what
 * it hears.
 *
 * - During a call: media is peer to peer, so both keep hearing each other
 *   while the server is dead; both reconnect when it is back, the server
 *   restores the call from its journal and re-binds both devices, the call is
 *   still up on both sides, hang-up works, one history record each.
 * - While ringing: both ends give up on their own with a reason (the caller's
 *   "Call failed", the callee's dialog replaced by a notice, ringtone and
 *   ringback silent), whether or not the server comes back; when it does, the
 *   call is recorded as failed (server_restart), one record each.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callRegion,
  incomingDialog,
  openDesktop,
  openWeb,
  outgoingRegion,
  progressTone,
  ringtonePaused,
  waitForCallState,
  type DesktopApp,
  type WebApp,
} from '../harness/index.js';
import { waitForState } from '../helpers/phone.js';
import { callIdOf, twoWayAudio, waitForConnection, type Party } from './support/calls.js';
import { ServerProcess } from './support/server-process.js';

const DESKTOP_HZ = 440;
const WEB_HZ = 660;

let server: ServerProcess;
let desktop: DesktopApp;
let web: WebApp;
let alice: Party;
let bob: Party;

beforeAll(async () => {
  server = await ServerProcess.start({ users: { alice: 'Alice', bob: 'Bob' } });
  [desktop, web] = await Promise.all([
    openDesktop(server, 'alice', { toneHz: DESKTOP_HZ }),
    openWeb(server, 'bob', { toneHz: WEB_HZ }),
  ]);
  alice = { page: desktop.page, hz: DESKTOP_HZ };
  bob = { page: web.page, hz: WEB_HZ };
});

afterAll(async () => {
  await Promise.allSettled([desktop?.close(), web?.close()]);
  await server?.close();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') console.error(`server output (last lines):\n${server.tail(60)}`);
  // Every test starts with the server up, both parties connected and idle.
  if (!server.running) await server.restart();
  await waitForState(desktop.phone, (s) => s.connection === 'connected' && s.calls.length === 0, 30_000, 'alice idle');
  await waitForConnection(web.page, 'connected', 60_000);
  await web.page.getByRole('button', { name: 'Contacts' }).click();
  await desktop.page.getByRole('button', { name: 'Contacts' }).click();
});

/** The durable rows a call must end with: one per participant. */
function expectedRows(caller: string, callee: string, outcome: string, endReason: string) {
  return [
    { userId: server.userId(callee), direction: 'incoming', outcome, endReason },
    { userId: server.userId(caller), direction: 'outgoing', outcome, endReason },
  ];
}

describe('the server is SIGKILLed', () => {
  it('during an active call: audio keeps flowing, both reconnect, the call is reconciled, hang-up works, one record each', async () => {
    await desktop.page.getByRole('button', { name: 'Call Bob' }).click();
    await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(desktop.page, 'Bob', 'active');
    await waitForCallState(web.page, 'Alice', 'active');
    await twoWayAudio(alice, bob);
    const callId = callIdOf(desktop.phone, 'active');
    const connects = desktop.phone.stats.connects;

    await server.kill();
    // Both cores notice the loss…
    await waitForState(desktop.phone, (s) => s.connection === 'reconnecting', 30_000, 'alice sees the server gone');
    await waitForConnection(web.page, 'reconnecting');
    // …while the media, peer to peer, does not depend on the server.
    await twoWayAudio(alice, bob);
    expect(server.running).toBe(false);
    expect(await callRegion(desktop.page, 'Bob').getAttribute('data-call-state')).toBe('active');
    expect(await callRegion(web.page, 'Alice').getAttribute('data-call-state')).toBe('active');

    await server.restart();
    // The restarted server restored the answered call from its journal…
    expect(server.logged('recovered calls left open by the previous run', (e) => e.life === 2)).toMatchObject([{ restored: 1, failed: 0 }]);
    // …both clients reconnected on their own and both devices were re-bound to it.
    await waitForState(desktop.phone, (s) => s.connection === 'connected', 30_000, 'alice reconnected');
    expect(desktop.phone.stats.connects).toBeGreaterThan(connects);
    await waitForConnection(web.page, 'connected', 60_000);
    await expect
      .poll(() => server.logged('call transition', (e) => e.life === 2 && e.callId === callId && typeof e.rebound === 'string').length, {
        timeout: 30_000,
      })
      .toBe(2);
    // Reconciled on both sides: still the same active call, audio still both ways.
    await waitForCallState(desktop.page, 'Bob', 'active');
    await waitForCallState(web.page, 'Alice', 'active');
    expect(desktop.phone.snapshot().calls).toMatchObject([{ callId, local: 'active', state: 'answered' }]);
    await twoWayAudio(alice, bob);

    // Hang-up works through the restarted server.
    await callRegion(web.page, 'Alice').getByRole('button', { name: 'Hang up' }).click();
    await waitForCallState(web.page, 'Alice', 'ended');
    await waitForCallState(desktop.page, 'Bob', 'ended');
    expect(server.historyOf(callId)).toEqual(expectedRows('alice', 'bob', 'completed', 'hangup'));
    const history = await desktop.phone.historyPage();
    expect(history.items.filter((r) => r.callId === callId)).toMatchObject([{ direction: 'outgoing', outcome: 'completed', endReason: 'hangup' }]);
  });

  it('while ringing, and it stays down: both ends give up with a reason, nothing keeps ringing; once back, one failed record each', async () => {
    await web.page.getByRole('button', { name: 'Call Alice' }).click();
    await outgoingRegion(web.page).getByText('Ringing…').waitFor({ timeout: 15_000 });
    await incomingDialog(desktop.page).waitFor({ timeout: 15_000 });
    await expect.poll(() => ringtonePaused(desktop.page), { timeout: 10_000 }).toBe(false);
    expect(await progressTone(web.page)).toBe('ringback');
    const callId = callIdOf(desktop.phone, 'ringing-in');

    await server.kill();
    // The caller: "Call failed" with why, then the outgoing view goes away; no ringback.
    const outgoing = outgoingRegion(web.page);
    await outgoing.getByText('Call failed').waitFor({ timeout: 30_000 });
    await outgoing.getByText('The connection was lost before the call could be connected.').waitFor();
    expect(await progressTone(web.page)).toBe('');
    // The callee: the incoming dialog goes away, a notice says why, the ringtone stops.
    await incomingDialog(desktop.page).waitFor({ state: 'detached', timeout: 30_000 });
    await desktop.page.getByRole('alert').filter({ hasText: 'The call from Bob was cut off' }).waitFor();
    await expect.poll(() => ringtonePaused(desktop.page), { timeout: 5_000 }).toBe(true);
    await outgoing.waitFor({ state: 'detached', timeout: 30_000 });
    expect(desktop.phone.snapshot().calls.filter((c) => c.local === 'ringing-in')).toEqual([]);
    // All of that without the server.
    expect(server.running).toBe(false);
    expect(await ringtonePaused(desktop.page)).toBe(true);

    // Back: the journal's unfinished ringing call ends as failed, one record per participant.
    await server.restart();
    expect(server.historyOf(callId)).toEqual(expectedRows('bob', 'alice', 'failed', 'server_restart'));
    const s = await waitForState(
      desktop.phone,
      (st) => st.connection === 'connected' && st.history.some((r) => r.callId === callId),
      30_000,
      'alice reconnected with the failed call in her history',
    );
    expect(s.history.filter((r) => r.callId === callId)).toMatchObject([{ direction: 'incoming', outcome: 'failed', endReason: 'server_restart' }]);
    expect(s.calls).toEqual([]);
  });

  it('while ringing, and it comes straight back: the restarted server reports the call failed to both, nothing keeps ringing', async () => {
    await desktop.page.getByRole('button', { name: 'Call Bob' }).click();
    await outgoingRegion(desktop.page).getByText('Ringing…').waitFor({ timeout: 15_000 });
    await incomingDialog(web.page).waitFor({ timeout: 15_000 });
    await expect.poll(() => ringtonePaused(web.page), { timeout: 10_000 }).toBe(false);
    const callId = callIdOf(desktop.phone, 'ringing-out');

    await server.kill();
    await server.restart();
    expect(server.historyOf(callId)).toEqual(expectedRows('alice', 'bob', 'failed', 'server_restart'));
    // Alice's core reconnects well within its ring-loss grace: the server's verdict reaches her.
    const ended = await waitForState(
      desktop.phone,
      (st) => st.calls.some((c) => c.callId === callId && c.local === 'ended'),
      30_000,
      'alice sees the call end',
    );
    expect(ended.calls.find((c) => c.callId === callId)).toMatchObject({ outcome: 'failed', endReason: 'server_restart' });
    const outgoing = outgoingRegion(desktop.page);
    await outgoing.getByText('Call failed').waitFor();
    await outgoing.getByText('The call was interrupted because the server restarted.').waitFor();
    expect(await progressTone(desktop.page)).toBe('');
    // Bob's web softphone stops ringing and says why (the server's reason, or its own if it came back later).
    await incomingDialog(web.page).waitFor({ state: 'detached', timeout: 30_000 });
    await web.page.getByRole('alert').filter({ hasText: 'The call from Alice' }).waitFor();
    await expect.poll(() => ringtonePaused(web.page), { timeout: 5_000 }).toBe(true);
    await outgoing.waitFor({ state: 'detached', timeout: 30_000 });
    await waitForState(desktop.phone, (st) => st.history.some((r) => r.callId === callId && r.outcome === 'failed'), 30_000, 'alice history');
  });
});
