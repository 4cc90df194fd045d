/**
 * Desktop softphone v1 acceptance: the headless desktop app (real core in
 * this process + real renderer in Chromium) and the web softphone (another
 * Chromium) call each other over real WebRTC on loopback. Each side's fake
 * microphone plays its own tone; each side checks by frequency analysis that
 * it hears the other's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForTone } from '../helpers/audio.js';
import { waitForState } from '../helpers/phone.js';
import { type TestServer } from '../helpers/server.js';
import {
  callRegion,
  incomingDialog,
  outgoingRegion,
  progressTone,
  waitForCallState,
  waitForRemoteAudio,
  watchMedia,
  mediaWatch,
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
  ({ server, desktop, web } = await openCallPair('alice', 'bob'));
});

afterAll(() => closeCallPair({ server, desktop, web }));

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
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await waitForTone(b, DESKTOP_HZ, { present: false });
    await waitForTone(a, WEB_HZ);
    await mute.click();
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('false');
    await waitForTone(b, DESKTOP_HZ);

    // Hold stops audio both ways; the far end is told; resume restores both directions.
    const hold = callA.getByRole('button', { name: 'Hold' });
    await hold.click();
    await expect.poll(() => hold.getAttribute('aria-pressed')).toBe('true');
    await callRegion(b, 'Alice').getByText('Alice put the call on hold').waitFor({ timeout: 10_000 });
    await waitForTone(b, DESKTOP_HZ, { present: false });
    await waitForTone(a, WEB_HZ, { present: false });
    await hold.click();
    await expect.poll(() => hold.getAttribute('aria-pressed')).toBe('false');
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

  it('tells the caller "Busy" and "Declined"; a link only fills in the dial field (the click dials); a window shown for the call hides after it', async () => {
    const a = desktop.page;
    const b = web.page;
    await b.getByRole('button', { name: 'Contacts' }).click();

    // Do not disturb: the caller hears busy at once.
    await b.getByRole('combobox', { name: 'My status' }).selectOption({ label: 'Do not disturb' });
    await a.getByRole('listitem').filter({ hasText: 'Bob' }).getByText('Do not disturb').waitFor({ timeout: 10_000 });
    await a.getByRole('button', { name: 'Call Bob' }).click();
    await outgoingRegion(a).getByText('Busy', { exact: true }).waitFor({ timeout: 10_000 });
    await expect.poll(() => progressTone(a)).toBe('busy');
    await outgoingRegion(a).getByRole('button', { name: 'Close' }).click();
    await b.getByRole('combobox', { name: 'My status' }).selectOption({ label: 'Available' });
    await a.getByRole('listitem').filter({ hasText: 'Bob' }).getByText('Available').waitFor({ timeout: 10_000 });

    // A tel-like link only fills in the dial field: nothing rings until the user clicks Dial.
    const hidesBefore = desktop.hideRequests;
    desktop.bridge.command({ type: 'prefill', target: 'bob' });
    const dialField = a.getByRole('textbox', { name: 'Dial by name' });
    await expect.poll(() => dialField.inputValue(), { timeout: 5_000 }).toBe('bob');
    expect(desktop.phone.snapshot().calls.filter((c) => c.local !== 'ended')).toEqual([]);
    await a.getByRole('button', { name: 'Dial', exact: true }).click();
    // The shell says it brought the window up for the call (as for the tray's "Call back").
    desktop.bridge.command({ type: 'show', view: 'call' });
    await outgoingRegion(a).getByText('Ringing…').waitFor({ timeout: 15_000 });
    await expect.poll(() => progressTone(a)).toBe('ringback');
    await incomingDialog(b).getByRole('button', { name: 'Decline' }).click();
    await outgoingRegion(a).getByText('Declined', { exact: true }).waitFor({ timeout: 10_000 });
    await expect.poll(() => progressTone(a)).toBe('busy');
    // The busy tone is short: it stops by itself.
    await expect.poll(() => progressTone(a), { timeout: 10_000 }).toBe('');
    // Once the call is gone, the window opened for it asks to be hidden again.
    await waitForState(desktop.phone, (s) => s.calls.length === 0, 15_000, 'declined call cleared');
    await expect.poll(() => desktop.hideRequests, { timeout: 5_000 }).toBe(hidesBefore + 1);
    await b.getByRole('button', { name: 'History' }).click();
    await b.getByRole('listitem').filter({ hasText: 'Alice' }).filter({ hasText: 'Declined' }).first().waitFor({ timeout: 10_000 });
  });
  it('the caller prepares its media while it rings and releases it when the call is declined; the callee opens no microphone before Answer', async () => {
    const a = desktop.page;
    const b = web.page;
    await a.getByRole('button', { name: 'Contacts' }).click();
    await Promise.all([watchMedia(a), watchMedia(b)]);

    await a.getByRole('button', { name: 'Call Bob' }).click();
    await incomingDialog(b).getByText('Alice', { exact: true }).waitFor({ timeout: 15_000 });
    // Before anyone answers: the caller's microphone is open and its offer is made (held back
    // until the answer); the callee's microphone is untouched (privacy: it opens on Answer).
    await expect
      .poll(() => mediaWatch(a), { timeout: 10_000 })
      .toMatchObject({ microphoneRequests: 1, liveTracks: 1, openPeerConnections: 1, withLocalOffer: 1 });
    expect(await mediaWatch(b)).toMatchObject({ microphoneRequests: 0, openPeerConnections: 0 });

    await incomingDialog(b).getByRole('button', { name: 'Decline' }).click();
    await outgoingRegion(a).getByText('Declined', { exact: true }).waitFor({ timeout: 10_000 });
    // Nothing prepared outlives the call: microphone released, peer connection closed.
    await expect.poll(() => mediaWatch(a), { timeout: 10_000 }).toMatchObject({ liveTracks: 0, openPeerConnections: 0 });
    expect(await mediaWatch(b)).toMatchObject({ microphoneRequests: 0, openPeerConnections: 0 });
    await waitForState(desktop.phone, (s) => s.calls.length === 0, 15_000, 'declined call cleared');
  });
});
