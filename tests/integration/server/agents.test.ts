/**
 * Support agents end to end, with real sockets and real SQLite (docs/agents.md): a full
 * agent day, RONA and the reject delay, a drop inside and past the grace, closing every
 * client during wrap-up, and the role checks. Short times through the settings: the grace
 * is 2 s (AGENT_GRACE_MS), wrap-ups 1–2 s, the agent ring timeout 1 s.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addQueue } from '../../../src/server/agent-admin.js';
import { ProtocolError, type AgentView } from '../../../src/shared/protocol/index.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

let server: TestServer;
const open: TestDevice[] = [];
const GRACE_MS = 2_000;

beforeAll(async () => {
  server = await startTestServer({ agentGraceMs: GRACE_MS, agentRejectDelayMs: 1_500, agentWrapUpExtendSec: 1, agentWrapUpMaxExtensions: 1 });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function device(username: string, opts: { deviceId?: string } = {}) {
  const d = await connectDevice(server, username, opts);
  open.push(d);
  return d;
}

async function makeAgent(username: string, roles: ('agent' | 'supervisor')[] = ['agent']) {
  const id = await server.addUser(username);
  await server.storage.agents.setRoles(id, roles);
  return id;
}

async function queue(id: string, members: string[], o: { wrapUp?: string; required?: string; ring?: string } = {}) {
  await addQueue(server.storage.queues, id, {
    name: `Queue ${id}`,
    ringTimeout: o.ring ?? '5',
    wrapUp: o.wrapUp ?? '0',
    dispositions: 'solved:Solved,callback:Call back',
    required: o.required ?? 'no',
  });
  for (const m of members) await server.storage.queues.setMember(id, m);
}

/** The next `agent:changed` (after `after` events) matching `pred`. */
function changed(d: TestDevice, pred: (a: AgentView) => boolean, timeoutMs = 5_000) {
  return d.waitFor('agent:changed', (p) => pred(p.agent), timeoutMs);
}

const epoch = (receivedAt: number) => performance.timeOrigin + receivedAt;

async function rejection(p: Promise<unknown>): Promise<ProtocolError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'the request should have been refused').toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
}

