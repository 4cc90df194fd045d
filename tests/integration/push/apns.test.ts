/**
 * iOS: a phone with no socket is woken by an APNs VoIP push, connects, claims
 * and answers. Real server, real socket.io clients, a TLS HTTP/2 APNs
 * stand-in on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncomingCallPush, CallEndedPush, type PushRegisterRequest } from '../../../src/shared/protocol/index.js';
import { generateDeviceKey, openSealed, sealedInfo } from '../../../src/server/push/e2e.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import {
  apnsSigningKey,
  apnsToken,
  pushConfig,
  startApnsStandIn,
  type ApnsSigningKey,
  type ApnsStandIn,
} from '../../helpers/push-standins.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const BUNDLE = 'com.example.softphone';
let server: TestServer;
let apns: ApnsStandIn;
let key: ApnsSigningKey;
const open: TestDevice[] = [];

beforeAll(async () => {
  apns = await startApnsStandIn();
  key = apnsSigningKey();
  server = await startTestServer({ ringTimeoutMs: 8_000, pushRetryBaseMs: 50, ...pushConfig({ apns, apnsKey: key, bundleId: BUNDLE }) });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
  await apns.close();
});

async function device(username: string, opts: Parameters<typeof connectDevice>[2] = {}) {
  const d = await connectDevice(server, username, opts);
  open.push(d);
  return d;
}

/** A phone signs in and registers its VoIP token over HTTP, without ever opening a socket. */
async function sleepingIphone(username: string, extra: Partial<Extract<PushRegisterRequest, { provider: 'apns' }>> = {}) {
  await server.addUser(username);
  const tokens = await server.login(username);
  const deviceId = `${username}-iphone-${Math.random().toString(36).slice(2, 8)}`;
  const token = apnsToken();
  const res = await fetch(`${server.url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.accessToken}` },
    body: JSON.stringify({ deviceId, deviceName: 'iPhone', provider: 'apns', token, bundleId: BUNDLE, environment: 'production', ...extra }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body).toMatchObject({ deviceId, provider: 'apns', active: true });
  return { deviceId, token, accessToken: tokens.accessToken };
}

const ringsFor = (token: string, callId: string) => (r: { token: string; payload: any }) =>
  r.token === token && r.payload?.callId === callId && r.payload?.type === 'incoming-call';
const endsFor = (token: string, callId: string) => (r: { token: string; payload: any }) =>
  r.token === token && r.payload?.callId === callId && r.payload?.type === 'call-ended';

