/**
 * Revocation while a socket lives (docs/security.md, "Revocation"): `user passwd` and
 * `user remove` run in their own process (the real CLI here) and the running server closes
 * the user's open sockets within 1 s; a socket that outlived its access token is refused on
 * its next event and closed.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, expectHandshakeRefused, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let clockOffsetMs = 0;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { clock: () => Date.now() + clockOffsetMs });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

/** Runs the real CLI against the server's data dir, as an operator would. */
function cli(args: string[], input?: string): Promise<{ code: number | null; stderr: string; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['src/server/cli.ts', ...args, '--data-dir', server.dataDir], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr, endedAt: performance.now() }));
    child.stdin.end(input ?? '');
  });
}

/** Records the disconnect from now on; `within(ms)` then waits for it at most `ms` more. */
function watchDisconnect(d: TestDevice) {
  const seen = new Promise<{ reason: string; at: number }>((resolve) => {
    d.signaling.socket.once('disconnect', (reason) => resolve({ reason, at: performance.now() }));
  });
  return {
    within: (timeoutMs = 3_000) =>
      Promise.race([
        seen,
        new Promise<never>((_, reject) => {
          setTimeout(() => reject(new Error(`${d.deviceId} still connected after ${timeoutMs} ms`)), timeoutMs).unref();
        }),
      ]),
  };
}

async function device(username: string): Promise<TestDevice> {
  const d = await connectDevice(server, username);
  open.push(d);
  return d;
}

describe('revocation of open sockets', () => {
  it('`user passwd` in another process disconnects the user\'s sockets within 1 s; their token no longer connects', { timeout: 60_000 }, async () => {
    await server.addUser('rev-alice');
    const tokens = await server.login('rev-alice');
    const [a1, a2, other] = [await device('rev-alice'), await device('rev-alice'), await device('rev-bob')];
    const [w1, w2] = [watchDisconnect(a1), watchDisconnect(a2)];
    const run = await cli(['user', 'passwd', 'rev-alice', '--password-stdin'], 'a-brand-new-password\n');
    expect(run.code, run.stderr).toBe(0);
    const [d1, d2] = await Promise.all([w1.within(), w2.within()]);
    const lag = Math.max(d1.at, d2.at) - run.endedAt;
    console.info(`user passwd → sockets disconnected ${Math.round(lag)} ms after the CLI exited`);
    expect(lag).toBeLessThan(1_000);
    expect(d1.reason).toBe('io server disconnect');
    // Another user's socket is untouched.
    await expect(other.request('session:ping', {})).resolves.toMatchObject({ now: expect.any(Number) });
    // A token issued before the change no longer opens a socket.
    const refused = await expectHandshakeRefused(server, {
      token: tokens.accessToken,
      deviceId: 'rev-alice-again',
      deviceKind: 'desktop',
      deviceName: 'x',
      appVersion: 'test',
    });
    expect(refused.data?.code).toBe('unauthorized');
  });

  it('`user remove` in another process disconnects the user\'s socket within 1 s', { timeout: 60_000 }, async () => {
    const d = await device('rev-carol');
    const watch = watchDisconnect(d);
    const run = await cli(['user', 'remove', 'rev-carol']);
    expect(run.code, run.stderr).toBe(0);
    const { at } = await watch.within();
    console.info(`user remove → socket disconnected ${Math.round(at - run.endedAt)} ms after the CLI exited`);
    expect(at - run.endedAt).toBeLessThan(1_000);
  });

  it('a socket whose access token expired is refused on its next event and closed', async () => {
    const d = await device('rev-dave');
    await expect(d.request('session:ping', {})).resolves.toMatchObject({ now: expect.any(Number) });
    clockOffsetMs = (server.config.accessTokenTtlSec + 1) * 1000;
    try {
      const watch = watchDisconnect(d);
      await expect(d.request('session:ping', {})).rejects.toMatchObject({ code: 'unauthorized' });
      expect((await watch.within()).reason).toBe('io server disconnect');
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('a socket handed its refreshed token (session:token) keeps working past the first token; another session\'s token is refused', async () => {
    const ttlMs = server.config.accessTokenTtlSec * 1000;
    await server.addUser('rev-erin');
    const first = await server.login('rev-erin');
    const d = await connectDevice(server, 'rev-erin', { token: first.accessToken });
    open.push(d);
    try {
      // The client refreshes ahead of expiry and hands the new token to its open socket.
      clockOffsetMs = Math.floor(ttlMs * 0.8);
      const fresh = await server.api.refresh(first.refreshToken);
      const renewed = await d.request('session:token', { token: fresh.accessToken });
      expect(renewed.expiresAt).toBeGreaterThan(Date.now() + ttlMs);
      clockOffsetMs = ttlMs + 1_000;
      await expect(d.request('session:ping', {})).resolves.toMatchObject({ now: expect.any(Number) });
      // A token of another sign-in of the same user is not this socket's session.
      const other = await server.login('rev-erin');
      await expect(d.request('session:token', { token: other.accessToken })).rejects.toMatchObject({ code: 'forbidden' });
    } finally {
      clockOffsetMs = 0;
    }
  });
});
