/**
 * Queue administration against a real server with real SQLite (docs/support-line.md "Create a
 * queue", "Add agents"; docs/protocol.md "HTTP"): the admin HTTP API with its role checks on
 * every request, and the supervisor's actions on agents (`supervisor:logout`, a forced
 * not-ready) with what the state log records of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { QUEUE_DEFAULTS } from '../../../src/server/store/queue-types.js';
import {
  MemberListResponse,
  ProtocolError,
  QueueListResponse,
  QueueResponse,
  type AgentView,
  type Role,
} from '../../../src/shared/protocol/index.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function userWith(username: string, roles: Role[]): Promise<string> {
  const id = await server.addUser(username);
  await server.storage.agents.setRoles(id, roles);
  return id;
}

async function tokenOf(username: string, roles: Role[]): Promise<string> {
  await userWith(username, roles);
  return (await server.login(username)).accessToken;
}

interface Reply {
  status: number;
  body: unknown;
}

async function api(method: string, path: string, token: string | null, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** A success parsed with its response schema (a wrong shape fails the test). */
async function okAs<T extends z.ZodType>(schema: T, r: Promise<Reply>, status = 200): Promise<z.infer<T>> {
  const reply = await r;
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return schema.parse(reply.body);
}

async function error(r: Promise<Reply>, status: number, code: string): Promise<string> {
  const reply = await r;
  expect(reply, JSON.stringify(reply.body)).toMatchObject({ status, body: { error: { code, message: expect.any(String) } } });
  return (reply.body as { error: { message: string } }).error.message;
}