describe('APNs VoIP wake-up', () => {
  it('pushes a sleeping iPhone at once; it connects, claims, answers; two history records', async () => {
    const phone = await sleepingIphone('ava');
    const caller = await device('ben');

    const sentAt = performance.now();
    const { call } = await caller.request('call:invite', { to: { username: 'ava' } });
    const push = await apns.waitForRequest(ringsFor(phone.token, call.callId), 5_000);
    // Product requirement: 50 ms from invite to push (measured by the benchmark); logged here.
    console.log(`APNs VoIP push received ${(push.receivedAt - sentAt).toFixed(1)} ms after the invite was sent`);

    // A correctly formed VoIP push.
    expect(push.method).toBe('POST');
    expect(push.path).toBe(`/3/device/${phone.token}`);
    expect(push.headers).toMatchObject({
      'apns-push-type': 'voip',
      'apns-topic': `${BUNDLE}.voip`,
      'apns-priority': '10',
      'apns-expiration': '0',
    });
    expect(push.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = await apns.verifyProviderToken(push, key);
    expect(claims.iss).toBe(key.teamId);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(3_600);
    const payload = IncomingCallPush.parse(push.payload);
    expect(payload).toMatchObject({
      v: 1,
      type: 'incoming-call',
      callId: call.callId,
      expiresAt: call.ringDeadline,
      call: { caller: { username: 'ben', displayName: 'Ben' }, createdAt: call.createdAt },
    });
    expect(payload.enc).toBeUndefined();
    // Nobody else was pushed: the caller has no push registration, the call is still pending.
    const ringing = await caller.waitFor('call:ringing', (p) => p.call.callId === call.callId);
    expect(ringing.ringingDevices).toBe(0);

    // The woken phone: normal handshake, claim, ring, answer.
    const iphone = await device('ava', { deviceId: phone.deviceId, kind: 'ios', token: phone.accessToken });
    const claimed = await iphone.request('call:claim', { callId: call.callId });
    expect(claimed.call.state).toBe('ringing');
    await iphone.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    const accepted = await iphone.request('call:accept', { callId: call.callId });
    expect(accepted.call.answeredDeviceId).toBe(phone.deviceId);
    const answered = await caller.waitFor('call:answered', (p) => p.call.callId === call.callId);
    expect(answered.call.answeredDeviceId).toBe(phone.deviceId);

    await caller.request('call:hangup', { callId: call.callId });
    await iphone.waitFor('call:ended', (p) => p.call.callId === call.callId);
    const records = await server.storage.history.recordsForCall(call.callId);
    expect(records).toHaveLength(2);
    expect(records.map((r) => r.outcome)).toEqual(['completed', 'completed']);

    // The phone that answered is never sent "call ended".
    await server.push.idle();
    expect(apns.requests.filter(endsFor(phone.token, call.callId))).toHaveLength(0);
    iphone.close();
  });

  it('pushes the phone too when another device of the callee is online', async () => {
    const phone = await sleepingIphone('cleo');
    const desk = await device('cleo');
    const caller = await device('dan');
    const { call } = await caller.request('call:invite', { to: { username: 'cleo' } });
    await desk.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await apns.waitForRequest(ringsFor(phone.token, call.callId));
    // The desk answers: ringing stopped, so the phone gets "call ended" to take its CallKit UI down.
    await desk.request('call:accept', { callId: call.callId });
    const ended = await apns.waitForRequest(endsFor(phone.token, call.callId));
    expect(CallEndedPush.parse(ended.payload).call).toEqual({ reason: 'answered-elsewhere' });
    expect(ended.headers['apns-push-type']).toBe('voip');
    // A late claim from the phone: gone, and the details say where the call went.
    const iphone = await device('cleo', { deviceId: phone.deviceId, kind: 'ios', token: phone.accessToken });
    await expect(iphone.request('call:claim', { callId: call.callId })).rejects.toMatchObject({
      code: 'gone',
      details: { call: { state: 'answered', answeredDeviceId: desk.deviceId } },
    });
    await caller.request('call:hangup', { callId: call.callId });
  });

  it('a claim after the caller cancelled gets gone with the outcome; a cancel push was sent', async () => {
    const phone = await sleepingIphone('eli');
    const caller = await device('fay');
    const { call } = await caller.request('call:invite', { to: { username: 'eli' } });
    await apns.waitForRequest(ringsFor(phone.token, call.callId));
    await caller.request('call:cancel', { callId: call.callId });

    const cancel = await apns.waitForRequest(endsFor(phone.token, call.callId));
    expect(CallEndedPush.parse(cancel.payload)).toMatchObject({ type: 'call-ended', callId: call.callId, call: { reason: 'cancelled' } });
    expect(cancel.headers).toMatchObject({ 'apns-push-type': 'voip', 'apns-topic': `${BUNDLE}.voip`, 'apns-priority': '10' });

    const iphone = await device('eli', { deviceId: phone.deviceId, kind: 'ios', token: phone.accessToken });
    await expect(iphone.request('call:claim', { callId: call.callId })).rejects.toMatchObject({
      code: 'gone',
      details: { outcome: 'cancelled', endReason: 'cancelled' },
    });
  });

  it('a claim after the ring timed out gets gone with outcome missed', async () => {
    const short = await startTestServer({ ringTimeoutMs: 1_000, ...pushConfig({ apns, apnsKey: key, bundleId: BUNDLE }) });
    try {
      await short.addUser('gus');
      const tokens = await short.login('gus');
      const token = apnsToken();
      const reg = await fetch(`${short.url}/api/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.accessToken}` },
        body: JSON.stringify({ deviceId: 'gus-iphone', provider: 'apns', token, bundleId: BUNDLE, environment: 'sandbox' }),
      });
      expect(reg.status).toBe(200);
      const caller = await connectDevice(short, 'hal');
      const { call } = await caller.request('call:invite', { to: { username: 'gus' } });
      await apns.waitForRequest(ringsFor(token, call.callId));
      await caller.waitFor('call:ended', (p) => p.call.callId === call.callId, 5_000);
      const ended = await apns.waitForRequest(endsFor(token, call.callId));
      expect(ended.payload.call).toEqual({ reason: 'missed' });
      const phone = await connectDevice(short, 'gus', { deviceId: 'gus-iphone', kind: 'ios', token: tokens.accessToken });
      await expect(phone.request('call:claim', { callId: call.callId })).rejects.toMatchObject({
        code: 'gone',
        details: { outcome: 'missed', endReason: 'timeout' },
      });
      phone.close();
      caller.close();
    } finally {
      await short.stop();
    }
  });
});

