/**
 * Routing strategies and tiers through a real server (docs/support-line.md "Routing"): which
 * agent each strategy offers a queue call to, autofill, ring-all's first accept, and a
 * level-2 member offered a call only after the tier wait, or at once when no level-1 member
 * is logged in and ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import {
  agentChanged,
  agentDevice,
  answerAndEnd,
  dial,
  makeQueue,
  nextAgentChange,
  offerOf,
  offeredTo,
  setReady,
  type TestAgent,
} from '../../helpers/queues.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({ agentRejectDelayMs: 0 });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function agents(prefix: string, names: string[]): Promise<TestAgent[]> {
  const out: TestAgent[] = [];
  for (const n of names) out.push(await agentDevice(server, `${prefix}-${n}`, open));
  return out;
}

async function caller(name: string): Promise<TestDevice> {
  const d = await connectDevice(server, name);
  open.push(d);
  return d;
}

/** The agent among `all` the call is offered to (exactly one). */
async function offeredOne(all: TestAgent[], callId: string): Promise<TestAgent> {
  const first = await Promise.any(all.map((a) => offerOf(a, callId).then(() => a)));
  for (const a of all) await a.dev.flush();
  expect(offeredTo(all, callId)).toEqual([first.username]);
  return first;
}

describe('strategies', () => {
  it('longest-idle: the agent whose last call ended longest ago', async () => {
    const [a, b] = await agents('li', ['a', 'b']);
    await makeQueue(server, 'li-q', [[a!.id, 1], [b!.id, 1]], { strategy: 'longest-idle' });
    const c = await caller('li-caller');
    await setReady(a!);
    await setReady(b!);

    const first = await dial(c, 'li-q');
    expect(await offeredOne([a!, b!], first.callId)).toBe(a);
    await answerAndEnd(a!, c, first.callId);
    // a's call just ended; b has been idle since they became ready, earlier.
    const second = await dial(c, 'li-q');
    expect(await offeredOne([a!, b!], second.callId)).toBe(b);
    await answerAndEnd(b!, c, second.callId);
    // Now a's last call ended before b's.
    const third = await dial(c, 'li-q');
    expect(await offeredOne([a!, b!], third.callId)).toBe(a);
    await answerAndEnd(a!, c, third.callId);
  });

  it('top-down: the first member in order, then the next for a second call at once (autofill)', async () => {
    const [a, b, x] = await agents('td', ['a', 'b', 'c']);
    await makeQueue(server, 'td-q', [[a!.id, 1], [b!.id, 1], [x!.id, 1]], { strategy: 'top-down' });
    const c1 = await caller('td-caller1');
    const c2 = await caller('td-caller2');
    // Ready in reverse order: longest-idle would pick c.
    await setReady(x!);
    await setReady(b!);
    await setReady(a!);

    const first = await dial(c1, 'td-q');
    expect(await offeredOne([a!, b!, x!], first.callId)).toBe(a);
    const second = await dial(c2, 'td-q');
    expect(await offeredOne([a!, b!, x!], second.callId)).toBe(b);
    await c1.request('call:cancel', { callId: first.callId });
    await c2.request('call:cancel', { callId: second.callId });
  });

  it('round-robin: each call to the member after the one offered the previous call', async () => {
    const team = await agents('rr', ['a', 'b', 'c']);
    await makeQueue(server, 'rr-q', team.map((t) => [t.id, 1] as [string, number]), { strategy: 'round-robin' });
    const c = await caller('rr-caller');
    for (const t of team) await setReady(t);
    const order: number[] = [];
    for (let i = 0; i < 4; i++) {
      const call = await dial(c, 'rr-q');
      const got = await offeredOne(team, call.callId);
      order.push(team.indexOf(got));
      await answerAndEnd(got, c, call.callId);
    }
    for (let i = 1; i < order.length; i++) expect(order[i]).toBe((order[i - 1]! + 1) % team.length);
  });

  it('fewest-calls: the member who answered the fewest of the queue\'s calls today, even if idle for less time', async () => {
    const [a, b] = await agents('fc', ['a', 'b']);
    await makeQueue(server, 'fc-q', [[a!.id, 1], [b!.id, 1]], { strategy: 'fewest-calls' });
    const c = await caller('fc-caller');
    await setReady(a!);
    const first = await dial(c, 'fc-q');
    expect(await offeredOne([a!, b!], first.callId)).toBe(a);
    await answerAndEnd(a!, c, first.callId);
    // b becomes ready after a's call ended (longest-idle would pick a): b has answered none.
    await setReady(b!);
    const second = await dial(c, 'fc-q');
    expect(await offeredOne([a!, b!], second.callId)).toBe(b);
    await answerAndEnd(b!, c, second.callId);
  });

  it('ring-all: every ready member rings; the first accept wins and the others are withdrawn', async () => {
    const team = await agents('ra', ['a', 'b', 'c']);
    await makeQueue(server, 'ra-q', team.map((t) => [t.id, 1] as [string, number]), { strategy: 'ring-all' });
    const c = await caller('ra-caller');
    for (const t of team) await setReady(t);
    const call = await dial(c, 'ra-q');
    const offers = await Promise.all(team.map((t) => offerOf(t, call.callId)));
    expect(new Set(offers.map((o) => o.call.offer!.seq)).size).toBe(1);
    const others = [team[0]!, team[2]!];
    const backReady = others.map((t) => nextAgentChange(t.dev, (x) => x.state === 'ready' && x.callId === null));
    await team[1]!.dev.request('call:accept', { callId: call.callId });
    const answered = await c.waitFor('call:answered', (p) => p.call.callId === call.callId);
    expect(answered.call.callee.id).toBe(team[1]!.id);
    for (const t of others) {
      const ended = await t.dev.waitFor('call:offer-ended', (p) => p.callId === call.callId);
      expect(ended).toMatchObject({ seq: offers[0]!.call.offer!.seq, result: 'withdrawn' });
    }
    await Promise.all(backReady.map((w) => w()));
    // A late accept of a withdrawn offer is refused.
    await expect(team[0]!.dev.request('call:accept', { callId: call.callId })).rejects.toMatchObject({ code: 'forbidden' });
    await c.request('call:hangup', { callId: call.callId });
  });
});