describe('a full agent day', () => {
  it('sign in → ready → queue call → on-call → wrap-up with the timer → extend → required disposition → ready; Break asked during a call is applied after wrap-up', async () => {
    const bobId = await makeAgent('day-bob');
    await queue('day-q', [bobId], { wrapUp: '1', required: 'yes' });
    const bob = await device('day-bob');
    const caller = await device('day-caller');

    await changed(bob, (a) => a.state === 'not-ready' && a.reason === 'away');
    const reasons = await bob.request('agent:reasons', {});
    expect(reasons.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['break', 'lunch', 'meeting', 'training', 'away', 'missed']));
    expect((await bob.request('agent:set', { status: { state: 'ready' } })).agent.state).toBe('ready');

    // Call 1: offered, answered, wrap-up timer, one extension, then held for the required disposition.
    const { call } = await caller.request('call:invite', { to: { queue: 'day-q' } });
    expect(call.queue).toEqual({ id: 'day-q', name: 'Queue day-q' });
    const incoming = await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    expect(incoming.call.queue?.id).toBe('day-q');
    const reserved = await changed(bob, (a) => a.state === 'reserved');
    expect(reserved.agent.offerDeadline).toBeGreaterThan(Date.now());
    await bob.request('call:accept', { callId: call.callId });
    await changed(bob, (a) => a.state === 'on-call' && a.callId === call.callId);
    await caller.request('call:hangup', { callId: call.callId });
    const wrap = await changed(bob, (a) => a.state === 'wrap-up');
    const deadline = wrap.agent.wrapUp!.deadline!;
    expect(deadline - Date.now()).toBeLessThanOrEqual(1_000);
    // In wrap-up a person-to-person call answers busy (and no queue offer reaches the agent).
    const direct = (await caller.request('call:invite', { to: { username: 'day-bob' } })).call;
    expect(direct).toMatchObject({ state: 'ended', outcome: 'busy' });
    // A queue call waits in line meanwhile (the agent is not offered it) until the caller gives up.
    const waiting = (await caller.request('call:invite', { to: { queue: 'day-q' } })).call;
    expect(waiting).toMatchObject({ state: 'ringing', callee: { id: 'queue-day-q' } });
    await caller.waitFor('queue:waiting', (p) => p.callId === waiting.callId && p.stage === 'waiting' && p.position === 1);
    await caller.request('call:cancel', { callId: waiting.callId });
    await bob.flush();
    expect(bob.count('call:incoming', (p) => (p as { call: { callId: string } }).call.callId === waiting.callId)).toBe(0);
    const extended = await bob.request('agent:wrapup-extend', { callId: call.callId });
    expect(extended.agent.wrapUp!.deadline).toBe(deadline + 1_000);
    expect(extended.agent.wrapUp!.extensionsLeft).toBe(0);
    expect((await rejection(bob.request('agent:wrapup-extend', { callId: call.callId }))).code).toBe('conflict');
    const held = await changed(bob, (a) => a.state === 'wrap-up' && a.wrapUp?.awaitingDisposition === true);
    console.log(`wrap-up timer ended ${Math.round(epoch(held.receivedAt) - (deadline + 1_000))} ms after its deadline`);
    expect(epoch(held.receivedAt) - (deadline + 1_000)).toBeLessThan(500);
    expect((await rejection(bob.request('agent:wrapup', { callId: call.callId, done: true }))).code).toBe('bad_request');
    const done = await bob.request('agent:wrapup', { callId: call.callId, disposition: 'solved', notes: 'Reset the\u0007 router\nthen fine' });
    expect(done.agent.state).toBe('ready');

    // Call 2: Break asked during the call is pending, then applied when wrap-up clears.
    const second = (await caller.request('call:invite', { to: { queue: 'day-q' } })).call;
    await bob.waitFor('call:incoming', (p) => p.call.callId === second.callId);
    await bob.request('call:accept', { callId: second.callId });
    await changed(bob, (a) => a.state === 'on-call' && a.callId === second.callId);
    const pending = await bob.request('agent:set', { status: { state: 'not-ready', reason: 'break' } });
    expect(pending.agent).toMatchObject({ state: 'on-call', next: { state: 'not-ready', reason: 'break' } });
    await bob.request('call:hangup', { callId: second.callId });
    await changed(bob, (a) => a.state === 'wrap-up' && a.callId === second.callId);
    await bob.request('agent:wrapup', { callId: second.callId, disposition: 'callback', done: true });
    const onBreak = await changed(bob, (a) => a.state === 'not-ready' && a.reason === 'break');
    expect(onBreak.agent.next).toBeNull();

    const log = (await bob.request('agent:log', {})).entries.reverse();
    expect(log.map((e) => `${e.from}>${e.to}${e.reason ? `(${e.reason})` : ''}:${e.cause}`)).toEqual([
      'offline>not-ready(away):device',
      'not-ready>ready:set',
      'ready>reserved:offer',
      'reserved>on-call:answer',
      'on-call>wrap-up:hangup',
      'wrap-up>ready:wrapup-done',
      'ready>reserved:offer',
      'reserved>on-call:answer',
      'on-call>wrap-up:hangup',
      'wrap-up>not-ready(break):next',
    ]);
    expect(log[2]!.callId).toBe(call.callId);
    const history = (await bob.request('history:list', {})).items;
    const first = history.find((h) => h.callId === call.callId)!;
    expect(first).toMatchObject({ disposition: 'solved', notes: 'Reset the router\nthen fine', queue: { id: 'day-q' }, outcome: 'completed' });
    expect(history.find((h) => h.callId === second.callId)).toMatchObject({ disposition: 'callback' });
    // Presence follows the agent state: on a break = away.
    const watcher = await device('day-watcher');
    const p = await watcher.request('presence:subscribe', { userIds: [bobId] });
    expect(p.presence[bobId]).toBe('away');
  });
});