describe('admin HTTP API', () => {
  it('refuses a missing or bad token (401) and a non-admin (403) on every route, before reading the body', async () => {
    const agent = await tokenOf('adm-agent', ['agent', 'supervisor']);
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/queues'],
      ['POST', '/api/admin/queues', { id: 'x', strategy: 'nope' }],
      ['GET', '/api/admin/queues/support'],
      ['PATCH', '/api/admin/queues/support', { bogus: true }],
      ['DELETE', '/api/admin/queues/support'],
      ['GET', '/api/admin/queues/support/members'],
      ['PUT', '/api/admin/queues/support/members/u1', { level: 99 }],
      ['DELETE', '/api/admin/queues/support/members/u1'],
    ];
    for (const [method, path, body] of routes) {
      expect(await error(api(method, path, null, body), 401, 'unauthorized'), `${method} ${path}`).toMatch(/bearer/);
      await error(api(method, path, 'not-a-token', body), 401, 'unauthorized');
      expect(await error(api(method, path, agent, body), 403, 'forbidden'), `${method} ${path}`).toMatch(/admin role/);
    }
  });

  it('creates, lists, reads, updates and removes queues, with the defaults and stable error codes', async () => {
    const admin = await tokenOf('adm-admin', ['admin']);
    const adm = (method: string, path: string, body?: unknown) => api(method, path, admin, body);
    const created = await okAs(QueueResponse, adm('POST', '/api/admin/queues', { id: 'http-support', name: 'Support', wrapUpSec: 30 }), 201);
    expect(created.queue).toEqual({ ...QUEUE_DEFAULTS, id: 'http-support', name: 'Support', wrapUpSec: 30, createdAt: expect.any(Number) });
    // Stored durably, where the CLI and the routing read it.
    expect(await server.storage.queues.get('http-support')).toEqual(created.queue);
    const minimal = await okAs(QueueResponse, adm('POST', '/api/admin/queues', { id: 'http-min' }), 201);
    expect(minimal.queue.name).toBe('http-min');

    await error(adm('POST', '/api/admin/queues', { id: 'http-support' }), 409, 'conflict');
    expect(await error(adm('POST', '/api/admin/queues', { id: 'Bad Id' }), 400, 'bad_request')).toMatch(/^id: /);
    expect(await error(adm('POST', '/api/admin/queues', { id: 'q', strategy: 'fastest' }), 400, 'bad_request')).toMatch(/^strategy: /);
    expect(await error(adm('POST', '/api/admin/queues', { id: 'q', maxWaitSec: -1 }), 400, 'bad_request')).toMatch(/^maxWaitSec: /);
    expect(await error(adm('POST', '/api/admin/queues', { id: 'q', createdAt: 1 }), 400, 'bad_request')).toMatch(/createdAt/);
    expect(await error(adm('POST', '/api/admin/queues', { id: 'q', dispositionRequired: true }), 400, 'bad_request')).toMatch(/dispositions/);
    await error(adm('POST', '/api/admin/queues', undefined), 400, 'bad_request');
    await error(adm('POST', '/api/admin/queues', [1, 2]), 400, 'bad_request');

    const list = await okAs(QueueListResponse, adm('GET', '/api/admin/queues'));
    expect(list.queues.map((q) => q.id)).toEqual(expect.arrayContaining(['http-support', 'http-min']));
    expect((await okAs(QueueResponse, adm('GET', '/api/admin/queues/http-support'))).queue).toEqual(created.queue);
    await error(adm('GET', '/api/admin/queues/nosuch'), 404, 'not_found');
    await error(adm('GET', '/api/admin/queues/NO%20SUCH'), 400, 'bad_request');

    const patched = await okAs(
      QueueResponse,
      adm('PATCH', '/api/admin/queues/http-support', { strategy: 'ring-all', public: true, dispositions: [{ code: 'solved', label: 'Solved' }], dispositionRequired: true }),
    );
    expect(patched.queue).toEqual({ ...created.queue, strategy: 'ring-all', public: true, dispositions: [{ code: 'solved', label: 'Solved' }], dispositionRequired: true });
    // Checked against the merged settings: the dispositions of a queue that requires one stay.
    expect(await error(adm('PATCH', '/api/admin/queues/http-support', { dispositions: [] }), 400, 'bad_request')).toMatch(/dispositionRequired/);
    await error(adm('PATCH', '/api/admin/queues/http-support', { id: 'renamed' }), 400, 'bad_request');
    await error(adm('PATCH', '/api/admin/queues/http-support', { tierWaitSec: 'soon' }), 400, 'bad_request');
    await error(adm('PATCH', '/api/admin/queues/nosuch', { public: true }), 404, 'not_found');
    expect(await server.storage.queues.get('http-support')).toEqual(patched.queue);

    expect((await okAs(QueueResponse, adm('DELETE', '/api/admin/queues/http-min'))).queue.id).toBe('http-min');
    await error(adm('DELETE', '/api/admin/queues/http-min'), 404, 'not_found');
    await error(adm('GET', '/api/admin/queues/http-min'), 404, 'not_found');
  });

  it('sets members with levels by user id, lists them in serving order, removes them', async () => {
    const admin = await tokenOf('adm-admin2', ['admin']);
    const bob = await userWith('adm-bob', ['agent']);
    const dora = await userWith('adm-dora', ['agent']);
    const carl = await userWith('adm-carl', []);
    await server.storage.queues.add({ id: 'http-members', name: 'Members' });
    const path = (u: string) => `/api/admin/queues/http-members/members/${u}`;

    const one = await okAs(MemberListResponse, api('PUT', path(bob), admin, { level: 2 }));
    expect(one.members).toEqual([{ queueId: 'http-members', user: { id: bob, username: 'adm-bob', displayName: 'Adm-bob' }, level: 2, position: 1 }]);
    // No body: level 1.
    const two = await okAs(MemberListResponse, api('PUT', path(dora), admin));
    expect(two.members.map((m) => [m.user.username, m.level])).toEqual([
      ['adm-dora', 1],
      ['adm-bob', 2],
    ]);
    // A level change keeps the place in member order.
    await okAs(MemberListResponse, api('PUT', path(bob), admin, { level: 1 }));
    const listed = await okAs(MemberListResponse, api('GET', '/api/admin/queues/http-members/members', admin));
    expect(listed.members.map((m) => [m.user.username, m.level, m.position])).toEqual([
      ['adm-bob', 1, 1],
      ['adm-dora', 1, 2],
    ]);

    expect(await error(api('PUT', path(carl), admin, {}), 400, 'bad_request')).toMatch(/not an agent/);
    await error(api('PUT', path('no-such-user'), admin, {}), 404, 'not_found');
    await error(api('PUT', path(bob), admin, { level: 10 }), 400, 'bad_request');
    await error(api('PUT', path(bob), admin, { level: 1, extra: true }), 400, 'bad_request');
    await error(api('PUT', path('bad%20id'), admin, {}), 400, 'bad_request');
    await error(api('PUT', '/api/admin/queues/nosuch/members/' + bob, admin, {}), 404, 'not_found');
    await error(api('GET', '/api/admin/queues/nosuch/members', admin), 404, 'not_found');

    const left = await okAs(MemberListResponse, api('DELETE', path(bob), admin));
    expect(left.members.map((m) => m.user.id)).toEqual([dora]);
    await error(api('DELETE', path(bob), admin), 404, 'not_found');
    expect(await server.storage.queues.queuesOf(bob)).toEqual([]);
  });

  it('changes reach waiting callers at once: a member added over the API is offered the waiting call; a removed queue ends its calls', async () => {
    const admin = await tokenOf('adm-admin3', ['admin']);
    await server.storage.queues.add({ id: 'http-live', name: 'Live', maxWaitSec: 600 });
    const bob = await device('adm-late', ['agent']);
    const caller = await device('adm-caller', []);
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });
    // Nobody is a member: the call waits (join-empty yes).
    const first = (await caller.request('call:invite', { to: { queue: 'http-live' } })).call;
    await caller.waitFor('queue:waiting', (p) => p.callId === first.callId);
    await okAs(MemberListResponse, api('PUT', `/api/admin/queues/http-live/members/${bob.userId}`, admin, { level: 1 }));
    // Nothing else happens that would route the call: the API's change does, well within its 600 s wait.
    await bob.waitFor('call:incoming', (p) => p.call.callId === first.callId);
    await caller.request('call:hangup', { callId: first.callId });

    await okAs(MemberListResponse, api('DELETE', `/api/admin/queues/http-live/members/${bob.userId}`, admin));
    const second = (await caller.request('call:invite', { to: { queue: 'http-live' } })).call;
    await caller.waitFor('queue:waiting', (p) => p.callId === second.callId);
    await okAs(QueueResponse, api('DELETE', '/api/admin/queues/http-live', admin));
    const ended = await caller.waitFor('call:ended', (p) => p.call.callId === second.callId);
    expect(ended.call.endReason).toBe('no_agents');
  });

  it('reads the admin role from the store at every request: a demoted admin is refused with the same token', async () => {
    const token = await tokenOf('adm-demoted', ['admin']);
    await okAs(QueueListResponse, api('GET', '/api/admin/queues', token));
    await server.storage.agents.setRoles((await server.storage.accounts.getUserByUsername('adm-demoted'))!.id, []);
    await error(api('GET', '/api/admin/queues', token), 403, 'forbidden');
  });
});


