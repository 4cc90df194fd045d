/**
 * Revocation on PostgreSQL + Redis (docs/security.md): a password change written through one
 * connection (here node A's store, as the CLI would with DATABASE_URL) closes the user's
 * sockets on every node within 1 s, and removal does too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePassword } from '../../../src/server/accounts.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { startPostgres, startRedis, type PostgresService, type RedisService } from '../../helpers/services.js';

let redis: RedisService;
let postgres: PostgresService;
let a: TestServer;
let b: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const databaseUrl = await postgres.createDatabase('revocation');
  const shared = { redisUrl: redis.url, databaseUrl, nodeTimeoutMs: 2_000 };
  [a, b] = await Promise.all([
    startTestServer({ ...shared, nodeId: 'rev-a' }),
    startTestServer({ ...shared, nodeId: 'rev-b' }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const d of open) d.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

function disconnectedWithin(d: TestDevice, timeoutMs = 3_000): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${d.deviceId} still connected after ${timeoutMs} ms`)), timeoutMs);
    d.signaling.socket.once('disconnect', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

describe('revocation across nodes (PostgreSQL + Redis)', () => {
  it('a password change closes the user\'s sockets on both nodes within 1 s; removal likewise', async () => {
    const onA = await connectDevice(a, 'rc-erin');
    const onB = await connectDevice(b, 'rc-erin');
    const other = await connectDevice(b, 'rc-finn');
    open.push(onA, onB, other);
    const gone = Promise.all([disconnectedWithin(onA), disconnectedWithin(onB)]);
    await changePassword(a.storage.accounts, 'rc-erin', 'another-password-9');
    const lags = await gone;
    console.info(`PostgreSQL: password change → sockets closed after ${lags.map(Math.round).join(' / ')} ms`);
    expect(Math.max(...lags)).toBeLessThan(1_000);
    await expect(other.request('session:ping', {})).resolves.toMatchObject({ now: expect.any(Number) });

    const removed = disconnectedWithin(other);
    const finn = await b.storage.accounts.getUserByUsername('rc-finn');
    await a.storage.accounts.removeUser(finn!.id);
    expect(await removed).toBeLessThan(1_000);
  });
});
