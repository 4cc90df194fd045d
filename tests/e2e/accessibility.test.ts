/**
 * Accessibility of the real renderer: an axe-core scan of the login, main,
 * incoming-call, in-call and settings views finds no serious or critical
 * violations, and a whole call is made with the keyboard alone: sign in,
 * dial, answer, hang up (page.keyboard only, focus visible throughout).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD, type TestServer } from '../helpers/server.js';
import {
  axeSeriousViolations,
  callRegion,
  focusIsVisible,
  incomingDialog,
  tabTo,
  waitForCallState,
  type DesktopApp,
  type WebApp,
  openCallPair,
  closeCallPair,
} from '../harness/index.js';

let server: TestServer;
let desktop: DesktopApp;
let web: WebApp;

// The web party stays signed out: the login view is scanned and used by keyboard.
beforeAll(async () => {
  ({ server, desktop, web } = await openCallPair('ivan', 'judy', { web: { signIn: false } }));
});

afterAll(() => closeCallPair({ server, desktop, web }));

function expectNoSerious(violations: Awaited<ReturnType<typeof axeSeriousViolations>>, view: string) {
  expect(violations, `${view}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

describe('accessibility', () => {
  it('login, main, incoming, in-call and settings views pass axe and work by keyboard alone', async () => {
    const w = web.page;
    const d = desktop.page;
    const kb = w.keyboard;

    // ── Login: scanned, then a wrong password is reported in words, then sign in by keyboard.
    await w.getByRole('button', { name: 'Sign in' }).waitFor();
    expectNoSerious(await axeSeriousViolations(w), 'login');
    const username = w.getByRole('textbox', { name: 'Username' });
    await tabTo(w, username);
    expect(await focusIsVisible(w)).toBe(true);
    await kb.type('judy');
    await kb.press('Tab');
    await kb.type('not the password');
    await kb.press('Enter');
    await w.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor({ timeout: 15_000 });
    await tabTo(w, w.getByLabel('Password', { exact: true }), { reverse: true });
    await kb.press('Control+A');
    await kb.type(TEST_PASSWORD);
    await kb.press('Enter');
    await w.getByRole('button', { name: 'Contacts' }).waitFor({ timeout: 20_000 });

    // ── Main view (contacts with presence, status, dial by name).
    await w.getByRole('button', { name: 'Call Ivan' }).waitFor({ timeout: 10_000 });
    await w.getByRole('listitem').filter({ hasText: 'Ivan' }).getByText('Available').waitFor();
    expectNoSerious(await axeSeriousViolations(w), 'main');
    await w.emulateMedia({ colorScheme: 'dark' });
    expectNoSerious(await axeSeriousViolations(w), 'main (dark)');
    await w.emulateMedia({ colorScheme: 'light' });

    // ── Dial by keyboard.
    await tabTo(w, w.getByRole('textbox', { name: 'Dial by name' }));
    expect(await focusIsVisible(w)).toBe(true);
    await kb.type('ivan');
    await kb.press('Enter');
    await w.getByRole('region', { name: 'Outgoing call' }).waitFor({ timeout: 10_000 });

    // ── Incoming call on the desktop: scanned, answered by keyboard.
    const dialog = incomingDialog(d);
    await dialog.waitFor({ timeout: 15_000 });
    expectNoSerious(await axeSeriousViolations(d), 'incoming call');
    await tabTo(d, dialog.getByRole('button', { name: 'Answer' }));
    expect(await focusIsVisible(d)).toBe(true);
    await d.keyboard.press('Enter');
    await waitForCallState(d, 'Judy', 'active');
    await waitForCallState(w, 'Ivan', 'active');

    // ── In-call view: scanned on both sides; mute toggled and hung up by keyboard.
    expectNoSerious(await axeSeriousViolations(w), 'in-call (web)');
    expectNoSerious(await axeSeriousViolations(d), 'in-call (desktop)');
    const call = callRegion(w, 'Ivan');
    const mute = call.getByRole('button', { name: 'Mute' });
    await tabTo(w, mute);
    await kb.press('Space');
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await kb.press('Space');
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('false');
    await tabTo(w, call.getByRole('button', { name: 'Keypad' }));
    await kb.press('Enter');
    // The keypad opens with its first key focused: digits go out by keyboard too.
    await kb.press('Enter');
    await expect.poll(() => d.getByTestId('received-digits').textContent(), { timeout: 10_000 }).toBe('1');
    await tabTo(w, call.getByRole('button', { name: 'Hang up' }), { reverse: true });
    await kb.press('Enter');
    await waitForCallState(w, 'Ivan', 'ended');
    await waitForCallState(d, 'Judy', 'ended');
    await waitForState(desktop.phone, (s) => s.calls.length === 0, 15_000, 'ended call cleared');

    // ── Settings (desktop: includes Start at login), reached and changed by keyboard.
    await tabTo(d, d.getByRole('button', { name: 'Settings' }));
    await d.keyboard.press('Enter');
    const startAtLogin = d.getByRole('checkbox', { name: 'Start at login' });
    await startAtLogin.waitFor();
    for (const name of ['Microphone', 'Speaker', 'Ringtone device']) await d.getByRole('combobox', { name }).waitFor();
    await d.getByRole('checkbox', { name: 'Call waiting' }).waitFor();
    await d.getByRole('button', { name: 'Sign out' }).waitFor();
    expectNoSerious(await axeSeriousViolations(d), 'settings');
    await tabTo(d, startAtLogin);
    await d.keyboard.press('Space');
    await expect.poll(() => desktop.settings.get().startAtLogin).toBe(true);

    // The web host has no "Start at login".
    await tabTo(w, w.getByRole('button', { name: 'Settings' }));
    await kb.press('Enter');
    await w.getByRole('checkbox', { name: 'Call waiting' }).waitFor();
    expect(await w.getByRole('checkbox', { name: 'Start at login' }).count()).toBe(0);
    expectNoSerious(await axeSeriousViolations(w), 'settings (web)');
  });
});
