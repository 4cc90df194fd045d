/**
 * Android: a phone whose socket is gone is woken by an FCM HTTP v1 data
 * message (OAuth token from the service account's token_uri), reconnects,
 * claims and answers. TLS HTTP/2 stand-ins for FCM and the OAuth endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncomingCallPush } from '../../../src/shared/protocol/index.js';
import { generateDeviceKey, openSealed, sealedInfo } from '../../../src/server/push/e2e.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { FCM_UNREGISTERED, fcmToken, pushConfig, startFcmStandIn, type FcmStandIn } from '../../helpers/push-standins.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let fcm: FcmStandIn;
const open: TestDevice[] = [];
const RING_MS = 8_000;

beforeAll(async () => {
  fcm = await startFcmStandIn();
  server = await startTestServer({ ringTimeoutMs: RING_MS, pushRetryBaseMs: 50, ...pushConfig({ fcm }) });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
  await fcm.close();
});

async function device(username: string, opts: Parameters<typeof connectDevice>[2] = {}) {
  const d = await connectDevice(server, username, opts);
  open.push(d);
  return d;
}

/** The app registers its FCM token over its socket, then goes to the background (socket closed). */
async function backgroundedAndroid(username: string, e2e?: Awaited<ReturnType<typeof generateDeviceKey>>['key']) {
  const phone = await device(username, { kind: 'android' });
  const token = fcmToken();
  const res = await phone.request('push:register', { provider: 'fcm', token, ...(e2e ? { e2e } : {}) });
  expect(res).toEqual({ deviceId: phone.deviceId, provider: 'fcm', e2e: !!e2e, active: true });
  phone.close();
  // The server notices the socket is gone (presence goes offline) before the test calls.
  await expect.poll(async () => (await server.live.devices.list(phone.userId)).length).toBe(0);
  return { deviceId: phone.deviceId, token };
}

const ringsFor = (token: string, callId: string) => (r: { token: string; payload: any }) =>
  r.token === token && r.payload?.message?.data?.callId === callId && r.payload?.message?.data?.type === 'incoming-call';

