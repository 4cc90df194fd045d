/**
 * `npm run screenshots`: captures the real renderer (headless desktop
 * harness, fake media, a real server with a few people online) into
 * docs/screenshots/*.png at 1000×700.
 *
 *   login.png  main.png  main-dark.png  in-call.png  incoming-call.png
 *   settings.png  history.png  ringing-window.png
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Softphone } from '../../src/core/softphone.js';
import { signIn, waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD, startTestServer } from '../helpers/server.js';
import { openDesktop } from './desktop.js';
import { callRegion, incomingDialog, waitForCallState, waitForRemoteAudio } from './ui.js';
import { openWeb } from './web.js';

const OUT = path.resolve('docs/screenshots');
const SIZE = { width: 1000, height: 700 };

async function shot(page: Page, name: string): Promise<void> {
  // Let transitions and the quality sampler settle; hide the text caret.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.waitForTimeout(300);
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshots: ${path.relative(process.cwd(), file)}`);
}

async function main(): Promise<void> {
  if (!fs.existsSync('dist/renderer/index.html')) throw new Error('build the renderer first: node scripts/build.mjs renderer');
  fs.mkdirSync(OUT, { recursive: true });
  const server = await startTestServer();
  const people: [string, string][] = [
    ['alice', 'Alice Johnson'],
    ['bob', 'Bob Smith'],
    ['carol', 'Carol Diaz'],
    ['dave', 'Dave Lee'],
    ['erin', 'Erin Park'],
    ['frank', 'Frank Moreau'],
    ['grace', 'Grace Kim'],
  ];
  for (const [u, name] of people) await server.addUser(u, name);
  const cores: Softphone[] = [];
  const desktop = await openDesktop(server, 'alice', { toneHz: 440, signedIn: false });
  const web = await openWeb(server, 'bob', { toneHz: 660 });
  try {
    const page = desktop.page;
    await page.setViewportSize(SIZE);

    // ── Login
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByRole('textbox', { name: 'Server address' }).fill('https://phone.example.com');
    await page.getByRole('textbox', { name: 'Username' }).fill('alice');
    await shot(page, 'login');
    await page.getByRole('textbox', { name: 'Server address' }).fill(server.url);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Contacts' }).waitFor({ timeout: 20_000 });

    // ── Others online with various statuses, and some history.
    const statuses: [string, 'busy' | 'dnd' | 'away' | 'available'][] = [
      ['carol', 'available'],
      ['dave', 'dnd'],
      ['erin', 'away'],
      ['grace', 'busy'],
    ];
    for (const [u, status] of statuses) {
      const p = await signIn(server, u, 'desktop');
      cores.push(p);
      if (status !== 'available') await p.setStatus(status);
    }
    const [carol] = cores;
    // A missed call from Carol, a call to Dave who does not want to be disturbed, a completed call with Bob.
    const missed = await carol!.dial({ username: 'alice' });
    await waitForState(desktop.phone, (s) => s.calls.some((c) => c.local === 'ringing-in'), 10_000);
    await carol!.hangup(missed.callId);
    await desktop.phone.dial({ username: 'dave' });
    await page.getByRole('button', { name: 'Call Bob Smith' }).click();
    await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(page, 'Bob Smith', 'active');
    await page.waitForTimeout(1_500);
    await callRegion(page, 'Bob Smith').getByRole('button', { name: 'Hang up' }).click();
    await waitForState(desktop.phone, (s) => s.calls.length === 0 && s.history.length >= 3, 15_000);

    // ── Main (contacts with presence, missed badge)
    await page.getByRole('button', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'Call Grace Kim' }).waitFor();
    await page.getByRole('list', { name: 'Contacts' }).getByText('Do not disturb').waitFor();
    await shot(page, 'main');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'main-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // ── History
    await page.getByRole('button', { name: 'History' }).click();
    await page.getByRole('list', { name: 'Call history' }).getByText('Missed').first().waitFor();
    await shot(page, 'history');

    // ── In call (with Bob on the web softphone), keypad open, digits received, quality measured
    await page.getByRole('button', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'Call Bob Smith' }).click();
    await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(page, 'Bob Smith', 'active');
    await waitForRemoteAudio(page);
    const call = callRegion(page, 'Bob Smith');
    await call.getByRole('button', { name: 'Keypad' }).click();
    const webCall = callRegion(web.page, 'Alice Johnson');
    await webCall.getByRole('button', { name: 'Keypad' }).click();
    for (const d of ['4', '2']) await webCall.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: d, exact: true }).click();
    await page.getByTestId('received-digits').filter({ hasText: '42' }).waitFor();
    await page.getByTestId('quality-rtt').filter({ hasText: 'ms' }).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2_200);
    await shot(page, 'in-call');
    await call.getByRole('button', { name: 'Hang up' }).click();
    await waitForState(desktop.phone, (s) => s.calls.length === 0, 15_000);

    // ── Incoming call (Carol calls)
    await page.getByRole('button', { name: 'Contacts' }).click();
    const ring = await carol!.dial({ username: 'alice' });
    await incomingDialog(page).waitFor({ timeout: 10_000 });
    await shot(page, 'incoming-call');

    // ── The compact ringing window
    const ringing = await desktop.openRingingWindow();
    await ringing.setViewportSize({ width: 420, height: 260 });
    await incomingDialog(ringing).waitFor();
    await ringing.waitForTimeout(300);
    await ringing.screenshot({ path: path.join(OUT, 'ringing-window.png') });
    console.log('screenshots: docs/screenshots/ringing-window.png');
    await ringing.close();
    await carol!.hangup(ring.callId);
    await waitForState(desktop.phone, (s) => s.calls.length === 0, 15_000);

    // ── Settings
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('checkbox', { name: 'Start at login' }).waitFor();
    await shot(page, 'settings');
  } finally {
    await Promise.allSettled([desktop.close(), web.close(), ...cores.map((c) => c.stop())]);
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