describe('missed offers (RONA) and declines', () => {
  it('an offer not answered in the agent ring timeout sets not-ready (missed) within 100 ms; a decline applies the reject delay', async () => {
    const id = await makeAgent('rona-bob');
    await queue('rona-q', [id], { ring: '1' });
    const bob = await device('rona-bob');
    const caller = await device('rona-caller');
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });

    const { call } = await caller.request('call:invite', { to: { queue: 'rona-q' } });
    const reserved = await changed(bob, (a) => a.state === 'reserved' && a.callId === call.callId);
    const missed = await changed(bob, (a) => a.state === 'not-ready' && a.reason === 'missed');
    const late = epoch(missed.receivedAt) - reserved.agent.offerDeadline!;
    console.log(`RONA: not-ready (missed) reached the agent ${Math.round(late)} ms after the offer deadline`);
    expect(late).toBeGreaterThanOrEqual(-5);
    expect(late).toBeLessThan(100);
    // The offer ends on the agent's devices; the call stays in its place in line.
    expect(await bob.waitFor('call:offer-ended', (p) => p.callId === call.callId)).toMatchObject({ seq: 1, result: 'missed' });
    await caller.waitFor('queue:waiting', (p) => p.callId === call.callId && p.stage === 'waiting');
    expect((await caller.request('call:cancel', { callId: call.callId })).call).toMatchObject({ outcome: 'cancelled' });

    await bob.request('agent:set', { status: { state: 'ready' } });
    const second = (await caller.request('call:invite', { to: { queue: 'rona-q' } })).call;
    await bob.waitFor('call:incoming', (p) => p.call.callId === second.callId);
    await bob.request('call:decline', { callId: second.callId });
    expect(await bob.waitFor('call:offer-ended', (p) => p.callId === second.callId)).toMatchObject({ seq: 1, result: 'declined' });
    const afterDecline = await changed(bob, (a) => a.state === 'ready' && a.noOffersUntil !== null);
    expect(afterDecline.agent.noOffersUntil! - Date.now()).toBeGreaterThan(1_000);
    // Inside the reject delay the call waits; it is offered again (a higher offer number) once the delay ends.
    const again = await bob.waitFor('call:incoming', (p) => p.call.callId === second.callId && p.call.offer?.seq === 2, 5_000);
    expect(epoch(again.receivedAt)).toBeGreaterThanOrEqual(afterDecline.agent.noOffersUntil! - 5);
    await caller.request('call:cancel', { callId: second.callId });
    expect(await bob.waitFor('call:offer-ended', (p) => p.callId === second.callId && p.seq === 2)).toMatchObject({ result: 'withdrawn' });
    await changed(bob, (a) => a.state === 'ready' && a.callId === null && a.since > afterDecline.agent.since);
  });
});

