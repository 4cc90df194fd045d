/**
 * Desktop softphone v1 acceptance: the headless desktop app (real core in
 * this process + real renderer in Chromium) and the web softphone (another
 * Chromium) call each other over real WebRTC on loopback. Each side's fake
 * microphone plays its own tone; each side checks by frequency analysis that
 * it hears the other's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForTone } from '../helpers/audio.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  callRegion,
  incomingDialog,
  openDesktop,
  openWeb,
  outgoingRegion,
  waitForCallState,
  waitForRemoteAudio,
  type DesktopApp,
  type WebApp,
} from '../harness/index.js';

const DESKTOP_HZ = 440;
const WEB_HZ = 660;

let server: TestServer;
let desktop: DesktopApp;
let web: WebApp;

beforeAll(async () => {
  server = await startTestServer();
  [desktop, web] = await Promise.all([
    openDesktop(server, 'alice', { toneHz: DESKTOP_HZ }),
    openWeb(server, 'bob', { toneHz: WEB_HZ }),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([desktop?.close(), web?.close()]);
  await server?.stop();
});

describe('desktop ⇄ web calls', () => {
  it('desktop calls web: two-way audio, mute, hold, DTMF, hang-up, and both histories show the call', async () => {
    const a = desktop.page;
    const b = web.page;

    await a.getByRole('button', { name: 'Call Bob' }).click();
    await outgoingRegion(a).getByText('Ringing…').waitFor({ timeout: 15_000 });
    const ringing = incomingDialog(b);
    await ringing.getByText('Alice', { exact: true }).waitFor({ timeout: 15_000 });
    await ringing.getByRole('button', { name: 'Answer' }).click();

    await waitForCallState(a, 'Bob', 'active');
    await waitForCallState(b, 'Alice', 'active');
    await Promise.all([waitForRemoteAudio(a), waitForRemoteAudio(b)]);
    await waitForTone(a, WEB_HZ, { timeoutMs: 20_000 });
    await waitForTone(b, DESKTOP_HZ, { timeoutMs: 20_000 });

    // Mute silences the desktop's tone at the far end only; unmute restores it.
    const callA = callRegion(a, 'Bob');
    const mute = callA.getByRole('button', { name: 'Mute' });
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await waitForTone(b, DESKTOP_HZ, { present: false });
    await waitForTone(a, WEB_HZ);
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('false');
    await waitForTone(b, DESKTOP_HZ);

    // Hold stops audio both ways; the far end is told; resume restores both directions.
    const hold = callA.getByRole('button', { name: 'Hold' });
    await hold.click();
    expect(await hold.getAttribute('aria-pressed')).toBe('true');
    await callRegion(b, 'Alice').getByText('Alice put the call on hold').waitFor({ timeout: 10_000 });
    await waitForTone(b, DESKTOP_HZ, { present: false });
    await waitForTone(a, WEB_HZ, { present: false });
    await hold.click();
    expect(await hold.getAttribute('aria-pressed')).toBe('false');
    await waitForTone(b, DESKTOP_HZ);
    await waitForTone(a, WEB_HZ);

    // DTMF digits arrive at the far end, in order.
    await callA.getByRole('button', { name: 'Keypad' }).click();
    const keypad = callA.getByRole('group', { name: 'Keypad' });
    for (const d of ['1', '2', '#', '9']) await keypad.getByRole('button', { name: d, exact: true }).click();
    await expect.poll(() => b.getByTestId('received-digits').textContent(), { timeout: 10_000 }).toBe('12#9');

    // Live quality is measured and shown.
    await expect
      .poll(() => callA.getByRole('region', { name: 'Call quality' }).getByTestId('quality-rtt').textContent(), { timeout: 10_000 })
      .toMatch(/\d+ ms/);

    // Hang up ends the call on both sides.
    await callA.getByRole('button', { name: 'Hang up' }).click();
    await waitForCallState(a, 'Bob', 'ended');
    await waitForCallState(b, 'Alice', 'ended');

    // Both histories show the call.
    await a.getByRole('button', { name: 'History' }).click();
    await a.getByRole('listitem').filter({ hasText: 'Bob' }).filter({ hasText: 'Outgoing' }).first().waitFor({ timeout: 10_000 });
    await b.getByRole('button', { name: 'History' }).click();
    await b.getByRole('listitem').filter({ hasText: 'Alice' }).filter({ hasText: 'Incoming' }).first().waitFor({ timeout: 10_000 });
    await b.getByRole('button', { name: 'Contacts' }).click();
    await a.getByRole('button', { name: 'Contacts' }).click();
  });

  it('web calls desktop: two-way audio, and hang-up from the web ends both sides', async () => {
    const a = desktop.page;
    const b = web.page;
    await b.getByRole('button', { name: 'Call Alice' }).click();
    const ringing = incomingDialog(a);
    await ringing.getByText('Bob', { exact: true }).waitFor({ timeout: 15_000 });
    await ringing.getByRole('button', { name: 'Answer' }).click();

    await waitForCallState(a, 'Bob', 'active');
    await waitForCallState(b, 'Alice', 'active');
    await Promise.all([waitForRemoteAudio(a), waitForRemoteAudio(b)]);
    await waitForTone(a, WEB_HZ, { timeoutMs: 20_000 });
    await waitForTone(b, DESKTOP_HZ, { timeoutMs: 20_000 });

    await callRegion(b, 'Alice').getByRole('button', { name: 'Hang up' }).click();
    await waitForCallState(b, 'Alice', 'ended');
    await waitForCallState(a, 'Bob', 'ended');
    await b.getByRole('button', { name: 'History' }).click();
    await b.getByRole('listitem').filter({ hasText: 'Alice' }).filter({ hasText: 'Outgoing' }).first().waitFor({ timeout: 10_000 });
  });
});