describe('tiers', () => {
  it('a level-2 member is offered a call only after the tier wait while level 1 is busy, and at once when no level-1 member is ready', async () => {
    const [one, two] = await agents('tier', ['one', 'two']);
    const TIER_WAIT_SEC = 2;
    await makeQueue(server, 'tier-q', [[one!.id, 1], [two!.id, 2]], { tierWait: TIER_WAIT_SEC });
    const c1 = await caller('tier-caller1');
    const c2 = await caller('tier-caller2');
    await setReady(two!);
    await setReady(one!);

    // Level 1 first even though level 2 has been idle longer.
    const first = await dial(c1, 'tier-q');
    expect(await offeredOne([one!, two!], first.callId)).toBe(one);
    await one!.dev.request('call:accept', { callId: first.callId });
    await agentChanged(one!.dev, (a) => a.state === 'on-call');

    // Level 1 is busy: the second call reaches level 2 after the tier wait, not before.
    const second = await dial(c2, 'tier-q');
    const offer = await offerOf(two!, second.callId, undefined, TIER_WAIT_SEC * 1000 * 4);
    const waited = performance.timeOrigin + offer.receivedAt - second.queuedAt!;
    console.log(`level 2 offered after ${Math.round(waited)} ms (tier wait ${TIER_WAIT_SEC} s)`);
    expect(waited).toBeGreaterThanOrEqual(TIER_WAIT_SEC * 1000 - 10);
    expect(waited).toBeLessThan(TIER_WAIT_SEC * 1000 + 1_000);
    const twoFree = nextAgentChange(two!.dev, (a) => a.state === 'ready' && a.callId === null);
    const oneFree = nextAgentChange(one!.dev, (a) => a.state === 'ready' && a.callId === null);
    await c2.request('call:cancel', { callId: second.callId });
    await c1.request('call:hangup', { callId: first.callId });
    await twoFree();
    await oneFree();

    // Level 1 logged in but not ready: level 2 gets the call at once.
    await one!.dev.request('agent:set', { status: { state: 'not-ready', reason: 'break' } });
    const third = await dial(c1, 'tier-q');
    const now = await offerOf(two!, third.callId, undefined, 1_000);
    expect(performance.timeOrigin + now.receivedAt - third.queuedAt!).toBeLessThan(500);
    await c1.request('call:cancel', { callId: third.callId });
  });
});
