/**
 * Guest tokens against a real server (docs/protocol.md "Guests"): a caller from the public
 * web page gets a token for ONE call to ONE public queue and nothing else. Each attack is
 * refused with a stable code; the allowed path (one call to their queue, TURN) works.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Signaling } from '../../../src/core/signaling.js';
import {
  CLIENT_EVENT_NAMES,
  GuestResponse,
  ProtocolError,
  PublicQueueInfo,
  type ClientEventName,
  type HandshakeAuth,
} from '../../../src/shared/protocol/index.js';
import { connectDevice, expectHandshakeRefused, TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({ guestTokensPerMinute: 10_000, ringTimeoutMs: 30_000 });
  await server.storage.queues.add({ id: 'support', name: 'Support', public: true, agentRingTimeoutSec: 30 });
  await server.storage.queues.add({ id: 'sales', name: 'Sales', public: true });
  await server.storage.queues.add({ id: 'internal', name: 'Internal', public: false });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function http(s: TestServer, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function guestToken(s: TestServer, queue = 'support', name?: string): Promise<GuestResponse> {
  const res = await http(s, 'POST', '/api/guest', name === undefined ? { queue } : { queue, name });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return GuestResponse.parse(res.body);
}

function guestAuth(g: GuestResponse, patch: Partial<HandshakeAuth> = {}): HandshakeAuth {
  return { token: g.token, deviceId: g.deviceId, deviceKind: 'web', deviceName: 'Web page', appVersion: 'test', ...patch };
}

async function connectGuest(s: TestServer, g: GuestResponse): Promise<TestDevice> {
  const signaling = new Signaling({ serverUrl: s.url, auth: () => guestAuth(g) });
  const device = new TestDevice(signaling, g.deviceId, g.user.id);
  open.push(device);
  await new Promise<void>((resolve, reject) => {
    signaling.socket.once('connect', () => resolve());
    signaling.socket.once('connect_error', (err) => reject(err));
    signaling.connect();
  });
  return device;
}

async function device(s: TestServer, username: string) {
  const d = await connectDevice(s, username);
  open.push(d);
  return d;
}

async function rejection(p: Promise<unknown>): Promise<ProtocolError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'the request should have been refused').toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
}

/** Emits exactly what an attacker chooses (no client-side typing) and returns the raw ack. */
async function rawEmit(d: TestDevice, event: string, payload: unknown): Promise<any> {
  return (d.signaling.socket.timeout(5_000).emitWithAck as (...a: unknown[]) => Promise<unknown>)(event, payload);
}

/** A ready agent, member of `queue`, whose device rings for the queue's calls. */
async function readyAgent(s: TestServer, username: string, queue: string): Promise<TestDevice> {
  const id = await s.addUser(username);
  await s.storage.agents.setRoles(id, ['agent']);
  await s.storage.queues.setMember(queue, id);
  const d = await device(s, username);
  await d.waitFor('agent:changed', (p) => p.agent.state !== 'offline');
  expect((await d.request('agent:set', { status: { state: 'ready' } })).agent.state).toBe('ready');
  return d;
}

