/**
 * Push registration: who may register what, replacement, removal on logout /
 * sign-out / device removal, and a server without push configuration.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePassword } from '../../../src/server/accounts.js';
import { generateDeviceKey } from '../../../src/server/push/e2e.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import {
  apnsSigningKey,
  apnsToken,
  fcmToken,
  pushConfig,
  startApnsStandIn,
  type ApnsStandIn,
} from '../../helpers/push-standins.js';
import { startTestServer, tempDir, TEST_PASSWORD, type TestServer } from '../../helpers/server.js';

const BUNDLE = 'com.example.softphone';
let server: TestServer;
let apns: ApnsStandIn;
const open: TestDevice[] = [];

beforeAll(async () => {
  apns = await startApnsStandIn();
  server = await startTestServer({ ...pushConfig({ apns, apnsKey: apnsSigningKey(), bundleId: BUNDLE }) });
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

async function http(method: string, path: string, body: unknown, accessToken?: string) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: any = await res.json();
  return { status: res.status, body: json };
}

const apnsBody = (deviceId: string, extra: Record<string, unknown> = {}) => ({
  deviceId,
  provider: 'apns',
  token: apnsToken(),
  bundleId: BUNDLE,
  environment: 'production',
  ...extra,
});

describe('who may register', () => {
  it("refuses a device id that belongs to another user (HTTP register and unregister)", async () => {
    const victim = await device('vera', { kind: 'ios' });
    await victim.request('push:register', { provider: 'apns', token: apnsToken(), bundleId: BUNDLE, environment: 'production' });
    await server.addUser('mallory');
    const { accessToken } = await server.login('mallory');

    const hijack = await http('POST', '/api/push', apnsBody(victim.deviceId), accessToken);
    expect(hijack.status).toBe(403);
    expect(hijack.body.error.code).toBe('forbidden');
    const drop = await http('DELETE', `/api/push/${victim.deviceId}`, undefined, accessToken);
    expect(drop.status).toBe(403);
    // Logout naming someone else's device removes nothing.
    const session = await server.login('mallory');
    expect((await http('POST', '/api/logout', { refreshToken: session.refreshToken, deviceId: victim.deviceId })).status).toBe(200);
    expect(await server.storage.push.getPushRegistration(victim.deviceId)).toBeDefined();
  });

  it('needs a valid access token', async () => {
    expect((await http('POST', '/api/push', apnsBody('nobody-1'))).status).toBe(401);
    expect((await http('POST', '/api/push', apnsBody('nobody-1'), 'not-a-token-at-all')).status).toBe(401);
  });

  it('validates what it stores, with clear errors', async () => {
    const phone = await device('walt', { kind: 'ios' });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ provider: 'apns', token: 'xyz', bundleId: BUNDLE, environment: 'production' }, /token/],
      [{ provider: 'apns', token: apnsToken(), bundleId: BUNDLE, environment: 'staging' }, /environment/],
      [{ provider: 'apns', token: apnsToken(), bundleId: 'com.other.app', environment: 'production' }, /does not push to the app com\.other\.app/],
      [{ provider: 'fcm', token: 'short' }, /token/],
      [{ provider: 'webpush', token: fcmToken() }, /provider/],
      [{ provider: 'fcm', token: fcmToken(), e2e: { scheme: 'hpke-v1', publicKey: 'AAAA' } }, /publicKey/],
      // Right length, but not a point on P-256.
      [{ provider: 'fcm', token: fcmToken(), e2e: { scheme: 'hpke-v1', publicKey: Buffer.alloc(65, 4).toString('base64url') } }, /not a valid P-256/],
      // The home-made ECIES format of earlier builds is not accepted any more.
      [{ provider: 'fcm', token: fcmToken(), e2e: { alg: 'p256', publicKey: Buffer.alloc(65, 4).toString('base64url') } }, /scheme|alg/],
      [{ provider: 'fcm', token: fcmToken(), e2e: { scheme: 'hpke-v2', publicKey: Buffer.alloc(65, 4).toString('base64url') } }, /scheme/],
      [{ provider: 'fcm', token: fcmToken(), extra: 1 }, /.+/],
    ];
    for (const [payload, message] of bad) {
      await expect(phone.request('push:register', payload as never), JSON.stringify(payload)).rejects.toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(message),
      });
    }
    expect(await server.storage.push.getPushRegistration(phone.deviceId)).toBeUndefined();
    const ok = await phone.request('push:register', { provider: 'fcm', token: fcmToken(), e2e: (await generateDeviceKey()).key });
    expect(ok).toMatchObject({ provider: 'fcm', e2e: true, active: false }); // FCM is not configured on this server
  });
});

describe('replacement and removal', () => {
  it('one registration per device, replaced on change', async () => {
    const phone = await device('xena', { kind: 'ios' });
    const first = apnsToken();
    const second = apnsToken();
    await phone.request('push:register', { provider: 'apns', token: first, bundleId: BUNDLE, environment: 'sandbox' });
    await phone.request('push:register', { provider: 'apns', token: second.toUpperCase(), bundleId: BUNDLE, environment: 'production' });
    const reg = await server.storage.push.getPushRegistration(phone.deviceId);
    expect(reg).toMatchObject({ token: second, environment: 'production', provider: 'apns' });
    expect(await server.storage.push.listPushRegistrations(phone.userId)).toHaveLength(1);
  });

  it("a token moves between one account's devices; another account's live registration is not taken over", async () => {
    const token = apnsToken();
    const a = await device('yoko', { kind: 'ios' });
    await a.request('push:register', { provider: 'apns', token, bundleId: BUNDLE, environment: 'production' });
    const a2 = await device('yoko', { kind: 'ios' });
    await a2.request('push:register', { provider: 'apns', token, bundleId: BUNDLE, environment: 'production' });
    expect(await server.storage.push.getPushRegistration(a.deviceId)).toBeUndefined();
    expect((await server.storage.push.getPushRegistration(a2.deviceId))?.userId).toBe(a2.userId);
    const b = await device('zack', { kind: 'ios' });
    await expect(
      b.request('push:register', { provider: 'apns', token, bundleId: BUNDLE, environment: 'production' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect((await server.storage.push.getPushRegistration(a2.deviceId))?.token).toBe(token);
  });

  it('push:unregister, DELETE /api/push and logout with deviceId remove it', async () => {
    const phone = await device('abby', { kind: 'android' });
    await phone.request('push:register', { provider: 'fcm', token: fcmToken() });
    expect(await phone.request('push:unregister', {})).toEqual({ removed: true });
    expect(await phone.request('push:unregister', {})).toEqual({ removed: false });

    const session = await server.login('abby');
    const reg = await http('POST', '/api/push', apnsBody('abby-iphone', { appVersion: '2.1.0' }), session.accessToken);
    expect(reg.status).toBe(200);
    // Registering before any socket connection created the device row.
    expect(await server.storage.accounts.getDevice('abby-iphone')).toMatchObject({ userId: phone.userId, kind: 'ios', appVersion: '2.1.0' });
    expect((await http('DELETE', '/api/push/abby-iphone', undefined, session.accessToken)).body).toEqual({ removed: true });

    await http('POST', '/api/push', apnsBody('abby-iphone'), session.accessToken);
    expect((await http('POST', '/api/logout', { refreshToken: session.refreshToken, deviceId: 'abby-iphone' })).status).toBe(200);
    expect(await server.storage.push.getPushRegistration('abby-iphone')).toBeUndefined();
  });

  it('removing the device removes its registration', async () => {
    const phone = await device('bea', { kind: 'android' });
    await phone.request('push:register', { provider: 'fcm', token: fcmToken() });
    phone.close();
    await server.storage.accounts.removeDevice(phone.deviceId);
    expect(await server.storage.push.getPushRegistration(phone.deviceId)).toBeUndefined();
  });

  it('a signed-out session gets no more pushes (password change), and its registration is dropped', async () => {
    await server.addUser('cara');
    const session = await server.login('cara');
    const body = apnsBody('cara-iphone');
    expect((await http('POST', '/api/push', body, session.accessToken)).status).toBe(200);
    await changePassword(server.storage.accounts, 'cara', `${TEST_PASSWORD} 2`);

    const caller = await device('dora');
    const { call } = await caller.request('call:invite', { to: { username: 'cara' } });
    await caller.waitFor('call:ringing', (p) => p.call.callId === call.callId);
    await server.push.idle();
    expect(apns.requests.filter((r) => r.token === body.token)).toHaveLength(0);
    expect(await server.storage.push.getPushRegistration('cara-iphone')).toBeUndefined();
    await caller.request('call:cancel', { callId: call.callId });
  });
});

describe('without push configuration', () => {
  it('starts, says once that push is off, stores registrations and calls still ring', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const plain = await startTestServer({}, { logger: pino({ level: 'info' }, sink) });
    try {
      const off = lines.filter((l) => l.push === 'off');
      expect(off).toHaveLength(1);
      expect(off[0]!.msg).toMatch(/push notifications off/);
      expect(lines.some((l) => l.push === 'on')).toBe(false);

      const phone = await connectDevice(plain, 'eve', { kind: 'ios' });
      const res = await phone.request('push:register', { provider: 'apns', token: apnsToken(), bundleId: 'any.bundle.id', environment: 'sandbox' });
      expect(res).toMatchObject({ active: false, e2e: false });
      phone.close();
      const caller = await connectDevice(plain, 'finn');
      const { call } = await caller.request('call:invite', { to: { username: 'eve' } });
      expect(call.state).toBe('ringing');
      await caller.request('call:cancel', { callId: call.callId });
      await plain.push.idle();
      caller.close();
    } finally {
      await plain.stop();
    }
  });

  it('a partial APNs configuration fails the start with a clear message', async () => {
    await expect(startTestServer({ dataDir: tempDir(), apnsKeyId: 'ABC123DEFG' })).rejects.toThrow(
      /APNs is partly configured; also set APNS_KEY_FILE, APNS_TEAM_ID, APNS_BUNDLE_ID/,
    );
  });
});
