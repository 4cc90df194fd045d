/**
 * Support agents, acceptance in real Chromium (issue 13): an agent with auto-answer gets a
 * queue call; it is answered within the configured delay (by the agent's own core, no
 * click), the zip tone (~440 Hz) reaches the agent's output, detected by frequency, and
 * two-way audio is verified by tone. Then the agent works the call's wrap-up at the
 * window's minimum width (340 px) by keyboard alone, axe finds nothing serious, and the
 * history row shows the disposition. Run once with the agent on the desktop app and once
 * on the web softphone (same renderer, core in the page).
 *
 * Tones: agent microphone 550 Hz, caller 660 Hz, zip tone 440 Hz — so the zip tone is told
 * apart from either voice, and the caller never hearing 440 Hz shows it stays local.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hears, spectrumOf, waitForTone } from '../helpers/audio.js';
import { waitForState } from '../helpers/phone.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  axeSeriousViolations,
  focusIsVisible,
  openDesktop,
  openWeb,
  tabTo,
  waitForCallState,
  waitForRemoteAudio,
  type DesktopApp,
  type WebApp,
} from '../harness/index.js';
import { recordZipTone, waitForZipTone } from '../harness/zip-tone.js';

const AGENT_HZ = 550;
const CALLER_HZ = 660;
const ZIP_HZ = 440;
const AUTO_ANSWER_MS = 500;
/** Signaling on loopback plus the answer round trip; far below a second. */
const ANSWER_TOLERANCE_MS = 700;

let server: TestServer | undefined;
let open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.allSettled(open.map((o) => o.close()));
  open = [];
  await server?.stop();
  server = undefined;
});

/** alice: an agent in queue "support" with auto-answer after 500 ms; bob: a plain caller. */
async function setUp(): Promise<TestServer> {
  const s = await startTestServer();
  const alice = await s.addUser('alice');
  await s.addUser('bob');
  // Roles are claims of the access token: set before alice signs in.
  await s.storage.agents.setRoles(alice, ['agent']);
  await s.storage.queues.add({
    id: 'support',
    name: 'Support',
    agentRingTimeoutSec: 15,
    wrapUpSec: 120,
    dispositions: [
      { code: 'solved', label: 'Solved' },
      { code: 'callback', label: 'Call back later' },
    ],
    dispositionRequired: true,
  });
  await s.storage.queues.setMember('support', alice);
  await s.storage.agents.setAutoAnswer(alice, { queue: true, internal: false, delayMs: AUTO_ANSWER_MS, agentMayChange: false });
  return s;
}

const agentBar = (page: Page) => page.getByRole('region', { name: 'Agent state' });