describe('POST /api/guest and the public queue info', () => {
  it('a public queue gives a token for a guest identity; private and unknown queues answer alike (not_found)', async () => {
    const g = await guestToken(server, 'support', 'Ann');
    expect(g.expiresIn).toBe(600);
    expect(g.user).toEqual({ id: expect.stringMatching(/^guest-[0-9a-f-]{36}$/), username: 'guest', displayName: 'Ann' });
    expect(g.deviceId).toMatch(/^guest-/);
    expect(g.queue).toEqual({ id: 'support', name: 'Support' });
    expect(g.token.split('.')).toHaveLength(3);

    const priv = await http(server, 'POST', '/api/guest', { queue: 'internal' });
    const unknown = await http(server, 'POST', '/api/guest', { queue: 'nosuch' });
    expect(priv.status).toBe(404);
    expect(priv.body).toEqual({ error: { code: 'not_found', message: 'no such public queue' } });
    expect(unknown.body).toEqual(priv.body);

    const info = await http(server, 'GET', '/api/queues/support/public');
    expect(info.status).toBe(200);
    expect(PublicQueueInfo.parse(info.body)).toEqual({ id: 'support', name: 'Support', open: true, waiting: 0 });
    const privInfo = await http(server, 'GET', '/api/queues/internal/public');
    expect(privInfo.status).toBe(404);
    expect((await http(server, 'GET', '/api/queues/nosuch/public')).body).toEqual(privInfo.body);
    expect((await http(server, 'GET', '/api/queues/NOT%20AN%20ID/public')).body).toEqual(privInfo.body);

    expect((await http(server, 'POST', '/api/guest', { queue: 'support', name: 'x'.repeat(61) })).body.error.code).toBe('bad_request');
    expect((await http(server, 'POST', '/api/guest', { queue: 'support', extra: 1 })).body.error.code).toBe('bad_request');
  });

  it('the name is sanitised: no control, invisible or markup characters, whitespace collapsed, empty → "Web caller"; agents see it', async () => {
    const raw = ' <b>Ann</b>\u202E \u0007 O\'Brien\u200B &\t\n "co"\uFF1Cscript\uFF1E ';
    const g = await guestToken(server, 'support', raw);
    expect(g.user.displayName).toBe('bAnn/b O’Brien coscript');
    expect((await guestToken(server, 'support', ' \u200B\t<>&" ')).user.displayName).toBe('Web caller');
    expect((await guestToken(server, 'support')).user.displayName).toBe('Web caller');
    // 30 emoji are 60 UTF-16 units: kept whole. A ligature that NFKC expands 18-fold is cut at 60.
    expect((await guestToken(server, 'support', '😀'.repeat(30))).user.displayName).toBe('😀'.repeat(30));
    const expanded = (await guestToken(server, 'support', '\uFDFA'.repeat(5))).user.displayName;
    expect(expanded.length).toBeLessThanOrEqual(60);
    expect(expanded.length).toBeGreaterThan(50);

    const agent = await readyAgent(server, 'gt-name-agent', 'support');
    const guest = await connectGuest(server, g);
    const { call } = await guest.request('call:invite', { to: { queue: 'support' } });
    const incoming = await agent.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    expect(incoming.call.caller).toEqual({ id: g.user.id, username: 'guest', displayName: 'bAnn/b O’Brien coscript' });
    expect((await guest.request('call:cancel', { callId: call.callId })).call.state).toBe('ended');
    await server.storage.queues.removeMember('support', (await server.storage.accounts.getUserByUsername('gt-name-agent'))!.id);
  });

  it('tokens are limited per IP: past the budget `rate_limited` with Retry-After, another address is unaffected', async () => {
    const s = await startTestServer({ guestTokensPerMinute: 2, trustProxy: true });
    try {
      await s.storage.queues.add({ id: 'support', name: 'Support', public: true });
      const from = (ip: string, body: unknown = { queue: 'support' }) => http(s, 'POST', '/api/guest', body, { 'x-forwarded-for': ip });
      expect((await from('203.0.113.5')).status).toBe(200);
      // A refused request spends the budget too (no free probing of queue names).
      expect((await from('203.0.113.5', { queue: 'internal' })).status).toBe(404);
      const limited = await from('203.0.113.5');
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await from('203.0.113.6')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('a guest socket', () => {
  it('may use nothing but its call: directory, presence, history, settings, push, agent and supervisor events are forbidden', async () => {
    const guest = await connectGuest(server, await guestToken(server));
    const allowed = new Set<ClientEventName>(['session:ping', 'session:sync', 'call:invite', 'call:cancel', 'call:hangup', 'call:signal']);
    const refused = CLIENT_EVENT_NAMES.filter((e) => !allowed.has(e));
    expect(refused).toEqual(expect.arrayContaining(['directory:search', 'presence:subscribe', 'presence:set', 'history:list', 'history:missed', 'history:seen', 'push:register', 'session:token', 'call:accept', 'call:claim']));
    for (const event of refused) {
      // Forbidden whatever the payload: a well-formed one and an empty one.
      const ack = await rawEmit(guest, event, event === 'directory:search' ? { query: 'a' } : {});
      expect(ack, event).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    const presence = await rawEmit(guest, 'presence:subscribe', { userIds: ['someone'] });
    expect(presence.error.code).toBe('forbidden');
    expect(guest.count('presence:changed')).toBe(0);

    const sync = await guest.request('session:sync', { calls: [] });
    expect(sync).toMatchObject({ user: { username: 'guest' }, calls: [], ended: [], missedCount: 0, historyHead: null });
    expect((await guest.request('session:ping', {})).now).toBeGreaterThan(0);
  });

  it('cannot call a user, another public queue or a private one; then places exactly one call to its queue, also from a second socket', async () => {
    const alice = await device(server, 'gt-alice');
    const agent = await readyAgent(server, 'gt-agent', 'support');
    const g = await guestToken(server, 'support', 'Caller');
    const guest = await connectGuest(server, g);

    for (const to of [{ username: 'gt-alice' }, { userId: alice.userId }, { queue: 'sales' }, { queue: 'internal' }]) {
      const err = await rejection(guest.request('call:invite', { to }));
      expect(err.code, JSON.stringify(to)).toBe('forbidden');
    }
    expect(alice.count('call:incoming')).toBe(0);

    // The refusals did not spend the token's call.
    const { call } = await guest.request('call:invite', { to: { queue: 'support' }, callId: 'gt-call-1' });
    expect(call).toMatchObject({ callId: 'gt-call-1', state: 'ringing', caller: { id: g.user.id, username: 'guest' } });
    await agent.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    // The same invite again (a lost ack) is the same call, not a second one.
    expect((await guest.request('call:invite', { to: { queue: 'support' }, callId: 'gt-call-1' })).call.callId).toBe('gt-call-1');

    const second = await rejection(guest.request('call:invite', { to: { queue: 'support' } }));
    expect(second.code).toBe('forbidden');
    expect(second.details).toEqual({ reason: 'guest_call_used' });

    // Its own call reaches its device (no device row, yet the rooms route it): ringing,
    // answered, signaling both ways, the end.
    await guest.waitFor('call:ringing', (p) => p.call.callId === call.callId);
    expect((await guest.request('session:sync', { calls: [call.callId] })).calls.map((c) => c.callId)).toEqual([call.callId]);
    await agent.request('call:accept', { callId: call.callId });
    await guest.waitFor('call:answered', (p) => p.call.callId === call.callId);
    expect((await guest.request('call:signal', { callId: call.callId, signal: { type: 'offer', sdp: 'v=0 guest' } })).delivered).toBe(1);
    await agent.waitFor('call:signal', (p) => p.callId === call.callId && p.fromDeviceId === g.deviceId);
    await agent.request('call:signal', { callId: call.callId, signal: { type: 'answer', sdp: 'v=0 agent' } });
    const answer = await guest.waitFor('call:signal', (p) => p.callId === call.callId);
    expect(answer.signal).toEqual({ type: 'answer', sdp: 'v=0 agent' });
    expect((await guest.request('call:hangup', { callId: call.callId })).call.state).toBe('ended');
    await agent.waitFor('call:ended', (p) => p.call.callId === call.callId);

    // After the call, and from another socket of the same token: still one call per token.
    guest.close();
    const again = await connectGuest(server, g);
    const third = await rejection(again.request('call:invite', { to: { queue: 'support' }, callId: 'gt-call-2' }));
    expect(third.details).toEqual({ reason: 'guest_call_used' });
    expect(agent.count('call:incoming')).toBe(1);
    await server.storage.queues.removeMember('support', agent.userId);
  });

  it('cannot touch anyone else\'s call', async () => {
    const a = await device(server, 'gt-a');
    const b = await device(server, 'gt-b');
    const { call } = await a.request('call:invite', { to: { username: 'gt-b' } });
    await b.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    const before = (await server.live.calls.get(call.callId))!.version;
    const guest = await connectGuest(server, await guestToken(server));
    for (const [event, payload] of [
      ['call:hangup', { callId: call.callId }],
      ['call:cancel', { callId: call.callId }],
      ['call:signal', { callId: call.callId, signal: { type: 'hold', held: true } }],
    ] as const) {
      const ack = await rawEmit(guest, event, payload);
      expect(ack.ok, event).toBe(false);
      expect(['not_found', 'forbidden'], `${event}: ${ack.error.code}`).toContain(ack.error.code);
    }
    expect((await guest.request('session:sync', { calls: [call.callId] })).ended).toEqual([]);
    // Taking over its id is refused, and costs the guest nothing: its own call still goes out.
    expect((await rejection(guest.request('call:invite', { to: { queue: 'support' }, callId: call.callId }))).code).toBe('conflict');
    expect((await server.live.calls.get(call.callId))!.version).toBe(before);
    const own = (await guest.request('call:invite', { to: { queue: 'support' } })).call;
    expect(own.caller.id).toBe(guest.userId);
    expect(own.callId).not.toBe(call.callId);
    // Nobody takes it: it waits in line, the guest is told its place, the page sees it waiting.
    const waiting = await guest.waitFor('queue:waiting', (p) => p.callId === own.callId);
    expect(waiting).toMatchObject({ queue: { id: 'support' }, position: 1 });
    expect((await http(server, 'GET', '/api/queues/support/public')).body).toMatchObject({ id: 'support', waiting: 1 });
    expect((await guest.request('call:cancel', { callId: own.callId })).call.state).toBe('ended');
    await a.request('call:cancel', { callId: call.callId });
  });
});

describe('a queue made private', () => {
  it("refuses the call of a token issued while it was public, and its page and tokens are gone", async () => {
    await server.storage.queues.add({ id: 'closing', name: 'Closing', public: true });
    const g = await guestToken(server, 'closing');
    const guest = await connectGuest(server, g);
    await server.storage.queues.update('closing', { public: false });
    const { call } = await guest.request('call:invite', { to: { queue: 'closing' } });
    expect(call).toMatchObject({ state: 'ended', endReason: 'no_agents' });
    expect((await http(server, 'GET', '/api/queues/closing/public')).status).toBe(404);
    expect((await http(server, 'POST', '/api/guest', { queue: 'closing' })).status).toBe(404);
  });
});

describe('guest and user tokens are distinct', () => {
  const secrets = (s: TestServer): { jwtSecret: string } => JSON.parse(fs.readFileSync(path.join(s.dataDir, 'secrets.json'), 'utf8'));

  it('a guest token is refused by user-only HTTP endpoints; it gets TURN credentials for the guest id', async () => {
    const g = await guestToken(server);
    const bearer = { authorization: `Bearer ${g.token}` };
    const push = await http(server, 'POST', '/api/push', { deviceId: g.deviceId, provider: 'fcm', token: 'x'.repeat(20) }, bearer);
    expect(push.status).toBe(401);
    expect(push.body.error.code).toBe('unauthorized');
    expect((await http(server, 'DELETE', `/api/push/${g.deviceId}`, undefined, bearer)).status).toBe(401);
    const turn = await http(server, 'GET', '/api/turn', undefined, bearer);
    expect(turn.status).toBe(200);
    expect(turn.body.username).toMatch(new RegExp(`^\\d+:${g.user.id}$`));
  });

  it('a user token is no guest token, and guest claims signed with the user key are refused', async () => {
    // A user's socket is not bound by the guest guard (it reads the directory), and its
    // device may not take the guests' id form.
    const user = await device(server, 'gt-user');
    expect((await user.request('directory:search', { query: 'gt-' })).users.length).toBeGreaterThan(0);
    const tokens = await server.login('gt-user');
    const reserved = await expectHandshakeRefused(server, { token: tokens.accessToken, deviceId: 'guest-dev-mine', deviceKind: 'web', deviceName: 'x', appVersion: 't' });
    expect(reserved.data?.code).toBe('forbidden');

    // The claims of a real guest token, signed with the key of user tokens: refused.
    const g = await guestToken(server);
    const claims = JSON.parse(Buffer.from(g.token.split('.')[1]!, 'base64url').toString('utf8'));
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secrets(server).jwtSecret));
    const refused = await expectHandshakeRefused(server, guestAuth(g, { token: forged }));
    expect(refused.data?.code).toBe('unauthorized');
    expect((await http(server, 'GET', '/api/turn', undefined, { authorization: `Bearer ${forged}` })).status).toBe(401);

    // A user's token with the guest audience written in (signature broken): refused too.
    const [h, p, sig] = tokens.accessToken.split('.');
    const userClaims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
    const relabelled = [h, Buffer.from(JSON.stringify({ ...userClaims, aud: 'softphone-guest' })).toString('base64url'), sig].join('.');
    expect((await expectHandshakeRefused(server, guestAuth(g, { token: relabelled }))).data?.code).toBe('unauthorized');

    // A guest token on another device id than the one it was issued for.
    expect((await expectHandshakeRefused(server, guestAuth(g, { deviceId: 'guest-dev-other' }))).data?.code).toBe('forbidden');
  });
});

describe('guest token expiry', () => {
  it('an expired token is refused at the handshake and cannot start a call; a guest in its call may finish it', async () => {
    let offsetMs = 0;
    const s = await startTestServer({ guestTokenTtlSec: 60 }, { clock: () => Date.now() + offsetMs });
    try {
      await s.storage.queues.add({ id: 'support', name: 'Support', public: true, agentRingTimeoutSec: 60 });
      const agent = await readyAgent(s, 'gx-agent', 'support');
      const idle = await connectGuest(s, await guestToken(s));
      const callingToken = await guestToken(s);
      const calling = await connectGuest(s, callingToken);
      const { call } = await calling.request('call:invite', { to: { queue: 'support' } });
      await agent.waitFor('call:incoming', (p) => p.call.callId === call.callId);
      const late = await guestToken(s);

      offsetMs = 61_000;
      expect((await expectHandshakeRefused(s, guestAuth(late))).data?.code).toBe('unauthorized');
      const start = await rejection(idle.request('call:invite', { to: { queue: 'support' } }));
      expect(start.code).toBe('unauthorized');
      // Without a call, an expired socket is answered and closed.
      expect((await rejection(idle.request('session:ping', {}))).code).toBe('unauthorized');
      await new Promise<void>((resolve) => (idle.signaling.socket.connected ? idle.signaling.socket.once('disconnect', () => resolve()) : resolve()));

      // In its call: still pings, may reconnect (its call goes on) and hangs up.
      expect((await calling.request('session:ping', {})).now).toBeGreaterThan(0);
      calling.close();
      const back = await connectGuest(s, callingToken);
      expect((await back.request('session:sync', { calls: [call.callId] })).calls).toMatchObject([{ callId: call.callId, state: 'ringing' }]);
      expect((await back.request('call:hangup', { callId: call.callId })).call.state).toBe('ended');
      // Its call over, the expired token opens no socket.
      back.close();
      expect((await expectHandshakeRefused(s, guestAuth(callingToken))).data?.code).toBe('unauthorized');
    } finally {
      await s.stop();
    }
  });
});
