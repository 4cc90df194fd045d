/**
 * Issue 14 acceptance, in real Chromium: a guest on /call/support (no account, no install)
 * calls, waits as second in line with their position shown and hold audio playing, moves
 * up when the first caller is served, and is answered by a desktop agent (harness: real
 * core in this process, real renderer in Chromium). Both hear each other (the guest's
 * microphone 660 Hz, the agent's 440 Hz, by frequency analysis), the page shows
 * "Connected", and after the guest hangs up the guest's and the agent's records are right.
 *
 * The first caller (carol) is a signed-in user's core in this process: she waits while the
 * agent is not ready, then the agent goes ready and answers her.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { HOLD_NOTES_HZ } from '../../src/renderer/call-page/hold-audio.js';
import type { Softphone } from '../../src/core/softphone.js';
import { hears, spectrumOf, waitForTone } from '../helpers/audio.js';
import { launchChromium } from '../helpers/chromium.js';
import { signIn, waitForState } from '../helpers/phone.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { toneFile } from '../helpers/tones.js';
import { waitFor } from '../helpers/wait.js';
import { callRegion, incomingDialog, openDesktop, waitForCallState, waitForRemoteAudio, type DesktopApp } from '../harness/index.js';

const AGENT_HZ = 440;
const GUEST_HZ = 660;
const GUEST_NAME = 'Dana Scully';

let server: TestServer;
let agent: DesktopApp;
let agentId: string;
let carol: Softphone;
let browser: Browser;
let guest: Page;

beforeAll(async () => {
  server = await startTestServer();
  agentId = await server.addUser('bob');
  await server.storage.agents.setRoles(agentId, ['agent']);
  await server.storage.queues.add({
    id: 'support',
    name: 'Support',
    public: true,
    strategy: 'longest-idle',
    agentRingTimeoutSec: 30,
    wrapUpSec: 0,
    maxWaitSec: 600,
    joinEmpty: true,
  });
  await server.storage.queues.setMember('support', agentId);
  [agent, carol, browser] = await Promise.all([
    openDesktop(server, 'bob', { toneHz: AGENT_HZ }),
    signIn(server, 'carol'),
    launchChromium({ microphoneWav: toneFile(GUEST_HZ) }),
  ]);
  guest = await (await browser.newContext({ viewport: { width: 480, height: 720 } })).newPage();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([agent?.close(), carol?.stop(), browser?.close()]);
  await server?.stop();
});

const agentState = () => agent.page.getByTestId('agent-state');
const position = () => guest.getByTestId('queue-position').textContent();

/** The hold audio plays at the guest's output: one of its notes is the strongest sound there. */
async function holdAudioHeard(page: Page): Promise<boolean> {
  const s = await spectrumOf(page, [...HOLD_NOTES_HZ], '[data-testid="hold-audio"]').catch(() => null);
  return !!s && HOLD_NOTES_HZ.some((hz) => hears(s, hz));
}

