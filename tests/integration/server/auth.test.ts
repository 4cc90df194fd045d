import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/protocol/index.js';
import { connectDevice, expectHandshakeRefused } from '../../helpers/device.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('alice', 'Alice Liddell');
});
afterAll(() => server.stop());

async function post(pathname: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('login', () => {
  it('returns a short-lived access token, a refresh token and the user', async () => {
    const r = await post('/api/login', { username: 'alice', password: TEST_PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ username: 'alice', displayName: 'Alice Liddell' });
    expect(r.body.accessToken.split('.')).toHaveLength(3);
    expect(typeof r.body.refreshToken).toBe('string');
    expect(r.body.expiresIn).toBeGreaterThan(0);
    expect(r.body.expiresIn).toBeLessThanOrEqual(3600);
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const wrong = await post('/api/login', { username: 'alice', password: 'nope' });
    const unknown = await post('/api/login', { username: 'mallory', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('rejects malformed bodies with bad_request in the common error shape', async () => {
    for (const body of ['{', '[]', '{"username": 5}', JSON.stringify({ username: 'a'.repeat(5000), password: 'x' })]) {
      const r = await post('/api/login', body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
  });
});

describe('refresh tokens', () => {
  it('rotate on every use', async () => {
    const first = await server.login('alice');
    const second = await server.api.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await server.api.refresh(second.refreshToken);
    expect(third.user.username).toBe('alice');
  });

  it('reuse of a rotated token revokes the whole family', async () => {
    const first = await server.login('alice');
    const second = await server.api.refresh(first.refreshToken);
    // An attacker replays the old token…
    await expect(server.api.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'unauthorized' });
    // …and the legitimate holder's newer token is dead too.
    await expect(server.api.refresh(second.refreshToken)).rejects.toMatchObject({ code: 'unauthorized' });
    // So is the access token of that session, at the socket handshake.
    const refused = await expectHandshakeRefused(server, {
      token: second.accessToken,
      deviceId: 'dev-revoked',
      deviceKind: 'desktop',
      deviceName: 'x',
      appVersion: 'test',
    });
    expect(refused.data?.code).toBe('unauthorized');
  });

  it('logout revokes the session', async () => {
    const t = await server.login('alice');
    await server.api.logout(t.refreshToken);
    await expect(server.api.refresh(t.refreshToken)).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe('socket handshake', () => {
  const auth = (token: string) => ({ token, deviceId: 'dev-1', deviceKind: 'desktop', deviceName: 'Laptop', appVersion: '1.0.0' });

  it('accepts a valid token with device details', async () => {
    const d = await connectDevice(server, 'alice', { kind: 'web' });
    const sync = await d.request('session:sync', { calls: [] });
    expect(sync.user.username).toBe('alice');
    d.close();
  });

  it('refuses a missing, malformed, forged or expired token', async () => {
    const secrets = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'secrets.json'), 'utf8')) as { jwtSecret: string };
    const alice = await server.storage.accounts.getUserByUsername('alice');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new SignJWT({ fam: 'f' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice!.id)
      .setIssuer('softphone')
      .setAudience('softphone-client')
      .setIssuedAt(past)
      .setExpirationTime(past + 60)
      .sign(new TextEncoder().encode(secrets.jwtSecret));
    const forged = await new SignJWT({ fam: 'f' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice!.id)
      .setIssuer('softphone')
      .setAudience('softphone-client')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('not-the-server-secret-at-all-0123456789'));

    const cases: [string, Record<string, unknown>][] = [
      ['no auth', {}],
      ['no device id', { token: 'x'.repeat(20), deviceKind: 'desktop', deviceName: 'a', appVersion: '1' }],
      ['garbage token', auth('garbage-garbage-garbage')],
      ['forged', auth(forged)],
      ['expired', auth(expired)],
    ];
    for (const [name, a] of cases) {
      const err = await expectHandshakeRefused(server, a);
      expect(err.data?.code, name).toBe('unauthorized');
    }
    const err = await expectHandshakeRefused(server, auth(expired));
    expect(err.message).toMatch(/expired/);
  });

  it("refuses a deleted user's token", async () => {
    await server.addUser('temp');
    const t = await server.login('temp');
    const temp = await server.storage.accounts.getUserByUsername('temp');
    await server.storage.accounts.removeUser(temp!.id);
    const err = await expectHandshakeRefused(server, auth(t.accessToken));
    expect(err.data?.code).toBe('unauthorized');
  });
});

describe('TURN credentials', () => {
  it('follow the TURN REST convention', async () => {
    const t = await server.login('alice');
    const turn = await server.api.turn(t.accessToken);
    const [expiry, user] = turn.username.split(':');
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000);
    expect(user).toBe(t.user.id);
    const { createHmac } = await import('node:crypto');
    const secrets = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'secrets.json'), 'utf8')) as { turnSecret: string };
    expect(turn.credential).toBe(createHmac('sha1', secrets.turnSecret).update(turn.username).digest('base64'));
  });

  it('need a bearer token', async () => {
    const res = await fetch(`${server.url}/api/turn`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('health', () => {
  it('reports alive and ready', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
