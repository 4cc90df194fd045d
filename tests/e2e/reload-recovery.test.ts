/**
 * The renderer reloads during a call. On the desktop the core (and so the
 * signaling session) lives outside the window and must not notice; the
 * rebuilt renderer finds the call still active and re-establishes media with
 * the far end (`fresh` offer / `restart-request`), so audio flows both ways
 * again. The web softphone, whose core lives in the page, reconnects and
 * reclaims the call the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForTone } from '../helpers/audio.js';
import { waitForState } from '../helpers/phone.js';
import { type TestServer } from '../helpers/server.js';
import {
  callRegion,
  incomingDialog,
  waitForCallState,
  waitForRemoteAudio,
  type DesktopApp,
  type WebApp,
  openCallPair,
  closeCallPair,
  DESKTOP_HZ,
  WEB_HZ,
} from '../harness/index.js';


let server: TestServer;
let desktop: DesktopApp;
let web: WebApp;

beforeAll(async () => {
  ({ server, desktop, web } = await openCallPair('grace', 'heidi'));
});

afterAll(() => closeCallPair({ server, desktop, web }));

async function twoWayAudio(): Promise<void> {
  await Promise.all([waitForRemoteAudio(desktop.page), waitForRemoteAudio(web.page)]);
  await waitForTone(desktop.page, WEB_HZ, { timeoutMs: 20_000 });
  await waitForTone(web.page, DESKTOP_HZ, { timeoutMs: 20_000 });
}

async function hangUpFromWeb(): Promise<void> {
  await callRegion(web.page, 'Grace').getByRole('button', { name: 'Hang up' }).click();
  await waitForCallState(web.page, 'Grace', 'ended');
  await waitForCallState(desktop.page, 'Heidi', 'ended');
}

describe('renderer reload during a call', () => {
  it('desktop (callee) reloads: the core session survives and audio recovers both ways', async () => {
    await web.page.getByRole('button', { name: 'Call Grace' }).click();
    await incomingDialog(desktop.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(desktop.page, 'Heidi', 'active');
    await twoWayAudio();

    const connectsBefore = desktop.phone.stats.connects;
    let leftActive = false;
    const off = desktop.phone.on('state', (s) => {
      if (!s.calls.some((c) => c.local === 'active')) leftActive = true;
    });
    await desktop.page.reload();
    await waitForCallState(desktop.page, 'Heidi', 'active');
    await twoWayAudio();
    off();
    // The signaling session lived on outside the window: no reconnect, the call never left "active".
    expect(desktop.phone.stats.connects).toBe(connectsBefore);
    expect(desktop.phone.connected).toBe(true);
    expect(leftActive).toBe(false);
    await hangUpFromWeb();
  });

  it('desktop (caller) reloads: it re-offers and audio recovers both ways', async () => {
    await desktop.page.getByRole('button', { name: 'Contacts' }).click();
    await desktop.page.getByRole('button', { name: 'Call Heidi' }).click();
    await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(desktop.page, 'Heidi', 'active');
    await twoWayAudio();

    await desktop.page.reload();
    await waitForCallState(desktop.page, 'Heidi', 'active');
    await twoWayAudio();
    expect(desktop.phone.connected).toBe(true);
    await hangUpFromWeb();
  });

  it('web softphone reloads: it reconnects, reclaims the call and audio recovers both ways', async () => {
    await web.page.getByRole('button', { name: 'Contacts' }).click();
    await web.page.getByRole('button', { name: 'Call Grace' }).click();
    await incomingDialog(desktop.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(web.page, 'Grace', 'active');
    await twoWayAudio();

    await web.page.reload();
    await waitForCallState(web.page, 'Grace', 'active', 30_000);
    await twoWayAudio();
    await waitForState(desktop.phone, (s) => s.calls.some((c) => c.local === 'active'), 1_000, 'desktop still in the call');
    await hangUpFromWeb();
  });

  it('the far end vanishes mid-call: the desktop gives up within the recovery deadline and says why', async () => {
    await desktop.page.getByRole('button', { name: 'Contacts' }).click();
    await desktop.page.getByRole('button', { name: 'Call Heidi' }).click();
    await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(desktop.page, 'Heidi', 'active');
    await twoWayAudio();
    const callId = desktop.phone.snapshot().calls.find((c) => c.local === 'active')!.callId;

    // The web softphone's tab is gone (closed, crashed): no media, no signaling from it.
    await web.page.close();
    const call = callRegion(desktop.page, 'Heidi');
    await call.getByRole('alert').filter({ hasText: 'could not be restored' }).waitFor({ timeout: 30_000 });
    expect(await call.getAttribute('data-call-state')).toBe('ended');
    const s = await waitForState(desktop.phone, (st) => st.history.some((r) => r.callId === callId), 10_000, 'history record');
    expect(s.history.find((r) => r.callId === callId)).toMatchObject({ outcome: 'completed', direction: 'outgoing' });
  });
});