describe('a drop keeps the state', () => {
  it('a drop inside the grace changes nothing; past it the agent goes offline; a call survives both', async () => {
    const id = await makeAgent('drop-bob');
    await makeAgent('drop-sup', ['supervisor']);
    await queue('drop-q', [id]);
    const sup = await device('drop-sup');
    await sup.request('supervisor:agents', {});
    let bob = await device('drop-bob', { deviceId: 'drop-bob-desk' });
    const caller = await device('drop-caller');
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });
    const { call } = await caller.request('call:invite', { to: { queue: 'drop-q' } });
    await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    const onCall = (await bob.request('call:accept', { callId: call.callId })) && (await changed(bob, (a) => a.state === 'on-call'));

    // Inside the grace: back with the same state, same since; the call is still up.
    bob.close();
    await changed(sup, (a) => a.user.id === id && a.graceUntil !== null);
    bob = await device('drop-bob', { deviceId: 'drop-bob-desk' });
    // The reconnect ends the grace (the server registers the device just after the handshake).
    let back = await bob.request('agent:get', {});
    await waitFor(async () => (back = await bob.request('agent:get', {})).agent.graceUntil === null, 'the grace to end on reconnect');
    expect(back.agent).toMatchObject({ state: 'on-call', since: onCall.agent.since, callId: call.callId, graceUntil: null });
    const synced = await bob.request('session:sync', { calls: [call.callId] });
    expect(synced.calls.find((c) => c.callId === call.callId)?.state).toBe('answered');

    // Past the grace during the call: the call goes on, the agent stays on it.
    const gracesBefore = sup.count('agent:changed', (p) => (p as { agent: AgentView }).agent.graceUntil !== null);
    bob.close();
    const dropAt = Date.now();
    await waitFor(
      () => sup.count('agent:changed', (p) => (p as { agent: AgentView }).agent.graceUntil !== null) > gracesBefore,
      'the second grace to start',
    );
    await waitFor(() => Date.now() > dropAt + GRACE_MS + 300, 'the grace to pass', { timeoutMs: GRACE_MS * 3 });
    bob = await device('drop-bob', { deviceId: 'drop-bob-desk' });
    expect((await bob.request('agent:get', {})).agent.state).toBe('on-call');
    expect((await bob.request('session:sync', { calls: [call.callId] })).calls[0]?.state).toBe('answered');
    await caller.request('call:hangup', { callId: call.callId });
    await changed(bob, (a) => a.state === 'ready');

    // Past the grace with no call: offline.
    bob.close();
    const offline = await changed(sup, (a) => a.user.id === id && a.state === 'offline', GRACE_MS * 3);
    expect(offline.agent.graceUntil).toBeNull();
  });

  it('closing every client during wrap-up: the server timer still ends it on time and the state is right on return', async () => {
    const id = await makeAgent('flex-bob');
    await makeAgent('flex-sup', ['supervisor']);
    await queue('flex-q', [id], { wrapUp: '1' });
    const sup = await device('flex-sup');
    await sup.request('supervisor:agents', {});
    let bob = await device('flex-bob', { deviceId: 'flex-bob-desk' });
    const caller = await device('flex-caller');
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });
    const { call } = await caller.request('call:invite', { to: { queue: 'flex-q' } });
    await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bob.request('call:accept', { callId: call.callId });
    await caller.request('call:hangup', { callId: call.callId });
    const wrap = await changed(bob, (a) => a.state === 'wrap-up');
    bob.close();
    const ready = await changed(sup, (a) => a.user.id === id && a.state === 'ready' && a.since > wrap.agent.since);
    const late = epoch(ready.receivedAt) - wrap.agent.wrapUp!.deadline!;
    console.log(`wrap-up with no client ended ${Math.round(late)} ms after its deadline`);
    expect(late).toBeLessThan(100);
    bob = await device('flex-bob', { deviceId: 'flex-bob-desk' });
    let back = await bob.request('agent:get', {});
    await waitFor(async () => (back = await bob.request('agent:get', {})).agent.graceUntil === null, 'the grace to end on reconnect');
    expect(back.agent).toMatchObject({ state: 'ready', wrapUp: null, graceUntil: null });
  });
});

