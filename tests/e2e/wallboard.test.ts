/**
 * The supervisor's wallboard in real Chromium (issue 14): the page is offered to a supervisor
 * only, shows an agent's change and a caller joining the line live (the longest wait ticking
 * on screen), forces an agent not ready from the page (the agent's own core sees it), counts
 * the abandoned call, logs the agent out of the queues, and passes axe. Run once in the desktop app (core in the harness's
 * host, renderer in Chromium) and once in the web softphone (core in the page).
 */
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Softphone } from '../../src/core/softphone.js';
import type { WallboardFeedState } from '../../src/shared/contract.js';
import { signIn, waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD, startTestServer, type TestServer } from '../helpers/server.js';
import { axeSeriousViolations, openDesktop, openWeb } from '../harness/index.js';

let server: TestServer | undefined;
let open: { close(): Promise<void> }[] = [];
let cores: Softphone[] = [];

afterEach(async () => {
  await Promise.allSettled([...open.map((o) => o.close()), ...cores.map((c) => c.logout())]);
  open = [];
  cores = [];
  await server?.stop();
  server = undefined;
});

async function setUp(): Promise<{ s: TestServer; bob: Softphone; caller: Softphone }> {
  const s = await startTestServer();
  const sue = await s.addUser('sue', 'Sue Visor');
  await s.storage.agents.setRoles(sue, ['supervisor']);
  const bobId = await s.addUser('bob', 'Bob Smith');
  await s.storage.agents.setRoles(bobId, ['agent']);
  await s.storage.queues.add({ id: 'support', name: 'Support', maxWaitSec: 600 });
  await s.storage.queues.setMember('support', bobId);
  const bob = await signIn(s, 'bob');
  const caller = await signIn(s, 'carl');
  cores.push(bob, caller);
  await waitForState(bob, (st) => st.agent?.state === 'not-ready', 5_000, 'bob signed in as an agent');
  return { s, bob, caller };
}

const card = (page: Page, queue: string) => page.locator(`[data-queue="${queue}"]`);
const figure = (page: Page, queue: string, name: string) => card(page, queue).locator(`[data-figure="${name}"] dd`);
const agentRow = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(name) });

async function expectText(page: Page, locator: ReturnType<Page['locator']>, text: string | RegExp, timeoutMs = 5_000) {
  await page.waitForFunction(
    ({ el, t, re }) => {
      const s = (el as HTMLElement | null)?.textContent ?? '';
      return re ? new RegExp(t).test(s) : s.includes(t);
    },
    { el: await locator.elementHandle({ timeout: timeoutMs }), t: text instanceof RegExp ? text.source : text, re: text instanceof RegExp },
    { timeout: timeoutMs },
  );
}

async function wallboardDay(page: Page, bob: Softphone, caller: Softphone): Promise<void> {
  const nav = page.getByRole('button', { name: 'Wallboard' });
  await nav.waitFor({ timeout: 20_000 });
  await nav.click();
  await page.getByRole('heading', { name: 'Wallboard', level: 1 }).waitFor();
  const bobRow = agentRow(page, 'Bob Smith');
  await expectText(page, bobRow.getByTestId('wallboard-agent-state'), 'Not ready · Away', 10_000);
  expect(await figure(page, 'support', 'waiting').textContent()).toBe('0');

  // The agent's own change shows (server push ≤ 1 s, the bound here leaves room for rendering).
  let t0 = performance.now();
  await bob.setAgentStatus({ state: 'ready' });
  await expectText(page, bobRow.getByTestId('wallboard-agent-state'), /^\s*Ready$/, 5_000);
  console.log(`wallboard page: the agent's change on screen ${Math.round(performance.now() - t0)} ms after it was asked`);
  expect(await card(page, 'support').locator('[data-state="ready"] strong').textContent()).toBe('1');

  // Force not ready from the page: the agent's own core gets it.
  await bobRow.getByRole('combobox', { name: /Not-ready reason for Bob Smith/ }).selectOption('lunch');
  await bobRow.getByRole('button', { name: 'Not ready: Bob Smith' }).click();
  await waitForState(bob, (st) => st.agent?.state === 'not-ready' && st.agent.reason === 'lunch', 5_000, 'bob set not ready by the supervisor');
  await expectText(page, bobRow.getByTestId('wallboard-agent-state'), 'Not ready · Lunch');

  // A caller joins the line (nobody ready): waiting 1, and the longest wait ticks on screen.
  t0 = performance.now();
  const call = await caller.dial({ queue: 'support' });
  await expectText(page, figure(page, 'support', 'waiting'), /^1$/);
  console.log(`wallboard page: a caller joining shown ${Math.round(performance.now() - t0)} ms after the dial`);
  await expectText(page, figure(page, 'support', 'longest-wait'), /^00:0[2-9]$/, 6_000);
  expect((await axeSeriousViolations(page)).map((v) => v.id)).toEqual([]);

  // The caller gives up: abandoned 1, nobody waiting.
  await caller.hangup(call.callId);
  await expectText(page, figure(page, 'support', 'abandoned'), /^1$/);
  await expectText(page, figure(page, 'support', 'waiting'), /^0$/);
  expect(await figure(page, 'support', 'longest-wait').textContent()).toBe('—');

  // Log the agent out of the queues: their core hears it, the page says so and offers no second log-out.
  await bobRow.getByRole('button', { name: 'Log out Bob Smith from the queues' }).click();
  await waitForState(bob, (st) => st.agent?.state === 'not-ready' && st.agent.reason === 'logged-out', 5_000, 'bob logged out by the supervisor');
  await expectText(page, bobRow.getByTestId('wallboard-agent-state'), 'Not ready · Logged out');
  await bobRow.getByRole('button', { name: 'Log out Bob Smith from the queues' }).waitFor({ state: 'detached' });
}

describe('the wallboard page', () => {
  it('desktop app: supervisor only, live figures, force not ready, abandoned counted, log out', async () => {
    const { s, bob, caller } = await setUp();
    server = s;
    // An agent who is no supervisor is not offered the page: the server's answer says so.
    const doraId = await s.addUser('dora', 'Dora Agent');
    await s.storage.agents.setRoles(doraId, ['agent']);
    const agentApp = await openDesktop(s, 'dora', { signedIn: false });
    open.push(agentApp);
    const told = new Promise<WallboardFeedState>((resolve) =>
      agentApp.bridge.subscribe((event, p) => {
        if (event === 'wallboard' && (p as WallboardFeedState).available === false) resolve(p as WallboardFeedState);
      }),
    );
    await agentApp.phone.login(s.url, 'dora', TEST_PASSWORD);
    await told;
    await agentApp.page.getByRole('button', { name: 'Contacts' }).waitFor({ timeout: 20_000 });
    expect(await agentApp.page.getByRole('button', { name: 'Wallboard' }).count()).toBe(0);

    const app = await openDesktop(s, 'sue');
    open.push(app);
    await wallboardDay(app.page, bob, caller);
  });

  it('web softphone: the same page, core in the page', async () => {
    const { s, bob, caller } = await setUp();
    server = s;
    const web = await openWeb(s, 'sue');
    open.push(web);
    await wallboardDay(web.page, bob, caller);
  });
});
