/**
 * The desktop window is hidden (minimised to the tray): an incoming call
 * still rings — the ringtone really plays in the hidden page — and can be
 * answered from the compact ringing window with two-way audio, while the
 * main window stays hidden.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForTone } from '../helpers/audio.js';
import { waitForState } from '../helpers/phone.js';
import { type TestServer } from '../helpers/server.js';
import {
  callRegion,
  incomingDialog,
  probeRingtone,
  ringtonePaused,
  visibilityState,
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
  ({ server, desktop, web } = await openCallPair('erin', 'frank'));
});

afterAll(() => closeCallPair({ server, desktop, web }));

it('rings while the desktop window is hidden and is answered with two-way audio', async () => {
  const d = desktop.page;
  await desktop.hide();
  await expect.poll(() => visibilityState(d), { timeout: 10_000 }).toBe('hidden');

  await web.page.getByRole('button', { name: 'Call Erin' }).click();
  await waitForState(desktop.phone, (s) => s.calls.some((c) => c.local === 'ringing-in'), 15_000, 'ringing on the desktop');

  // The hidden window rings: the ringtone element plays and is audible.
  await expect
    .poll(async () => {
      const probe = await probeRingtone(d);
      return probe.playing && probe.peakDb > -40;
    }, { timeout: 15_000 })
    .toBe(true);
  expect(await visibilityState(d)).toBe('hidden');

  // Answer from the small ringing window the desktop shows over other apps.
  const ringingWindow = await desktop.openRingingWindow();
  const dialog = incomingDialog(ringingWindow);
  await dialog.getByText('Frank', { exact: true }).waitFor({ timeout: 10_000 });
  await dialog.getByRole('button', { name: 'Answer' }).click();

  // Ringing stops at once; media runs in the hidden main window, both ways.
  await expect.poll(() => ringtonePaused(d), { timeout: 5_000 }).toBe(true);
  await waitForState(desktop.phone, (s) => s.calls.some((c) => c.local === 'active'), 10_000, 'answered');
  await waitForRemoteAudio(d);
  await waitForTone(d, WEB_HZ, { timeoutMs: 20_000 });
  await waitForRemoteAudio(web.page);
  await waitForTone(web.page, DESKTOP_HZ, { timeoutMs: 20_000 });
  expect(await visibilityState(d)).toBe('hidden');
  await ringingWindow.getByText('No incoming call.').waitFor({ timeout: 5_000 });

  // The window comes back to a call screen that is up to date.
  await desktop.show();
  await expect.poll(() => visibilityState(d), { timeout: 10_000 }).toBe('visible');
  await waitForCallState(d, 'Frank', 'active');

  await callRegion(web.page, 'Erin').getByRole('button', { name: 'Hang up' }).click();
  await waitForCallState(d, 'Frank', 'ended');
  await ringingWindow.close();
});