// ───────────────────────────── supervisor actions ─────────────────────────────

async function device(username: string, roles: Role[]): Promise<TestDevice> {
  await userWith(username, roles);
  const d = await connectDevice(server, username);
  open.push(d);
  return d;
}

function changed(d: TestDevice, pred: (a: AgentView) => boolean) {
  return d.waitFor('agent:changed', (p) => pred(p.agent), 5_000);
}

async function rejection(p: Promise<unknown>): Promise<ProtocolError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the request should have been refused').toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
}

describe('supervisor actions', () => {
  it('supervisor:logout sets a ready agent not-ready(logged-out); the agent sees it; the log names the supervisor', async () => {
    const bob = await device('sup-bob', ['agent']);
    const sue = await device('sup-sue', ['supervisor']);
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });

    const { agent } = await sue.request('supervisor:logout', { userId: bob.userId });
    expect(agent).toMatchObject({ state: 'not-ready', reason: 'logged-out', by: 'supervisor' });
    await changed(bob, (a) => a.state === 'not-ready' && a.reason === 'logged-out' && a.by === 'supervisor');

    const [entry] = (await sue.request('agent:log', { userId: bob.userId, limit: 1 })).entries;
    expect(entry).toMatchObject({ from: 'ready', to: 'not-ready', reason: 'logged-out', by: 'supervisor', byUserId: sue.userId, cause: 'set' });
    // The agent cannot pick the system reason; they log back in by setting themselves ready.
    expect((await rejection(bob.request('agent:set', { status: { state: 'not-ready', reason: 'logged-out' } }))).code).toBe('bad_request');
    expect((await bob.request('agent:set', { status: { state: 'ready' } })).agent).toMatchObject({ state: 'ready', by: 'agent' });
  });

  it('a logged-out agent gets no queue offer: the call goes to the member who would come after them', async () => {
    const bob = await device('sup-first', ['agent']);
    const dora = await device('sup-second', ['agent']);
    const sue = await device('sup-sue6', ['supervisor']);
    const caller = await device('sup-caller6', []);
    await server.storage.queues.add({ id: 'sup-q', name: 'Supervised', strategy: 'longest-idle' });
    await server.storage.queues.setMember('sup-q', bob.userId);
    await server.storage.queues.setMember('sup-q', dora.userId);
    await changed(bob, (a) => a.state === 'not-ready');
    await changed(dora, (a) => a.state === 'not-ready');
    // Bob is ready first, so longest-idle would offer him the call.
    await bob.request('agent:set', { status: { state: 'ready' } });
    await dora.request('agent:set', { status: { state: 'ready' } });
    await sue.request('supervisor:logout', { userId: bob.userId });

    const { call } = await caller.request('call:invite', { to: { queue: 'sup-q' } });
    await dora.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bob.flush();
    expect(bob.count('call:incoming')).toBe(0);
    await caller.request('call:hangup', { callId: call.callId });
  });

  it('an agent on a call is logged out when the call ends, still audited as the supervisor’s', async () => {
    const bob = await device('sup-busy', ['agent']);
    const sue = await device('sup-sue2', ['supervisor']);
    const caller = await device('sup-caller', []);
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });
    const { call } = await caller.request('call:invite', { to: { username: 'sup-busy' } });
    await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bob.request('call:accept', { callId: call.callId });
    await changed(bob, (a) => a.state === 'on-call');

    const pending = await sue.request('supervisor:logout', { userId: bob.userId });
    expect(pending.agent).toMatchObject({ state: 'on-call', next: { state: 'not-ready', reason: 'logged-out' } });
    await caller.request('call:hangup', { callId: call.callId });
    await changed(bob, (a) => a.state === 'not-ready' && a.reason === 'logged-out');
    const [entry] = (await sue.request('agent:log', { userId: bob.userId, limit: 1 })).entries;
    expect(entry).toMatchObject({ from: 'on-call', to: 'not-ready', reason: 'logged-out', by: 'supervisor', byUserId: sue.userId, cause: 'next' });
  });

  it('refuses a non-supervisor (forbidden), a demoted supervisor at their next event, and an unknown agent (not_found)', async () => {
    const bob = await device('sup-bob2', ['agent']);
    const eve = await device('sup-eve', ['agent']);
    const sue = await device('sup-sue4', ['supervisor']);
    await changed(bob, (a) => a.state === 'not-ready');
    await bob.request('agent:set', { status: { state: 'ready' } });

    expect((await rejection(eve.request('supervisor:logout', { userId: bob.userId }))).code).toBe('forbidden');
    expect((await rejection(bob.request('supervisor:logout', { userId: bob.userId }))).code).toBe('forbidden');
    expect((await rejection(sue.request('supervisor:logout', { userId: 'no-such-user' }))).code).toBe('not_found');
    expect((await rejection(sue.request('supervisor:logout', { userId: 'x y' }))).code).toBe('bad_request');
    // Nothing changed for bob.
    expect((await bob.request('agent:get', {})).agent).toMatchObject({ state: 'ready' });

    await server.storage.agents.setRoles(sue.userId, []);
    expect((await rejection(sue.request('supervisor:logout', { userId: bob.userId }))).code).toBe('forbidden');
    expect((await bob.request('agent:get', {})).agent.state).toBe('ready');
  });

  it('logging out an agent who is offline changes nothing', async () => {
    const ghost = await userWith('sup-ghost', ['agent']);
    const sue = await device('sup-sue5', ['supervisor']);
    const { agent } = await sue.request('supervisor:logout', { userId: ghost });
    expect(agent.state).toBe('offline');
    expect((await sue.request('agent:log', { userId: ghost })).entries).toEqual([]);
  });
});
