/**
 * Authorization matrix: one test per attack. Each asserts that the attack is
 * refused with a stable error code AND that nothing leaked or changed: the
 * victims' devices received nothing, the call's version (every transition
 * bumps it) is unchanged, no history or journal row appeared.
 *
 * Policy (docs/security.md): any authenticated user of the same server may
 * read the directory (id, username, display name) and presence; nothing else
 * about other users — no calls, devices, history, settings or push state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEvents, CLIENT_EVENT_NAMES, type DirectoryEntry } from '../../../src/shared/protocol/index.js';
import { jsonSchemaOf, type JsonSchema } from '../../fuzz/arbitraries.js';
import { connectDevice, expectHandshakeRefused, type TestDevice } from '../../helpers/device.js';
import { fcmToken } from '../../helpers/push-standins.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({ ringTimeoutMs: 30_000 });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function device(s: TestServer, username: string, opts: Parameters<typeof connectDevice>[2] = {}) {
  const d = await connectDevice(s, username, opts);
  open.push(d);
  return d;
}

/** Emits exactly what an attacker chooses (no client-side typing) and returns the raw ack. */
async function rawEmit(d: TestDevice, event: string, payload: unknown): Promise<any> {
  return (d.signaling.socket.timeout(5_000).emitWithAck as (...a: unknown[]) => Promise<unknown>)(event, payload);
}

/** Runs the attack and asserts the victims' devices received nothing meanwhile. */
async function untouched(victims: TestDevice[], attack: () => Promise<void>): Promise<void> {
  const before = victims.map((v) => v.events.length);
  await attack();
  for (const [i, v] of victims.entries()) {
    await v.flush();
    expect(v.events.slice(before[i]), `${v.deviceId} received events during the attack`).toEqual([]);
  }
}

async function version(callId: string): Promise<number | undefined> {
  return (await server.live.calls.get(callId))?.version;
}

async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: json };
}

function secrets(s: TestServer): { jwtSecret: string; turnSecret: string } {
  return JSON.parse(fs.readFileSync(path.join(s.dataDir, 'secrets.json'), 'utf8'));
}

/** A ringing call from `caller` to `callee`'s devices (all of them ring). */
async function ringing(caller: TestDevice, calleeName: string, callees: TestDevice[]) {
  const { call } = await caller.request('call:invite', { to: { username: calleeName } });
  for (const d of callees) await d.waitFor('call:incoming', (p) => p.call.callId === call.callId);
  await caller.waitFor('call:ringing', (p) => p.call.callId === call.callId);
  return call;
}

async function answered(caller: TestDevice, calleeName: string, callee: TestDevice, others: TestDevice[] = []) {
  const call = await ringing(caller, calleeName, [callee, ...others]);
  await callee.request('call:accept', { callId: call.callId });
  await caller.waitFor('call:answered', (p) => p.call.callId === call.callId);
  for (const o of others) await o.waitFor('call:answered-elsewhere', (p) => p.call.callId === call.callId);
  return call;
}