/** The agent makes themselves ready from the agent bar (keyboard only). */
async function goReady(page: Page): Promise<void> {
  const state = page.getByTestId('agent-state');
  await state.waitFor({ timeout: 20_000 });
  if ((await state.textContent()) !== 'Ready') {
    const ready = agentBar(page).getByRole('button', { name: 'Go ready' });
    await tabTo(page, ready);
    expect(await focusIsVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
  }
  await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('Ready');
}

async function runQueueCall(agentPage: Page, caller: DesktopApp): Promise<void> {
  await goReady(agentPage);
  await recordZipTone(agentPage);

  // bob calls the queue; the server offers it to alice, whose core answers by itself.
  const placed = await caller.phone.dial({ queue: 'support' });
  const answered = await waitForState(
    caller.phone,
    (s) => s.calls.some((c) => c.callId === placed.callId && c.answeredAt !== null),
    10_000,
    'the queue call answered',
  );
  const call = answered.calls.find((c) => c.callId === placed.callId)!;
  // Server clock on both ends: from the call being placed (the offer goes out at once) to the answer.
  const answerMs = call.answeredAt! - call.createdAt;
  expect(answerMs).toBeGreaterThanOrEqual(AUTO_ANSWER_MS - 50);
  expect(answerMs).toBeLessThanOrEqual(AUTO_ANSWER_MS + ANSWER_TOLERANCE_MS);

  // The zip tone reached the agent's output, at 440 Hz, and lasted a short beep.
  const zip = await waitForZipTone(agentPage, ZIP_HZ, 5_000);
  expect(zip[0]!.at).toBeGreaterThanOrEqual(call.answeredAt! - 100);
  expect(zip[0]!.at - call.answeredAt!).toBeLessThan(1_500);
  const beepMs = zip.at(-1)!.at - zip[0]!.at;
  expect(beepMs).toBeGreaterThan(100);
  expect(beepMs).toBeLessThan(400);
  const peakHz = Math.round(zip.reduce((sum, f) => sum + f.peakHz, 0) / zip.length);
  console.info(`auto-answer after ${answerMs} ms (configured ${AUTO_ANSWER_MS}); zip tone ${zip[0]!.at - call.answeredAt!} ms after the answer, ${beepMs} ms long, ~${peakHz} Hz`);

  // Two-way audio, by tone; the caller hears the agent, never the zip tone.
  await waitForCallState(agentPage, 'Bob', 'active');
  await Promise.all([waitForRemoteAudio(agentPage), waitForRemoteAudio(caller.page)]);
  await waitForTone(agentPage, CALLER_HZ, { timeoutMs: 20_000 });
  await waitForTone(caller.page, AGENT_HZ, { timeoutMs: 20_000 });
  const atCaller = await spectrumOf(caller.page, [ZIP_HZ, AGENT_HZ]);
  expect(hears(atCaller, AGENT_HZ)).toBe(true);
  expect(hears(atCaller, ZIP_HZ)).toBe(false);
  await expect.poll(() => agentPage.getByTestId('agent-state').textContent(), { timeout: 5_000 }).toBe('On a call');

  // On the call, the menu sets the next status (keyboard only), shown as pending, and can be cancelled.
  const menuButton = agentBar(agentPage).getByRole('button', { name: 'Set next status' });
  await tabTo(agentPage, menuButton);
  await agentPage.keyboard.press('Enter');
  const menu = agentPage.getByRole('menu', { name: 'Next status, applied after this call' });
  await menu.waitFor({ timeout: 5_000 });
  expect(await axeSeriousViolations(agentPage), 'agent state menu').toEqual([]);
  await expect.poll(() => menu.getByRole('menuitemradio', { name: 'Ready' }).evaluate((el) => el === document.activeElement)).toBe(true);
  await agentPage.keyboard.press('ArrowDown'); // Break
  await agentPage.keyboard.press('ArrowDown'); // Lunch
  await agentPage.keyboard.press('Enter');
  await agentBar(agentPage).getByText('Next: Lunch').waitFor({ timeout: 5_000 });
  await tabTo(agentPage, agentBar(agentPage).getByRole('button', { name: 'Cancel next status Lunch' }));
  await agentPage.keyboard.press('Enter');
  await agentBar(agentPage).getByText('Next: Lunch').waitFor({ state: 'detached', timeout: 5_000 });

  // The caller hangs up: wrap-up with the queue's timer and its required disposition.
  await caller.phone.hangup(placed.callId);
  const panel = agentPage.getByRole('region', { name: 'Wrap-up' });
  await panel.waitFor({ timeout: 10_000 });
  await expect.poll(() => agentPage.getByTestId('wrapup-countdown').textContent(), { timeout: 5_000 }).toMatch(/^Ends in 0[12]:\d\d$/);
  expect(await axeSeriousViolations(agentPage), 'agent bar and wrap-up panel').toEqual([]);

  // Keyboard only: Done without a disposition is refused in words; pick one, add notes, Done.
  const done = panel.getByRole('button', { name: 'Done' });
  await tabTo(agentPage, done);
  await agentPage.keyboard.press('Enter');
  await panel.getByRole('alert').filter({ hasText: 'Pick a disposition to finish wrap-up.' }).waitFor({ timeout: 5_000 });
  const disposition = panel.getByRole('combobox', { name: /Disposition/ });
  await expect.poll(() => disposition.evaluate((el) => el === document.activeElement)).toBe(true);
  await agentPage.keyboard.press('ArrowDown'); // from "Choose…" to the first code
  await expect.poll(() => disposition.inputValue()).toBe('solved');
  const notes = panel.getByRole('textbox', { name: 'Notes' });
  await tabTo(agentPage, notes);
  await agentPage.keyboard.type('Reset the password');
  await tabTo(agentPage, done);
  await agentPage.keyboard.press('Enter');
  await panel.waitFor({ state: 'detached', timeout: 10_000 });
  await expect.poll(() => agentPage.getByTestId('agent-state').textContent(), { timeout: 10_000 }).toBe('Ready');

  // History shows the queue, how long the caller waited, the disposition and the notes.
  await agentPage.getByRole('button', { name: 'History' }).click();
  await agentPage
    .getByRole('listitem')
    .filter({ hasText: /Support · waited \d+:\d\d · solved · Notes: Reset the password/ })
    .first()
    .waitFor({ timeout: 10_000 });
}

describe('agent auto-answer with a zip tone', () => {
  it('desktop agent (340 px): answered within the delay, zip tone at the output, two-way audio, wrap-up by keyboard', async () => {
    server = await setUp();
    const [agent, caller] = await Promise.all([
      openDesktop(server, 'alice', { toneHz: AGENT_HZ, width: 340, height: 720 }),
      openDesktop(server, 'bob', { toneHz: CALLER_HZ }),
    ]);
    open.push(agent, caller);
    await runQueueCall(agent.page, caller);
  });

  it('web softphone agent (340 px): the same, with the core in the page', async () => {
    server = await setUp();
    const [agent, caller]: [WebApp, DesktopApp] = await Promise.all([
      openWeb(server, 'alice', { toneHz: AGENT_HZ, width: 340, height: 720 }),
      openDesktop(server, 'bob', { toneHz: CALLER_HZ }),
    ]);
    open.push(agent, caller);
    await runQueueCall(agent.page, caller);
  });
});
