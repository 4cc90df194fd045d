/**
 * A queue offer on a web softphone agent, in real Chromium (issue 14, the agent side): the
 * directory lists the queue with its agents; the offer rings as an incoming call that names
 * the queue and the caller and counts how long they have waited, ticking; when the caller
 * gives up, the offer is withdrawn and the incoming dialog goes away by itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Softphone } from '../../src/core/softphone.js';
import { signIn, waitForState } from '../helpers/phone.js';
import { makeQueue } from '../helpers/queues.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { axeSeriousViolations, incomingDialog, openWeb, type WebApp } from '../harness/index.js';

let server: TestServer | undefined;
let agent: WebApp | undefined;
let caller: Softphone | undefined;

afterEach(async () => {
  await agent?.close();
  await caller?.stop();
  await server?.stop();
  agent = caller = server = undefined;
});

describe('a queue offer on a web agent', () => {
  it('shows the queue, the caller and the ticking wait; withdrawn, the dialog goes away', async () => {
    server = await startTestServer();
    const alice = await server.addUser('alice');
    await server.storage.agents.setRoles(alice, ['agent']);
    await makeQueue(server, 'support', [[alice, 1]], { ring: 60 });
    agent = await openWeb(server, 'alice');
    const page = agent.page;

    // The directory lists the queue with its figures (alice is signed in: logged in, not ready).
    const queues = page.getByRole('list', { name: 'Queues' });
    await queues.getByText('Queue support').waitFor({ timeout: 10_000 });
    expect(await queues.getByRole('listitem').first().textContent()).toContain('0 of 1 agent ready');
    await page.getByRole('button', { name: 'Go ready' }).click();
    await expect.poll(() => page.getByTestId('agent-state').textContent(), { timeout: 10_000 }).toBe('Ready');

    caller = await signIn(server, 'bob');
    const call = await caller.dial({ queue: 'support' });
    const dialog = incomingDialog(page);
    await dialog.waitFor({ timeout: 10_000 });
    expect(await dialog.locator('.incoming-name').textContent()).toBe('Bob');
    const first = await dialog.getByText(/^Queue support · waited \d\d:\d\d\.$/).textContent();
    // The wait ticks while the offer rings.
    await expect.poll(() => dialog.getByText(/^Queue support · waited/).textContent(), { timeout: 5_000 }).not.toBe(first);
    expect(await axeSeriousViolations(page), 'incoming queue offer').toEqual([]);

    // The caller gives up: the offer is withdrawn, nothing is left ringing or shown as missed.
    await caller.hangup(call.callId);
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    // Once the call's records are written (the caller's is), the agent has no missed-call badge.
    await waitForState(caller, (s) => s.history.some((r) => r.callId === call.callId), 10_000, 'the caller’s record');
    expect(await page.locator('.nav-badge').count()).toBe(0);
  });
});