describe('spoofed identity', () => {
  it("a handshake with another user's device id is refused; the owner's connection and device row are untouched", async () => {
    const bob = await device(server, 'sp-bob', { deviceId: 'sp-bob-phone' });
    await server.addUser('sp-mallory');
    const { accessToken } = await server.login('sp-mallory');
    const before = await server.live.devices.get(bob.userId, 'sp-bob-phone');
    await untouched([bob], async () => {
      const refused = await expectHandshakeRefused(server, {
        token: accessToken,
        deviceId: 'sp-bob-phone',
        deviceKind: 'desktop',
        deviceName: 'definitely bob',
        appVersion: '1',
      });
      expect(refused.data?.code).toBe('forbidden');
    });
    expect(bob.signaling.connected).toBe(true);
    expect(await server.live.devices.get(bob.userId, 'sp-bob-phone')).toEqual(before);
    const row = await server.storage.accounts.getDevice('sp-bob-phone');
    expect(row).toMatchObject({ userId: bob.userId, name: "sp-bob's desktop" });
    // Bob still gets his calls on that device.
    const alice = await device(server, 'sp-alice');
    const call = await ringing(alice, 'sp-bob', [bob]);
    await alice.request('call:cancel', { callId: call.callId });
  });

  it('identity comes only from the access token: user fields in the handshake are ignored', async () => {
    const bob = await device(server, 'id-bob');
    await server.addUser('id-mallory');
    const { accessToken } = await server.login('id-mallory');
    const signaling = io(server.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: {
        token: accessToken,
        deviceId: 'id-mallory-spoof',
        deviceKind: 'desktop',
        deviceName: 'x',
        appVersion: '1',
        userId: bob.userId,
        user: { id: bob.userId, username: 'id-bob', displayName: 'Bob' },
        username: 'id-bob',
      },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        signaling.once('connect', () => resolve());
        signaling.once('connect_error', reject);
      });
      const ack: any = await signaling.timeout(5_000).emitWithAck('session:sync', { calls: [] });
      expect(ack.data.user.username).toBe('id-mallory');
      expect((await server.storage.accounts.getDevice('id-mallory-spoof'))?.userId).not.toBe(bob.userId);
    } finally {
      signaling.disconnect();
    }
  });

  it('an invite cannot name its caller: extra keys are rejected and nothing rings', async () => {
    const alice = await device(server, 'iv-alice');
    const bob = await device(server, 'iv-bob');
    const mallory = await device(server, 'iv-mallory');
    const journalBefore = (await server.storage.history.unfinishedCalls()).length;
    await untouched([alice, bob], async () => {
      const attempts = [
        { to: { username: 'iv-bob' }, caller: { id: alice.userId, username: 'iv-alice', displayName: 'Alice' } },
        { to: { username: 'iv-bob' }, from: alice.userId },
        { to: { username: 'iv-bob' }, callerDeviceId: alice.deviceId },
        { to: { username: 'iv-bob', userId: bob.userId } },
        { to: { userId: bob.userId, caller: alice.userId } },
        JSON.parse(`{"to":{"username":"iv-bob"},"__proto__":{"caller":"${alice.userId}"}}`),
      ];
      for (const payload of attempts) {
        const ack = await rawEmit(mallory, 'call:invite', payload);
        expect(ack, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      }
    });
    expect((await server.storage.history.unfinishedCalls()).length).toBe(journalBefore);
    expect(await server.live.calls.activeForUser(bob.userId)).toEqual([]);
  });
});