describe('roles', () => {
  it('agent events need the agent role, supervisor events the supervisor role; a demotion applies on the open socket', async () => {
    await server.addUser('role-plain');
    const plain = await device('role-plain');
    expect((await rejection(plain.request('agent:get', {}))).code).toBe('forbidden');
    expect((await rejection(plain.request('agent:set', { status: { state: 'ready' } }))).code).toBe('forbidden');
    const agentId = await makeAgent('role-agent');
    const agent = await device('role-agent');
    expect((await rejection(agent.request('supervisor:agents', {}))).code).toBe('forbidden');
    // Naming oneself needs no supervisor role.
    expect((await agent.request('agent:set', { userId: agentId, status: { state: 'ready' } })).agent.state).toBe('ready');
    expect((await rejection(agent.request('agent:set', { status: { state: 'not-ready', reason: 'missed' } }))).code).toBe('bad_request');

    // Another agent's state, auto-answer or log needs the supervisor role.
    const otherId = await makeAgent('role-other');
    expect((await rejection(agent.request('agent:set', { userId: otherId, status: { state: 'ready' } }))).code).toBe('forbidden');
    expect((await rejection(agent.request('agent:log', { userId: otherId }))).code).toBe('forbidden');
    expect((await rejection(agent.request('agent:auto-answer', { userId: otherId, autoAnswer: { queue: true } }))).code).toBe('forbidden');
    // Their own auto-answer only when a supervisor allowed it.
    expect((await rejection(agent.request('agent:auto-answer', { autoAnswer: { queue: true } }))).code).toBe('forbidden');

    const supId = await makeAgent('role-sup', ['supervisor']);
    const sup = await device('role-sup');
    const list = await sup.request('supervisor:agents', {});
    expect(list.agents.some((a) => a.user.id === agentId)).toBe(true);
    const set = await sup.request('agent:set', { userId: agentId, status: { state: 'not-ready', reason: 'meeting' } });
    expect(set.agent).toMatchObject({ state: 'not-ready', reason: 'meeting', by: 'supervisor' });
    const aa = await sup.request('agent:auto-answer', { userId: agentId, autoAnswer: { queue: true, delayMs: 500, agentMayChange: true } });
    expect(aa.agent.autoAnswer).toMatchObject({ queue: true, delayMs: 500, agentMayChange: true });
    expect((await agent.request('agent:auto-answer', { autoAnswer: { delayMs: 1000 } })).agent.autoAnswer.delayMs).toBe(1000);
    expect((await rejection(agent.request('agent:auto-answer', { autoAnswer: { agentMayChange: false } }))).code).toBe('forbidden');
    expect((await sup.request('agent:log', { userId: agentId })).entries[0]).toMatchObject({ to: 'not-ready', reason: 'meeting', by: 'supervisor', byUserId: supId });
    await server.storage.agents.setRoles(supId, []);
    expect((await rejection(sup.request('supervisor:agents', {}))).code).toBe('forbidden');
    expect((await rejection(sup.request('agent:set', { userId: agentId, status: { state: 'ready' } }))).code).toBe('forbidden');
  });

  it('`user role` from the command line closes the demoted supervisor\'s open sockets (no more wallboard pushes)', { timeout: 60_000 }, async () => {
    await makeAgent('cli-sup', ['supervisor']);
    const sup = await device('cli-sup');
    await sup.request('supervisor:agents', {});
    const closed = new Promise<string>((resolve) => sup.signaling.socket.once('disconnect', (reason) => resolve(reason)));
    const r = spawnSync('node_modules/.bin/tsx', ['src/server/cli.ts', 'user', 'role', 'cli-sup', 'none', '--data-dir', server.dataDir], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(await closed).toBe('io server disconnect');
    const again = await device('cli-sup');
    expect((await rejection(again.request('supervisor:agents', {}))).code).toBe('forbidden');
  });
});

describe('auto-answer', () => {
  it('an offered queue call carries the agent\'s auto-answer delay; internal calls only when enabled for them', async () => {
    const id = await makeAgent('aa-bob');
    await makeAgent('aa-sup', ['supervisor']);
    await queue('aa-q', [id]);
    const sup = await device('aa-sup');
    const bob = await device('aa-bob');
    const caller = await device('aa-caller');
    await changed(bob, (a) => a.state === 'not-ready');
    await sup.request('agent:auto-answer', { userId: id, autoAnswer: { queue: true, delayMs: 800 } });
    await bob.request('agent:set', { status: { state: 'ready' } });
    const { call } = await caller.request('call:invite', { to: { queue: 'aa-q' } });
    expect((await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId)).call.autoAnswerMs).toBe(800);
    await caller.request('call:cancel', { callId: call.callId });
    await changed(bob, (a) => a.state === 'ready' && a.callId === null && a.autoAnswer.queue);
    const direct = (await caller.request('call:invite', { to: { username: 'aa-bob' } })).call;
    expect(direct.autoAnswerMs).toBeNull();
    await caller.request('call:cancel', { callId: direct.callId });
    await sup.request('agent:auto-answer', { userId: id, autoAnswer: { internal: true } });
    const internal = (await caller.request('call:invite', { to: { username: 'aa-bob' } })).call;
    expect(internal.autoAnswerMs).toBe(800);
    await caller.request('call:cancel', { callId: internal.callId });
  });
});