describe('APNs answers', () => {
  it('410 Unregistered: the token is removed and never pushed again', async () => {
    const phone = await sleepingIphone('ida');
    apns.respond(phone.token, { status: 410, body: { reason: 'Unregistered', timestamp: Date.now() } });
    const caller = await device('jon');
    const first = await caller.request('call:invite', { to: { username: 'ida' } });
    const rejected = await apns.waitForRequest(ringsFor(phone.token, first.call.callId));
    expect(rejected.status).toBe(410);
    await server.push.idle();
    expect(await server.storage.push.getPushRegistration(phone.deviceId)).toBeUndefined();
    await caller.request('call:cancel', { callId: first.call.callId });

    const second = await caller.request('call:invite', { to: { username: 'ida' } });
    await caller.waitFor('call:ringing', (p) => p.call.callId === second.call.callId);
    await server.push.idle();
    expect(apns.requests.filter((r) => r.token === phone.token)).toHaveLength(1);
    await caller.request('call:cancel', { callId: second.call.callId });
  });

  it('400 BadDeviceToken removes the token too', async () => {
    const phone = await sleepingIphone('kim');
    apns.respond(phone.token, { status: 400, body: { reason: 'BadDeviceToken' } });
    const caller = await device('lea');
    const { call } = await caller.request('call:invite', { to: { username: 'kim' } });
    await apns.waitForRequest(ringsFor(phone.token, call.callId));
    await server.push.idle();
    expect(await server.storage.push.getPushRegistration(phone.deviceId)).toBeUndefined();
    await caller.request('call:cancel', { callId: call.callId });
  });

  it('500 then 200: delivered once, after a retry', async () => {
    const phone = await sleepingIphone('max');
    apns.respond(phone.token, { status: 500, body: { reason: 'InternalServerError' } });
    const caller = await device('ned');
    const { call } = await caller.request('call:invite', { to: { username: 'max' } });
    const delivered = await apns.waitForRequest((r) => ringsFor(phone.token, call.callId)(r) && r.status === 200);
    await server.push.idle();
    const attempts = apns.requests.filter(ringsFor(phone.token, call.callId));
    expect(attempts.map((r) => r.status)).toEqual([500, 200]);
    expect(delivered.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(20);
    expect(await server.storage.push.getPushRegistration(phone.deviceId)).toBeDefined();
    await caller.request('call:cancel', { callId: call.callId });
  });

  it('429 with Retry-After: the retry waits at least that long', async () => {
    const phone = await sleepingIphone('ola');
    apns.respond(phone.token, { status: 429, body: { reason: 'TooManyRequests' }, headers: { 'retry-after': '1' } });
    const caller = await device('pia');
    const { call } = await caller.request('call:invite', { to: { username: 'ola' } });
    const retried = await apns.waitForRequest((r) => ringsFor(phone.token, call.callId)(r) && r.status === 200, 5_000);
    const attempts = apns.requests.filter(ringsFor(phone.token, call.callId));
    expect(attempts.map((r) => r.status)).toEqual([429, 200]);
    expect(retried.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(990);
    await caller.request('call:cancel', { callId: call.callId });
  });

  it('persistent 503: bounded retries, then gives up; the call flow is not delayed', async () => {
    const phone = await sleepingIphone('quy');
    const failures = Array.from({ length: 10 }, () => ({ status: 503, body: { reason: 'ServiceUnavailable' } }));
    apns.respond(phone.token, ...failures);
    const caller = await device('ray');
    const t0 = performance.now();
    const { call } = await caller.request('call:invite', { to: { username: 'quy' } });
    expect(performance.now() - t0).toBeLessThan(1_000);
    await apns.waitForRequest(ringsFor(phone.token, call.callId));
    await caller.request('call:cancel', { callId: call.callId });
    await server.push.idle();
    const attempts = apns.requests.filter(ringsFor(phone.token, call.callId)).length;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(server.config.pushMaxAttempts);
  });
});

describe('end-to-end encrypted payloads (HPKE)', () => {
  it('the provider sees only the routing fields and an opaque blob the phone can open', async () => {
    const devKey = await generateDeviceKey();
    const phone = await sleepingIphone('sue', { e2e: devKey.key });
    const caller = await device('tim');
    const { call } = await caller.request('call:invite', { to: { username: 'sue' } });
    const push = await apns.waitForRequest(ringsFor(phone.token, call.callId));
    const payload = IncomingCallPush.parse(push.payload);
    expect(payload.call).toBeUndefined();
    expect(payload.enc).toMatchObject({ scheme: 'hpke-v1' });
    // Nothing about the caller in clear (random base64 could contain any short name, so check ids and keys).
    expect(push.body).not.toContain(caller.userId);
    expect(push.body).not.toContain('displayName');
    const details = await openSealed(devKey.keyPair, payload.enc!, sealedInfo(payload));
    expect(details).toEqual({ caller: { id: caller.userId, username: 'tim', displayName: 'Tim' }, createdAt: call.createdAt });
    // The clear fields are authenticated: another call id, or a stretched deadline, and the box does not open.
    await expect(openSealed(devKey.keyPair, payload.enc!, sealedInfo({ ...payload, callId: 'another-call' }))).rejects.toThrow();
    await expect(openSealed(devKey.keyPair, payload.enc!, sealedInfo({ ...payload, expiresAt: payload.expiresAt + 60_000 }))).rejects.toThrow();
    await expect(openSealed(devKey.keyPair, payload.enc!, sealedInfo({ ...payload, sentAt: payload.sentAt + 1 }))).rejects.toThrow();
    // Another device's key cannot open it.
    const other = await generateDeviceKey();
    await expect(openSealed(other.keyPair, payload.enc!, sealedInfo(payload))).rejects.toThrow();

    await caller.request('call:cancel', { callId: call.callId });
    const ended = await apns.waitForRequest(endsFor(phone.token, call.callId));
    const endedPayload = CallEndedPush.parse(ended.payload);
    expect(endedPayload.call).toBeUndefined();
    expect(await openSealed(devKey.keyPair, endedPayload.enc!, sealedInfo(endedPayload))).toEqual({ reason: 'cancelled' });
    // Not movable between kinds of push: the ended box does not open as an incoming call.
    await expect(openSealed(devKey.keyPair, endedPayload.enc!, sealedInfo({ ...endedPayload, type: 'incoming-call' }))).rejects.toThrow();
  });
});