describe('a guest calls the support line from the web page', () => {
  it('waits second in line, moves up, is answered by the agent with two-way audio; both records are right', async () => {
    // The agent is logged in but not ready: callers wait in line.
    await agentState().waitFor({ timeout: 20_000 });
    await expect.poll(() => agentState().textContent(), { timeout: 10_000 }).not.toBe('Ready');

    // carol, a signed-in user, is first in line.
    const carolCall = await carol.dial({ queue: 'support' });
    const carolWaiting = (s: ReturnType<Softphone['snapshot']>) => s.calls.find((c) => c.callId === carolCall.callId)?.queueWaiting;
    await waitForState(carol, (s) => carolWaiting(s)?.position === 1, 10_000, 'carol first in line');

    // The guest opens the page: the queue's name, open; a name; Call.
    await guest.goto(`http://localhost:${new URL(server.url).port}/call/support?rawAudio=1`);
    await guest.getByRole('heading', { level: 1, name: 'Support' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => guest.getByTestId('queue-state').textContent(), { timeout: 10_000 }).toMatch(/^Open/);
    await guest.getByRole('textbox', { name: 'Your name (optional)' }).fill(GUEST_NAME);
    await guest.getByRole('button', { name: 'Call', exact: true }).click();
    const clickedAt = Date.now();

    // Second in line, told in words (an aria-live region), with hold audio made in the page.
    await expect.poll(position, { timeout: 15_000 }).toBe('You are number 2 in line.');
    expect(await guest.getByTestId('queue-position').getAttribute('aria-live')).toBe('polite');
    await waitFor(() => holdAudioHeard(guest), 'the hold audio at the guest', { timeoutMs: 15_000, everyMs: 100 });
    expect(carolWaiting(carol.snapshot())?.position).toBe(1);

    // The agent goes ready and answers carol: the guest moves up to first.
    await agent.page.getByRole('region', { name: 'Agent state' }).getByRole('button', { name: 'Go ready' }).click();
    const ringing = incomingDialog(agent.page);
    await ringing.getByText('Carol', { exact: true }).first().waitFor({ timeout: 15_000 });
    await ringing.getByRole('button', { name: 'Answer' }).click();
    await waitForState(carol, (s) => s.calls.some((c) => c.callId === carolCall.callId && c.local === 'active'), 10_000, 'carol answered');
    await expect.poll(position, { timeout: 10_000 }).toBe('You are next in line.');

    // carol's call ends; the agent is ready again (no wrap-up) and the guest's call rings.
    await callRegion(agent.page, 'Carol').getByRole('button', { name: 'Hang up' }).click();
    await ringing.getByText(GUEST_NAME, { exact: true }).first().waitFor({ timeout: 15_000 });
    const guestCall = agent.phone.snapshot().calls.find((c) => c.peer.displayName === GUEST_NAME && c.local === 'ringing-in');
    expect(guestCall).toMatchObject({ queue: { id: 'support', name: 'Support' }, callerKind: 'guest', caller: { username: 'guest', displayName: GUEST_NAME } });
    await ringing.getByRole('button', { name: 'Answer' }).click();
    const answeredAt = Date.now();

    // The page says Connected (with a running call timer); the hold audio has stopped.
    await guest.getByTestId('call-status').filter({ hasText: /^Connected$/ }).waitFor({ timeout: 15_000 });
    await expect.poll(() => guest.evaluate(() => document.documentElement.dataset.holdAudio), { timeout: 5_000 }).toBe('stopped');
    await waitForCallState(agent.page, GUEST_NAME, 'active');

    // Both hear each other.
    await Promise.all([waitForRemoteAudio(agent.page), waitForRemoteAudio(guest)]);
    await waitForTone(agent.page, GUEST_HZ, { timeoutMs: 20_000 });
    await waitForTone(guest, AGENT_HZ, { timeoutMs: 20_000 });
    await expect.poll(() => guest.getByTestId('call-timer').textContent(), { timeout: 5_000 }).not.toBe('0:00');

    // The guest hangs up: both sides end.
    await guest.getByRole('button', { name: 'Hang up' }).click();
    await guest.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    await waitForCallState(agent.page, GUEST_NAME, 'ended');
    const endedAt = Date.now();

    // One record for the guest and one for the agent, each with the queue call's facts.
    const callId = guestCall!.callId;
    let records = await server.storage.history.recordsForCall(callId);
    await waitFor(async () => (records = await server.storage.history.recordsForCall(callId)).length === 2, 'both records of the guest call', { timeoutMs: 10_000, everyMs: 50 });
    const guestRecord = records.find((r) => r.direction === 'outgoing')!;
    const agentRecord = records.find((r) => r.direction === 'incoming')!;
    const waitedSec = (answeredAt - clickedAt) / 1000;
    const talkedSec = (endedAt - answeredAt) / 1000;

    expect(guestRecord).toMatchObject({
      peer: { id: agentId, username: 'bob' },
      outcome: 'completed',
      queue: { id: 'support', name: 'Support' },
      queueCall: { outcome: 'answered', callerKind: 'guest' },
    });
    expect(agentRecord).toMatchObject({
      peer: { username: 'guest', displayName: GUEST_NAME },
      outcome: 'completed',
      queue: { id: 'support', name: 'Support' },
      queueCall: { outcome: 'answered', callerKind: 'guest' },
    });
    for (const r of [guestRecord, agentRecord]) {
      // Waited from joining the line (just after the click) to the answer (just after the
      // agent's click): the local span within a second either way, whatever the rounding.
      expect(r.queueCall!.waitSec).toBeGreaterThanOrEqual(Math.floor(waitedSec) - 1);
      expect(r.queueCall!.waitSec).toBeLessThanOrEqual(Math.ceil(waitedSec) + 1);
      expect(r.queueCall!.talkSec).toBeLessThanOrEqual(Math.ceil(talkedSec) + 1);
      expect(r.queueCall!.offers).toEqual([{ agent: expect.objectContaining({ id: agentId }), at: expect.any(Number), result: 'answered' }]);
    }
    expect(guestRecord.peer.id).not.toBe(agentRecord.peer.id);
    expect(agentRecord.peer.id).toMatch(/^guest-/);

    // carol's call was a queue call too, served by the same agent.
    const carolRecords = await server.storage.history.recordsForCall(carolCall.callId);
    expect(carolRecords.map((r) => [r.direction, r.queueCall?.outcome, r.queueCall?.callerKind]).sort()).toEqual([
      ['incoming', 'answered', 'user'],
      ['outgoing', 'answered', 'user'],
    ]);
  });

  it('tells the guest why a call ended: max-wait, leaving the line, too many calls, a closed line', async () => {
    // A server of its own: two guest tokens a minute per IP, a queue nobody serves with a
    // 2 s max-wait, and a join-empty-no queue whose only member is offline.
    const s2 = await startTestServer({ guestTokensPerMinute: 2 });
    const context = await browser.newContext();
    try {
      await s2.storage.queues.add({ id: 'short', name: 'Short line', public: true, maxWaitSec: 2, joinEmpty: true });
      await s2.storage.queues.add({ id: 'closed', name: 'Closed line', public: true, joinEmpty: false });
      await s2.storage.queues.setMember('closed', await s2.addUser('dave'));
      const page = await context.newPage();
      const base = `http://localhost:${new URL(s2.url).port}/call`;
      const call = page.getByRole('button', { name: 'Call', exact: true });

      // Max-wait: the wait ends with a sentence saying so; the hold audio stops.
      await page.goto(`${base}/short?rawAudio=1`);
      await page.getByRole('heading', { level: 1, name: 'Short line' }).waitFor({ timeout: 15_000 });
      await call.click();
      await expect.poll(() => page.getByTestId('queue-position').textContent(), { timeout: 10_000 }).toBe('You are next in line.');
      await page.getByTestId('call-ended').filter({ hasText: 'nobody could take your call in time' }).waitFor({ timeout: 10_000 });
      expect(await page.evaluate(() => document.documentElement.dataset.holdAudio)).toBe('stopped');

      // Call again (a new guest token), then leave the line.
      await page.getByRole('button', { name: 'Call again' }).click();
      await call.click();
      await expect.poll(() => page.getByTestId('queue-position').textContent(), { timeout: 10_000 }).toBe('You are next in line.');
      await page.getByRole('button', { name: 'Hang up' }).click();
      await page.getByTestId('call-ended').filter({ hasText: 'You left the line.' }).waitFor({ timeout: 10_000 });

      // A third token within the minute: the per-IP limit, in words.
      await page.getByRole('button', { name: 'Call again' }).click();
      await call.click();
      await page.getByRole('alert').filter({ hasText: 'Too many calls were started from your network' }).waitFor({ timeout: 10_000 });

      // Join-empty no with nobody logged in: the page says the line is closed and offers no Call.
      await page.goto(`${base}/closed`);
      await page.getByTestId('queue-state').filter({ hasText: /^Closed/ }).waitFor({ timeout: 15_000 });
      expect(await call.isDisabled()).toBe(true);
    } finally {
      await context.close();
      await s2.stop();
    }
  });
});