describe('FCM wake-up', () => {
  it('gets an OAuth token from the service account token_uri, with a verifiable assertion', async () => {
    const t = await fcm.waitForTokenRequest((r) => r.status === 200, 10_000);
    expect(t.form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    // The stand-in verified the RS256 signature with the account's public key, aud = token_uri, and a lifetime of at most 1 h.
    expect(t.claims).toMatchObject({ iss: fcm.clientEmail, scope: 'https://www.googleapis.com/auth/firebase.messaging' });
    expect(t.claims!.aud).toBe(fcm.tokenUri);
    expect(t.claims!.exp! - t.claims!.iat!).toBe(3600);
    expect(t.error).toBeUndefined();
  });

  it('one access token serves many pushes; when FCM refuses it (401) a new one is fetched and the push still arrives', async () => {
    const phone = await backgroundedAndroid('ida');
    const caller = await device('jon');
    const first = await caller.request('call:invite', { to: { username: 'ida' } });
    await fcm.waitForRequest((r) => ringsFor(phone.token, first.call.callId)(r) && r.status === 200);
    await caller.request('call:cancel', { callId: first.call.callId });
    await fcm.waitForRequest(
      (r) => r.token === phone.token && r.payload?.message?.data?.callId === first.call.callId && r.payload?.message?.data?.type === 'call-ended' && r.status === 200,
    );
    const tokensBefore = fcm.tokenRequests.filter((r) => r.status === 200).length;
    expect(tokensBefore).toBe(1); // fetched at start, reused ever since

    fcm.revokeAccessTokens();
    const second = await caller.request('call:invite', { to: { username: 'ida' } });
    const refused = await fcm.waitForRequest((r) => ringsFor(phone.token, second.call.callId)(r) && r.status === 401);
    const delivered = await fcm.waitForRequest((r) => ringsFor(phone.token, second.call.callId)(r) && r.status === 200);
    expect(delivered.headers.authorization).not.toBe(refused.headers.authorization);
    expect(fcm.tokenRequests.filter((r) => r.status === 200)).toHaveLength(tokensBefore + 1);
    await caller.request('call:cancel', { callId: second.call.callId });
  });

  it('pushes a backgrounded Android phone; it reconnects, claims, answers; two history records', async () => {
    const phone = await backgroundedAndroid('uma');
    const caller = await device('vic');

    const sentAt = performance.now();
    const { call } = await caller.request('call:invite', { to: { username: 'uma' } });
    const push = await fcm.waitForRequest(ringsFor(phone.token, call.callId), 5_000);
    console.log(`FCM push received ${(push.receivedAt - sentAt).toFixed(1)} ms after the invite was sent`);

    expect(push.method).toBe('POST');
    expect(push.path).toBe(`/v1/projects/${fcm.projectId}/messages:send`);
    expect(fcm.issuedTokens).toContain(push.headers.authorization!.replace(/^Bearer /, ''));
    expect(push.status).toBe(200);
    const { message } = push.payload;
    // Data-only (no `notification`: the app decides how to ring), high priority, short TTL.
    expect(Object.keys(message).sort()).toEqual(['android', 'data', 'token']);
    expect(message.token).toBe(phone.token);
    expect(message.android.priority).toBe('high');
    const ttl = Number(/^(\d+)s$/.exec(message.android.ttl)?.[1]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RING_MS / 1000);
    for (const v of Object.values(message.data)) expect(typeof v).toBe('string');
    const payload = IncomingCallPush.parse({
      ...message.data,
      v: Number(message.data.v),
      sentAt: Number(message.data.sentAt),
      expiresAt: Number(message.data.expiresAt),
      call: JSON.parse(message.data.call),
    });
    expect(payload).toMatchObject({ callId: call.callId, expiresAt: call.ringDeadline, call: { caller: { username: 'vic' } } });

    const android = await device('uma', { deviceId: phone.deviceId, kind: 'android' });
    await android.request('call:claim', { callId: call.callId });
    await android.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await android.request('call:accept', { callId: call.callId });
    const answered = await caller.waitFor('call:answered', (p) => p.call.callId === call.callId);
    expect(answered.call.answeredDeviceId).toBe(phone.deviceId);
    await android.request('call:hangup', { callId: call.callId });
    await caller.waitFor('call:ended', (p) => p.call.callId === call.callId);
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
  });

  it('sends a call-ended data message when the caller cancels', async () => {
    const phone = await backgroundedAndroid('wes');
    const caller = await device('xia');
    const { call } = await caller.request('call:invite', { to: { username: 'wes' } });
    await fcm.waitForRequest(ringsFor(phone.token, call.callId));
    await caller.request('call:cancel', { callId: call.callId });
    const ended = await fcm.waitForRequest(
      (r) => r.token === phone.token && r.payload?.message?.data?.type === 'call-ended' && r.payload.message.data.callId === call.callId,
    );
    expect(JSON.parse(ended.payload.message.data.call)).toEqual({ reason: 'cancelled' });
    expect(ended.payload.message.android.priority).toBe('high');
  });

  it('UNREGISTERED: the token is removed and never pushed again', async () => {
    const phone = await backgroundedAndroid('yul');
    fcm.respond(phone.token, FCM_UNREGISTERED);
    const caller = await device('zed');
    const first = await caller.request('call:invite', { to: { username: 'yul' } });
    await fcm.waitForRequest(ringsFor(phone.token, first.call.callId));
    await server.push.idle();
    expect(await server.storage.push.getPushRegistration(phone.deviceId)).toBeUndefined();
    await caller.request('call:cancel', { callId: first.call.callId });
    const second = await caller.request('call:invite', { to: { username: 'yul' } });
    await caller.waitFor('call:ringing', (p) => p.call.callId === second.call.callId);
    await server.push.idle();
    expect(fcm.requests.filter((r) => r.token === phone.token)).toHaveLength(1);
    await caller.request('call:cancel', { callId: second.call.callId });
  });

  it('INVALID_ARGUMENT about the token removes it; 503 with Retry-After is retried', async () => {
    const bad = await backgroundedAndroid('abe');
    fcm.respond(bad.token, {
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'The registration token is not a valid FCM registration token',
          status: 'INVALID_ARGUMENT',
          details: [
            { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' },
            { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.token', description: 'Invalid registration token' }] },
          ],
        },
      },
    });
    const busy = await backgroundedAndroid('abe');
    fcm.respond(busy.token, {
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE', details: [] } },
    });
    const caller = await device('bo');
    const { call } = await caller.request('call:invite', { to: { username: 'abe' } });
    const retried = await fcm.waitForRequest((r) => ringsFor(busy.token, call.callId)(r) && r.status === 200, 5_000);
    const attempts = fcm.requests.filter(ringsFor(busy.token, call.callId));
    expect(attempts.map((r) => r.status)).toEqual([503, 200]);
    expect(retried.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(990);
    await server.push.idle();
    expect(await server.storage.push.getPushRegistration(bad.deviceId)).toBeUndefined();
    expect(await server.storage.push.getPushRegistration(busy.deviceId)).toBeDefined();
    await caller.request('call:cancel', { callId: call.callId });
  });

  it('E2E: data carries only routing fields and a sealed box', async () => {
    const key = await generateDeviceKey();
    const phone = await backgroundedAndroid('cy', key.key);
    const caller = await device('di');
    const { call } = await caller.request('call:invite', { to: { username: 'cy' } });
    const push = await fcm.waitForRequest(ringsFor(phone.token, call.callId));
    const data = push.payload.message.data;
    expect(Object.keys(data).sort()).toEqual(['callId', 'enc', 'expiresAt', 'sentAt', 'type', 'v']);
    expect(push.body).not.toContain(caller.userId);
    expect(push.body).not.toContain('displayName');
    // FCM data values are strings: the numbers go back to numbers before they form the HPKE info.
    const routing = { v: Number(data.v), type: data.type, callId: data.callId, sentAt: Number(data.sentAt), expiresAt: Number(data.expiresAt) };
    expect(await openSealed(key.keyPair, JSON.parse(data.enc), sealedInfo(routing))).toMatchObject({
      caller: { username: 'di' },
    });
    await caller.request('call:cancel', { callId: call.callId });
  });
});
