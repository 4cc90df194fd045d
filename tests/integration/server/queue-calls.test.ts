/**
 * Queue calls through a real server (docs/protocol.md "Queues"): RONA and decline move the
 * call to the next agent at once, join-empty refusal, max-wait, a caller who gives up,
 * autofill, first-in first-out with priority, the records of caller and agent, and no
 * double offer when calls race. Short times through the settings (ring 1 s, max-wait 1 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../../src/shared/protocol/index.js';
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
import { quietFor } from '../../helpers/wait.js';

let server: TestServer;
const open: TestDevice[] = [];
const MAX_NO_ANSWER = 2;
const NO_ANSWER_DELAY_MS = 300;

beforeAll(async () => {
  server = await startTestServer({ agentRejectDelayMs: 5_000, agentMaxNoAnswer: MAX_NO_ANSWER, agentNoAnswerDelayMs: NO_ANSWER_DELAY_MS });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function team(prefix: string, names: string[]): Promise<TestAgent[]> {
  const out: TestAgent[] = [];
  for (const n of names) out.push(await agentDevice(server, `${prefix}-${n}`, open));
  return out;
}

async function caller(name: string, roles?: ('supervisor' | 'admin')[]): Promise<TestDevice> {
  const id = await server.addUser(name);
  if (roles) await server.storage.agents.setRoles(id, roles);
  const d = await connectDevice(server, name);
  open.push(d);
  return d;
}

const at = (receivedAt: number) => performance.timeOrigin + receivedAt;

async function records(callId: string): Promise<HistoryRecord[]> {
  return server.storage.history.recordsForCall(callId);
}

describe('offers that are not answered', () => {
  it('RONA: the next agent is offered the call at once; an agent who misses maxNoAnswer offers in a row ends not-ready (missed)', async () => {
    const [a, b] = await team('rona', ['a', 'b']);
    await makeQueue(server, 'rona-next', [[a!.id, 1], [b!.id, 1]], { ring: 1 });
    const c = await caller('rona-next-caller');
    await setReady(a!);
    await setReady(b!);
    const call = await dial(c, 'rona-next');
    const first = await offerOf(a!, call.callId);
    expect(first.call).toMatchObject({ queue: { id: 'rona-next' }, callerKind: 'user', offer: { seq: 1 } });
    const missed = await a!.dev.waitFor('call:offer-ended', (p) => p.callId === call.callId, 4_000);
    expect(missed).toMatchObject({ seq: 1, result: 'missed' });
    const next = await offerOf(b!, call.callId, 2);
    console.log(`RONA: the next agent was offered the call ${Math.round(next.receivedAt - missed.receivedAt)} ms after the miss`);
    expect(next.receivedAt - missed.receivedAt).toBeLessThan(200);
    await answerAndEnd(b!, c, call.callId);

    // a alone now: a second miss in a row makes a not ready (missed); the call waits in line.
    await b!.dev.request('agent:set', { status: { state: 'not-ready', reason: 'break' } });
    const notReady = nextAgentChange(a!.dev, (x) => x.state === 'not-ready' && x.reason === 'missed', 8_000);
    const again = await dial(c, 'rona-next');
    await offerOf(a!, again.callId);
    expect((await notReady()).state).toBe('not-ready');
    await c.waitFor('queue:waiting', (p) => p.callId === again.callId && p.stage === 'waiting');
    await c.request('call:cancel', { callId: again.callId });
  });

  it('a decline moves the call to the next agent at once', async () => {
    const [a, b] = await team('decl', ['a', 'b']);
    await makeQueue(server, 'decl-q', [[a!.id, 1], [b!.id, 1]]);
    const c = await caller('decl-caller');
    await setReady(a!);
    await setReady(b!);
    const call = await dial(c, 'decl-q');
    await offerOf(a!, call.callId);
    const declinedAt = performance.now();
    await a!.dev.request('call:decline', { callId: call.callId });
    expect(await a!.dev.waitFor('call:offer-ended', (p) => p.callId === call.callId)).toMatchObject({ result: 'declined' });
    const next = await offerOf(b!, call.callId);
    expect(next.receivedAt - declinedAt).toBeLessThan(200);
    await agentChanged(a!.dev, (x) => x.state === 'ready' && x.noOffersUntil !== null);
    await b!.dev.request('call:accept', { callId: call.callId });
    await c.waitFor('call:answered', (p) => p.call.callId === call.callId && p.call.callee.id === b!.id);
    await c.request('call:hangup', { callId: call.callId });
  });

  it('an offered agent whose device goes away has missed the offer; the call goes to the next agent', async () => {
    const [a, b] = await team('lost', ['a', 'b']);
    await makeQueue(server, 'lost-q', [[a!.id, 1], [b!.id, 1]]);
    const c = await caller('lost-caller');
    await setReady(a!);
    await setReady(b!);
    const call = await dial(c, 'lost-q');
    await offerOf(a!, call.callId);
    a!.dev.close();
    await offerOf(b!, call.callId, 2);
    await b!.dev.request('call:accept', { callId: call.callId });
    await c.request('call:hangup', { callId: call.callId });
    const [rec] = (await records(call.callId)).filter((r) => r.direction === 'outgoing');
    expect(rec!.queueCall!.offers.map((o) => [o.agent.id, o.result])).toEqual([
      [a!.id, 'missed'],
      [b!.id, 'answered'],
    ]);
  });
});

describe('joining and leaving the line', () => {
  it('join-empty no: refused at once while no member is logged in; waits once one is (even not ready)', async () => {
    const [a] = await team('je', ['a']);
    const absentId = await server.addUser('je-absent');
    await makeQueue(server, 'je-q', [[absentId, 1]], { joinEmpty: false });
    const c = await caller('je-caller');
    const refused = await dial(c, 'je-q');
    expect(refused).toMatchObject({ state: 'ended', outcome: 'busy', endReason: 'no_agents' });
    const [rec] = await records(refused.callId);
    expect(rec).toMatchObject({ direction: 'outgoing', queue: { id: 'je-q' }, queueCall: { outcome: 'refused', waitSec: 0, offers: [] } });
    expect(await records(refused.callId)).toHaveLength(1);

    await server.storage.queues.setMember('je-q', a!.id);
    const waits = await dial(c, 'je-q');
    expect(waits.state).toBe('ringing');
    await c.request('call:cancel', { callId: waits.callId });
  });

  it('max-wait: the call ends unanswered (max_wait) when the wait runs out, told to the caller', async () => {
    await makeQueue(server, 'mw-q', [], { maxWait: 1 });
    const c = await caller('mw-caller');
    const call = await dial(c, 'mw-q');
    const waiting = await c.waitFor('queue:waiting', (p) => p.callId === call.callId);
    expect(waiting).toMatchObject({ position: 1, waiting: 1, stage: 'waiting', estimatedWaitSec: null, maxWaitAt: call.queuedAt! + 1_000 });
    const ended = await c.waitFor('call:ended', (p) => p.call.callId === call.callId, 4_000);
    expect(ended.call).toMatchObject({ outcome: 'missed', endReason: 'max_wait' });
    const late = at(ended.receivedAt) - waiting.maxWaitAt!;
    console.log(`max-wait ended the call ${Math.round(late)} ms after its time`);
    expect(late).toBeGreaterThanOrEqual(-5);
    expect(late).toBeLessThan(500);
    const recs = await records(call.callId);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ endReason: 'max_wait', queueCall: { outcome: 'unanswered', waitSec: 1, talkSec: 0 } });
  });

  it('a caller who hangs up while waiting: abandoned, with the wait time', async () => {
    await makeQueue(server, 'ab-q', []);
    const c = await caller('ab-caller');
    const call = await dial(c, 'ab-q');
    await c.waitFor('queue:waiting', (p) => p.callId === call.callId);
    await quietFor(1_200, 'an answer (the queue has no member)');
    const ended = (await c.request('call:cancel', { callId: call.callId })).call;
    expect(ended).toMatchObject({ state: 'ended', outcome: 'cancelled', endReason: 'cancelled' });
    const recs = await records(call.callId);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ direction: 'outgoing', outcome: 'cancelled', queueCall: { outcome: 'abandoned', waitSec: 1, callerKind: 'user' } });
  });
});

describe('serving the line', () => {
  it('autofill: two waiting calls are offered at once to two ready agents', async () => {
    const agents = await team('af', ['a', 'b']);
    await makeQueue(server, 'af-q', agents.map((t) => [t.id, 1] as [string, number]));
    const c1 = await caller('af-caller1');
    const c2 = await caller('af-caller2');
    const calls = [await dial(c1, 'af-q'), await dial(c2, 'af-q')];
    await Promise.all(calls.map((call, i) => (i === 0 ? c1 : c2).waitFor('queue:waiting', (p) => p.callId === call.callId && p.waiting === 2)));
    // Both agents ready in one moment: both calls ring, one each, before anyone answers.
    await Promise.all(agents.map((a) => setReady(a)));
    const offers = await Promise.all(calls.map((call) => Promise.any(agents.map((a) => offerOf(a, call.callId).then(() => a.username)))));
    expect(new Set(offers).size).toBe(2);
    for (const call of calls) expect(offeredTo(agents, call.callId)).toHaveLength(1);
    await c1.request('call:cancel', { callId: calls[0]!.callId });
    await c2.request('call:cancel', { callId: calls[1]!.callId });
  });

  it('first in, first out, a supervisor\'s priority first (a plain caller\'s priority is ignored); positions told to each caller', async () => {
    const [a] = await team('fifo', ['a']);
    await makeQueue(server, 'fifo-q', [[a!.id, 1]]);
    const plain = [await caller('fifo-c1'), await caller('fifo-c2')];
    const sup = await caller('fifo-sup', ['supervisor']);
    const cheeky = await caller('fifo-c3');
    const c1 = await dial(plain[0]!, 'fifo-q');
    const c2 = await dial(plain[1]!, 'fifo-q');
    const vip = await dial(sup, 'fifo-q', 5);
    const c3 = await dial(cheeky, 'fifo-q', 9);
    const order = [
      [sup, vip],
      [plain[0]!, c1],
      [plain[1]!, c2],
      [cheeky, c3],
    ] as const;
    for (const [i, [dev, call]] of order.entries()) {
      await dev.waitFor('queue:waiting', (p) => p.callId === call.callId && p.position === i + 1 && p.waiting === 4);
    }
    await setReady(a!);
    for (const [dev, call] of order) {
      const offer = await offerOf(a!, call.callId);
      expect(offer.call.caller.id).toBe(dev.userId);
      await answerAndEnd(a!, dev, call.callId);
    }
  });

  it('records: one for the caller and one for the answering agent, none for the agent who missed', async () => {
    const [a, b] = await team('rec', ['a', 'b']);
    await makeQueue(server, 'rec-q', [[a!.id, 1], [b!.id, 1]], { ring: 1 });
    const c = await caller('rec-caller');
    await setReady(a!);
    await setReady(b!);
    const call = await dial(c, 'rec-q');
    await offerOf(a!, call.callId);
    await offerOf(b!, call.callId, 2, 4_000);
    await b!.dev.request('call:accept', { callId: call.callId });
    await quietFor(1_100, 'the call to end (nobody hangs up yet)');
    await b!.dev.request('call:hangup', { callId: call.callId });
    const recs = await records(call.callId);
    expect(recs.map((r) => r.direction).sort()).toEqual(['incoming', 'outgoing']);
    const mine = recs.find((r) => r.direction === 'outgoing')!;
    const agent = recs.find((r) => r.direction === 'incoming')!;
    const queueCall = {
      outcome: 'answered',
      waitSec: 1,
      talkSec: 1,
      callerKind: 'user',
      offers: [
        { agent: { id: a!.id }, result: 'missed' },
        { agent: { id: b!.id }, result: 'answered' },
      ],
    };
    expect(mine).toMatchObject({ peer: { id: b!.id }, outcome: 'completed', queue: { id: 'rec-q' }, queueCall });
    expect(agent).toMatchObject({ peer: { id: c.userId }, outcome: 'completed', missed: false, queue: { id: 'rec-q' }, queueCall });
    const history = await b!.dev.request('history:list', {});
    expect(history.items.find((h) => h.callId === call.callId)?.queueCall?.outcome).toBe('answered');
    expect((await a!.dev.request('history:list', {})).items.some((h) => h.callId === call.callId)).toBe(false);
  });

  it('no double offer when calls race: each agent holds one offer, each call rings one agent', async () => {
    const agents = await team('race', ['a', 'b', 'c']);
    await makeQueue(server, 'race-q', agents.map((t) => [t.id, 1] as [string, number]));
    for (const t of agents) await setReady(t);
    const callers = await Promise.all(Array.from({ length: 8 }, (_, i) => caller(`race-caller${i}`)));
    const calls = await Promise.all(callers.map((d) => dial(d, 'race-q')));
    await Promise.all(agents.map((t) => agentChanged(t.dev, (x) => x.state === 'reserved')));
    for (const t of agents) await t.dev.flush();
    const ringing = calls.filter((call) => offeredTo(agents, call.callId).length > 0);
    expect(ringing).toHaveLength(agents.length);
    for (const call of ringing) expect(offeredTo(agents, call.callId)).toHaveLength(1);
    for (const t of agents) expect(t.dev.count('call:incoming')).toBe(1);
    const waiting = await server.queues.waiting('race-q');
    expect(waiting).toHaveLength(8);
    expect(waiting.filter((w) => w.offeredTo.length > 0)).toHaveLength(3);
    for (const [i, d] of callers.entries()) await d.request('call:cancel', { callId: calls[i]!.callId });
  });
});

describe('the directory', () => {
  it('signed-in users find queues with their agents and line', async () => {
    const [a] = await team('dir', ['a']);
    await makeQueue(server, 'dir-sales', [[a!.id, 1]]);
    await setReady(a!);
    const c = await caller('dir-caller');
    const found = await c.request('directory:search', { query: 'dir-sa' });
    expect(found.queues).toEqual([{ id: 'dir-sales', name: 'Queue dir-sales', agentsLoggedIn: 1, agentsReady: 1, waiting: 0 }]);
  });
});