describe("someone else's call", () => {
  it('answering, declining, claiming, cancelling or hanging up a ringing call of others is forbidden', async () => {
    const alice = await device(server, 'rc-alice');
    const bob = await device(server, 'rc-bob');
    const mallory = await device(server, 'rc-mallory');
    const call = await ringing(alice, 'rc-bob', [bob]);
    const v = await version(call.callId);
    await untouched([alice, bob], async () => {
      for (const event of ['call:accept', 'call:decline', 'call:claim', 'call:cancel', 'call:hangup']) {
        const ack = await rawEmit(mallory, event, { callId: call.callId });
        expect(ack, event).toMatchObject({ ok: false, error: { code: 'forbidden' } });
        expect(JSON.stringify(ack)).not.toContain(bob.deviceId);
      }
    });
    expect(await version(call.callId)).toBe(v);
    expect((await server.live.calls.get(call.callId))?.state).toBe('ringing');
    expect(mallory.count('call:incoming')).toBe(0);
    expect(await server.storage.history.recordsForCall(call.callId)).toEqual([]);
    await alice.request('call:cancel', { callId: call.callId });
  });

  it('hanging up an answered call of others is forbidden, also for the callee’s other device', async () => {
    const alice = await device(server, 'ac-alice');
    const bob = await device(server, 'ac-bob');
    const bobTablet = await device(server, 'ac-bob', { kind: 'web' });
    const mallory = await device(server, 'ac-mallory');
    const call = await answered(alice, 'ac-bob', bob, [bobTablet]);
    const v = await version(call.callId);
    await untouched([alice, bob], async () => {
      for (const event of ['call:hangup', 'call:cancel', 'call:accept', 'call:decline', 'call:claim']) {
        expect(await rawEmit(mallory, event, { callId: call.callId }), event).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      }
      // Same user, but not the device the call is on.
      expect(await rawEmit(bobTablet, 'call:hangup', { callId: call.callId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    });
    expect(await version(call.callId)).toBe(v);
    expect((await server.live.calls.get(call.callId))?.state).toBe('answered');
    expect(await server.storage.history.recordsForCall(call.callId)).toEqual([]);
    await alice.request('call:hangup', { callId: call.callId });
  });

  it('offers, answers, ICE candidates and other signals cannot be injected into a foreign call', async () => {
    const alice = await device(server, 'sg-alice');
    const bob = await device(server, 'sg-bob');
    const bobTablet = await device(server, 'sg-bob', { kind: 'web' });
    const mallory = await device(server, 'sg-mallory');
    const call = await answered(alice, 'sg-bob', bob, [bobTablet]);
    const signals = [
      { type: 'offer', sdp: 'v=0\r\no=evil 1 1 IN IP4 6.6.6.6\r\n' },
      { type: 'answer', sdp: 'v=0\r\no=evil 1 1 IN IP4 6.6.6.6\r\n' },
      { type: 'ice', candidate: { candidate: 'candidate:1 1 udp 1 6.6.6.6 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
      { type: 'ice', candidate: null },
      { type: 'hold', held: true },
      { type: 'dtmf', digits: '1234' },
      { type: 'restart-request', fresh: true },
    ];
    await untouched([alice, bob], async () => {
      for (const signal of signals) {
        for (const attacker of [mallory, bobTablet]) {
          const ack = await rawEmit(attacker, 'call:signal', { callId: call.callId, signal });
          expect(ack, `${attacker.deviceId} ${signal.type}`).toMatchObject({ ok: false, error: { code: 'forbidden' } });
        }
      }
    });
    // The real parties still talk.
    await alice.request('call:signal', { callId: call.callId, signal: { type: 'dtmf', digits: '5' } });
    await bob.waitFor('call:signal', (p) => p.signal.type === 'dtmf' && p.fromDeviceId === alice.deviceId);
    await alice.request('call:hangup', { callId: call.callId });
    await bob.waitFor('history:added', (p) => p.record.callId === call.callId);
    // After the end, a signal from a party is refused as gone, and still reaches no one.
    await untouched([bob], async () => {
      expect(await rawEmit(alice, 'call:signal', { callId: call.callId, signal: signals[0] })).toMatchObject({ ok: false, error: { code: 'gone' } });
    });
  });

  it("claiming another user's pending call is forbidden and rings nothing for the attacker", async () => {
    const alice = await device(server, 'pc-alice');
    await server.addUser('pc-carol');
    const mallory = await device(server, 'pc-mallory');
    const { call } = await alice.request('call:invite', { to: { username: 'pc-carol' } });
    const ring = await alice.waitFor('call:ringing', (p) => p.call.callId === call.callId);
    expect(ring.ringingDevices).toBe(0);
    const v = await version(call.callId);
    await untouched([alice], async () => {
      expect(await rawEmit(mallory, 'call:claim', { callId: call.callId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await rawEmit(mallory, 'session:sync', { calls: [call.callId] })).toMatchObject({ ok: true, data: { calls: [], ended: [] } });
    });
    expect(await version(call.callId)).toBe(v);
    expect(mallory.count('call:incoming')).toBe(0);
    // The rightful callee can claim it.
    const carol = await device(server, 'pc-carol', { kind: 'ios' });
    const claimed = await carol.request('call:claim', { callId: call.callId });
    expect(claimed.call.state).toBe('ringing');
    await alice.request('call:cancel', { callId: call.callId });
  });
});

describe('what a user can read about others', () => {
  it('no request takes another user id, except dialing and presence (the documented policy)', () => {
    // Walks every request schema, so a new event that accepts a user id fails here until reviewed.
    const allowed = new Set([
      'call:invite to.userId',
      'call:invite to.username',
      'presence:subscribe userIds',
      // ICE's own field (RFC 8839 ufrag), not an account.
      'call:signal signal.candidate.usernameFragment',
      // Another agent's state, auto-answer and log: supervisor role only (socket/agent-handlers.ts,
      // checked in tests/integration/server/agents.test.ts "roles").
      'agent:set userId',
      'agent:auto-answer userId',
      'agent:log userId',
      // Supervisor role only (docs/support-line.md): logging an agent out of the queues, audited.
      'supervisor:logout userId',
    ]);
    const found: string[] = [];
    const walk = (event: string, s: JsonSchema, at: string) => {
      for (const [key, sub] of Object.entries(s.properties ?? {})) {
        const here = at ? `${at}.${key}` : key;
        if (/user|owner|account|member/i.test(key)) found.push(`${event} ${here}`);
        walk(event, sub, here);
      }
      for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) walk(event, alt, at);
      if (s.items) walk(event, s.items, at);
    };
    for (const event of CLIENT_EVENT_NAMES) walk(event, jsonSchemaOf(clientEvents[event].request), '');
    expect(found.filter((f) => !allowed.has(f))).toEqual([]);
    // HTTP: no route is parameterised by a user, except queue membership under /api/admin (admin
    // role, checked on every request: tests/integration/server/queue-admin.test.ts).
    const adminOnly = (url: string) => url.startsWith('/api/admin/');
    expect(server.routes.filter((r) => /user|account/i.test(r.url) && !adminOnly(r.url))).toEqual([]);
  });

  it("another user's history is unreachable: history is always the caller's own", async () => {
    const alice = await device(server, 'hi-alice');
    const bob = await device(server, 'hi-bob');
    const mallory = await device(server, 'hi-mallory');
    const call = await answered(alice, 'hi-bob', bob);
    await alice.request('call:hangup', { callId: call.callId });
    await bob.waitFor('history:added');
    await untouched([alice, bob], async () => {
      for (const payload of [{ userId: alice.userId }, { user: 'hi-alice' }, { limit: 200, userId: bob.userId }]) {
        expect(await rawEmit(mallory, 'history:list', payload)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      }
      expect(await rawEmit(mallory, 'history:list', { limit: 200 })).toEqual({ ok: true, data: { items: [], nextCursor: null } });
      expect(await rawEmit(mallory, 'history:missed', {})).toMatchObject({ ok: true, data: { count: 0 } });
      expect(await rawEmit(mallory, 'session:sync', { calls: [call.callId] })).toMatchObject({ ok: true, data: { calls: [], ended: [] } });
      // A forged cursor naming alice's record still pages mallory's own (empty) history.
      const [record] = (await alice.request('history:list', {})).items;
      const cursor = Buffer.from(`${record!.endedAt + 1}:${record!.id}`).toString('base64url');
      expect(await rawEmit(mallory, 'history:list', { cursor })).toEqual({ ok: true, data: { items: [], nextCursor: null } });
      for (const url of [`/api/history`, `/api/users/${alice.userId}/history`, `/api/history?userId=${alice.userId}`]) {
        expect((await http('GET', url)).status).toBe(404);
      }
    });
  });

  it('directory and presence show id, username, display name and presence; nothing else', async () => {
    const alice = await device(server, 'dp-alice');
    const bob = await device(server, 'dp-bob');
    const mallory = await device(server, 'dp-mallory');
    await alice.request('settings:update', { callWaiting: true });
    const { users } = await mallory.request('directory:search', { query: 'dp-' });
    for (const u of users) expect(Object.keys(u).sort()).toEqual(['displayName', 'id', 'presence', 'username']);
    const raw = await rawEmit(mallory, 'directory:search', { query: 'dp-alice' });
    expect(Object.keys(raw.data.users[0] as DirectoryEntry).sort()).toEqual(['displayName', 'id', 'presence', 'username']);
    expect(JSON.stringify(raw)).not.toMatch(/passwordHash|password_hash|scrypt|callWaiting|deviceId|token/i);

    const sub = await mallory.request('presence:subscribe', { userIds: [alice.userId, bob.userId] });
    expect(sub.presence).toEqual({ [alice.userId]: 'available', [bob.userId]: 'available' });
    // A call between alice and bob shows mallory "busy" and nothing more.
    const call = await answered(alice, 'dp-bob', bob);
    await mallory.waitFor('presence:changed', (p) => p.userId === alice.userId && p.presence === 'busy');
    await alice.request('call:hangup', { callId: call.callId });
    await mallory.waitFor('presence:changed', (p) => p.userId === alice.userId && p.presence === 'available');
    await mallory.flush();
    const seen = mallory.events.map((e) => e.event);
    expect(seen.filter((e) => e !== 'presence:changed')).toEqual([]);
    for (const e of mallory.events) expect(Object.keys(e.payload as object).sort()).toEqual(['presence', 'userId']);
    expect(JSON.stringify(mallory.events)).not.toContain(call.callId);
  });

  it("a push token cannot be registered on, or removed from, another user's device", async () => {
    const victim = await device(server, 'pu-vera', { kind: 'android' });
    const token = fcmToken();
    await victim.request('push:register', { provider: 'fcm', token });
    const registered = await server.storage.push.getPushRegistration(victim.deviceId);
    const mallory = await device(server, 'pu-mallory', { kind: 'android' });
    const session = await server.login('pu-mallory');
    await untouched([victim], async () => {
      // The socket event binds to the sender's own device: naming another is a schema error.
      expect(await rawEmit(mallory, 'push:register', { provider: 'fcm', token: fcmToken(), deviceId: victim.deviceId })).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });
      const auth = { authorization: `Bearer ${session.accessToken}` };
      const post = await http('POST', '/api/push', { deviceId: victim.deviceId, provider: 'fcm', token: fcmToken() }, auth);
      expect(post.status).toBe(403);
      expect(post.body.error.code).toBe('forbidden');
      const del = await http('DELETE', `/api/push/${victim.deviceId}`, undefined, auth);
      expect(del.status).toBe(403);
      const logout = await http('POST', '/api/logout', { refreshToken: session.refreshToken, deviceId: victim.deviceId });
      expect(logout.status).toBe(200);
    });
    expect(await server.storage.push.getPushRegistration(victim.deviceId)).toEqual(registered);
  });
});

describe('tokens and sessions', () => {
  const auth = (token: string, deviceId = 'tk-device') => ({ token, deviceId, deviceKind: 'desktop', deviceName: 'x', appVersion: '1' });

  it('a rotated refresh token cannot be reused: the replay fails and the whole session is revoked', async () => {
    await server.addUser('tk-alice');
    const first = await server.login('tk-alice');
    const second = await server.api.refresh(first.refreshToken);
    // Whoever holds the session has a socket open with it (the thief, or the victim: both must go).
    const open = await device(server, 'tk-alice', { token: second.accessToken });
    const unrelated = await device(server, 'tk-alice');
    const closed = new Promise<string>((resolve) => open.signaling.socket.once('disconnect', (reason) => resolve(reason)));
    const replay = await http('POST', '/api/refresh', { refreshToken: first.refreshToken });
    expect(replay.status).toBe(401);
    expect(Object.keys(replay.body)).toEqual(['error']);
    expect(replay.text).not.toMatch(/accessToken|refreshToken":/);
    // The legitimate holder's newer tokens died with it.
    expect((await http('POST', '/api/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
    expect((await http('GET', '/api/turn', undefined, { authorization: `Bearer ${second.accessToken}` })).status).toBe(401);
    expect((await expectHandshakeRefused(server, auth(second.accessToken))).data?.code).toBe('unauthorized');
    expect(await closed).toBe('io server disconnect');
    // Other sessions of the same user are not affected.
    await unrelated.flush();
    expect(unrelated.signaling.connected).toBe(true);
    const other = await server.login('tk-alice');
    expect((await http('GET', '/api/turn', undefined, { authorization: `Bearer ${other.accessToken}` })).status).toBe(200);
  });

  it("logging out closes the session's open sockets", async () => {
    await server.addUser('tk-carol');
    const session = await server.login('tk-carol');
    const d = await device(server, 'tk-carol', { token: session.accessToken });
    const closed = new Promise<string>((resolve) => d.signaling.socket.once('disconnect', (reason) => resolve(reason)));
    await server.api.logout(session.refreshToken);
    expect(await closed).toBe('io server disconnect');
    expect((await expectHandshakeRefused(server, auth(session.accessToken, 'tk-carol-again'))).data?.code).toBe('unauthorized');
  });

  it('an expired access token is refused at the handshake and on HTTP', async () => {
    const id = await server.addUser('tk-bob');
    const past = Math.floor(Date.now() / 1000) - 3_600;
    const expired = await new SignJWT({ fam: 'expired-family' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(id)
      .setIssuer('softphone')
      .setAudience('softphone-client')
      .setIssuedAt(past)
      .setExpirationTime(past + 600)
      .sign(new TextEncoder().encode(secrets(server).jwtSecret));
    const refused = await expectHandshakeRefused(server, auth(expired));
    expect(refused.data?.code).toBe('unauthorized');
    expect(refused.message).toMatch(/expired/);
    const turn = await http('GET', '/api/turn', undefined, { authorization: `Bearer ${expired}` });
    expect(turn.status).toBe(401);
    expect(turn.body.error.code).toBe('unauthorized');
    expect(await server.storage.accounts.getDevice('tk-device')).toBeUndefined();
  });

  it("a deleted user's tokens are refused, and an open connection of theirs can no longer call", async () => {
    const bob = await device(server, 'tk-bob2');
    const gone = await device(server, 'tk-gone');
    const tokens = await server.login('tk-gone');
    await server.storage.accounts.removeUser(gone.userId);
    expect((await expectHandshakeRefused(server, auth(tokens.accessToken, 'tk-gone-2'))).data?.code).toBe('unauthorized');
    expect((await http('POST', '/api/refresh', { refreshToken: tokens.refreshToken })).status).toBe(401);
    expect((await http('GET', '/api/turn', undefined, { authorization: `Bearer ${tokens.accessToken}` })).status).toBe(401);
    await untouched([bob], async () => {
      expect(await rawEmit(gone, 'call:invite', { to: { username: 'tk-bob2' } })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(await rawEmit(gone, 'history:list', {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    });
  });

  it('a socket without a token, or with a token in the wrong place or shape, is refused', async () => {
    const cases: Record<string, unknown>[] = [
      {},
      { deviceId: 'tk-x', deviceKind: 'desktop', deviceName: 'x', appVersion: '1' },
      auth(''),
      auth('null'),
      { ...auth('x'.repeat(20)), token: 12345678901 },
      auth(`Bearer ${'x'.repeat(40)}`),
    ];
    for (const a of cases) expect((await expectHandshakeRefused(server, a)).data?.code, JSON.stringify(a)).toBe('unauthorized');
  });

  it('a browser page from another origin cannot open a socket, even with a valid token', async () => {
    await server.addUser('or-alice');
    const alice = await server.login('or-alice');
    const attempt = (origin: string) =>
      new Promise<string>((resolve) => {
        const s = io(server.url, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          extraHeaders: { origin },
          auth: auth(alice.accessToken, 'or-alice-dev'),
        });
        s.once('connect', () => (s.disconnect(), resolve('connected')));
        s.once('connect_error', () => (s.disconnect(), resolve('refused')));
      });
    expect(await attempt('https://evil.example')).toBe('refused');
    expect(await attempt(server.url)).toBe('connected');
  });
});

describe('user enumeration through login', () => {
  let login: TestServer;
  beforeAll(async () => {
    login = await startTestServer({ loginRatePerMinute: 100_000, loginFailuresPerUsername: 100_000 });
    await login.addUser('en-known');
  });
  afterAll(() => login.stop());

  async function attempt(username: string) {
    const t = performance.now();
    const res = await fetch(`${login.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'wrong password' }),
    });
    const ms = performance.now() - t;
    const headers = Object.fromEntries([...res.headers].filter(([k]) => !['date', 'keep-alive', 'connection'].includes(k)));
    return { ms, status: res.status, body: await res.text(), headers };
  }

  function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  }

  it('unknown user and wrong password answer alike: status, headers, body and (median) time', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so load on the machine hits both sides alike.
    for (let i = 0; i < 16; i++) {
      const u = await attempt(`en-nobody-${i}`);
      const k = await attempt('en-known');
      expect(u.status).toBe(401);
      expect(k.status).toBe(401);
      expect(u.body).toBe(k.body);
      expect(u.headers).toEqual(k.headers);
      unknown.push(u.ms);
      known.push(k.ms);
    }
    const mu = median(unknown);
    const mk = median(known);
    console.log(`login failure median: unknown user ${mu.toFixed(1)} ms, wrong password ${mk.toFixed(1)} ms`);
    // A leak (no hash for unknown users) is a ~100x difference; load noise is far below 2x.
    expect(Math.max(mu, mk) / Math.min(mu, mk)).toBeLessThan(1.6);
  }, 60_000);

  it('the per-username throttle answers unknown and known names alike', async () => {
    const strict = await startTestServer({ loginRatePerMinute: 100_000, loginFailuresPerUsername: 3 });
    try {
      await strict.addUser('en-real');
      const sequence = async (username: string) => {
        const out: string[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await fetch(`${strict.url}/api/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username, password: 'wrong' }),
          });
          out.push(`${res.status} ${await res.text()}`);
        }
        return out;
      };
      const real = await sequence('en-real');
      expect(real.at(-1)).toMatch(/^429 .*rate_limited/);
      expect(await sequence('en-imaginary')).toEqual(real);
      // Even the right password is throttled then: the limit cannot be used as an oracle either.
      const right = await fetch(`${strict.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'en-real', password: TEST_PASSWORD }),
      });
      expect(right.status).toBe(429);
    } finally {
      await strict.stop();
    }
  }, 30_000);
});

describe('oversize input', () => {
  it('an HTTP body over 16 KiB is refused in the common error shape', async () => {
    const r = await http('POST', '/api/login', JSON.stringify({ username: 'a', password: 'p'.repeat(20_000) }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('schema limits: long strings and long lists are bad_request, and nothing is relayed', async () => {
    const alice = await device(server, 'os-alice');
    const bob = await device(server, 'os-bob');
    const call = await answered(alice, 'os-bob', bob);
    await untouched([bob], async () => {
      const cases: [string, unknown][] = [
        ['call:signal', { callId: call.callId, signal: { type: 'offer', sdp: 'x'.repeat(32_001) } }],
        ['call:signal', { callId: call.callId, signal: { type: 'ice', candidate: { candidate: 'c'.repeat(1_025) } } }],
        ['call:signal', { callId: call.callId, signal: { type: 'dtmf', digits: '1'.repeat(33) } }],
        ['directory:search', { query: 'q'.repeat(81) }],
        ['presence:subscribe', { userIds: Array.from({ length: 501 }, (_, i) => `u${i}`) }],
        ['session:sync', { calls: Array.from({ length: 17 }, (_, i) => `c${i}`) }],
        ['call:hangup', { callId: 'x'.repeat(65) }],
        ['history:list', { cursor: 'c'.repeat(129) }],
      ];
      for (const [event, payload] of cases) {
        expect(await rawEmit(alice, event, payload), event).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      }
    });
    await alice.request('call:hangup', { callId: call.callId });
  });

  it('a socket message over the size cap drops only the sender’s connection', async () => {
    const capped = await startTestServer({ maxMessageBytes: 64 * 1024 });
    try {
      const alice = await device(capped, 'cap-alice');
      const bob = await device(capped, 'cap-bob');
      const mallory = await device(capped, 'cap-mallory');
      const call = await answered(alice, 'cap-bob', bob);
      const dropped = new Promise((resolve) => mallory.signaling.socket.once('disconnect', resolve));
      mallory.signaling.socket.emit('call:signal', { callId: call.callId, signal: { type: 'offer', sdp: 'x'.repeat(70_000) } }, () => {});
      await dropped;
      await alice.request('call:signal', { callId: call.callId, signal: { type: 'hold', held: false } });
      await bob.waitFor('call:signal', (p) => p.signal.type === 'hold');
      expect(alice.signaling.connected && bob.signaling.connected).toBe(true);
      await alice.request('call:hangup', { callId: call.callId });
    } finally {
      await capped.stop();
    }
  });
});

describe('floods', () => {
  it('invites over the per-user budget are answered rate_limited and ring nothing', async () => {
    const limited = await startTestServer({ inviteRatePerMinute: 3 });
    try {
      const bob = await device(limited, 'fl-bob');
      const mallory = await device(limited, 'fl-mallory');
      const acks = [];
      for (let i = 0; i < 8; i++) acks.push(await rawEmit(mallory, 'call:invite', { to: { username: 'fl-bob' }, callId: `flood-${i}` }));
      const accepted = acks.filter((a) => a.ok);
      const refused = acks.filter((a) => !a.ok);
      expect(accepted).toHaveLength(3);
      expect(refused.map((a) => a.error.code)).toEqual(Array(5).fill('rate_limited'));
      expect(refused[0].error.details.retryAfterMs).toBeGreaterThan(0);
      await bob.flush();
      expect(bob.count('call:incoming')).toBe(3);
      for (let i = 3; i < 8; i++) expect(await limited.storage.history.getJournal(`flood-${i}`)).toBeUndefined();
      // Someone else's budget is their own.
      const alice = await device(limited, 'fl-alice');
      expect((await alice.request('call:invite', { to: { username: 'fl-bob' } })).call.state).toBe('ringing');
    } finally {
      await limited.stop();
    }
  });
});

describe('prototype-named identifiers', () => {
  it('a device called "constructor" that drops mid-call ends the call after the grace period like any other', async () => {
    const grace = await startTestServer({ callReconnectGraceMs: 1_000 });
    try {
      const caller = await device(grace, 'pk-alice', { deviceId: 'constructor' });
      const bob = await device(grace, 'pk-bob', { deviceId: '__proto__' });
      const call = await answered(caller, 'pk-bob', bob);
      caller.close();
      const ended = await bob.waitFor('call:ended', (p) => p.call.callId === call.callId, 6_000);
      expect(ended.call).toMatchObject({ outcome: 'completed', endReason: 'device_lost' });
      expect(await grace.storage.history.recordsForCall(call.callId)).toHaveLength(2);
    } finally {
      await grace.stop();
    }
  });
});
