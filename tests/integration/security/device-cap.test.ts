/**
 * Devices per account are capped (MAX_DEVICES_PER_USER): a new device id beyond the cap
 * evicts the least recently seen offline device, with its push registration; with every
 * device online the handshake is refused `rate_limited`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectDevice, expectHandshakeRefused, type TestDevice } from '../../helpers/device.js';
import { fcmToken } from '../../helpers/push-standins.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const open: TestDevice[] = [];

beforeAll(async () => {
  server = await startTestServer({ maxDevicesPerUser: 3 });
});
afterAll(async () => {
  for (const d of open) d.close();
  await server.stop();
});

async function device(deviceId: string): Promise<TestDevice> {
  const d = await connectDevice(server, 'capped', { deviceId, kind: 'android' });
  open.push(d);
  return d;
}

async function offline(d: TestDevice): Promise<void> {
  d.close();
  await vi.waitFor(async () => expect(await server.live.devices.get(d.userId, d.deviceId)).toBeUndefined(), { timeout: 3_000 });
}

describe('device cap', () => {
  it('a new device beyond the cap evicts the least recently seen offline one; all online → rate_limited', async () => {
    const oldest = await device('cap-1');
    await oldest.request('push:register', { provider: 'fcm', token: fcmToken() });
    await offline(oldest);
    const second = await device('cap-2');
    await offline(second);
    await device('cap-3');
    const userId = oldest.userId;
    expect((await server.storage.accounts.listDevices(userId)).map((d) => d.id).sort()).toEqual(['cap-1', 'cap-2', 'cap-3']);

    await device('cap-4');
    const ids = (await server.storage.accounts.listDevices(userId)).map((d) => d.id).sort();
    expect(ids).toEqual(['cap-2', 'cap-3', 'cap-4']);
    expect(await server.storage.push.getPushRegistration('cap-1')).toBeUndefined();

    await device('cap-5'); // evicts cap-2, the only offline one
    expect((await server.storage.accounts.listDevices(userId)).map((d) => d.id).sort()).toEqual(['cap-3', 'cap-4', 'cap-5']);

    const { accessToken } = await server.login('capped');
    const refused = await expectHandshakeRefused(server, {
      token: accessToken,
      deviceId: 'cap-6',
      deviceKind: 'android',
      deviceName: 'one too many',
      appVersion: 'test',
    });
    expect(refused.data?.code).toBe('rate_limited');
    expect(await server.storage.accounts.listDevices(userId)).toHaveLength(3);
    // A known device reconnects at the cap.
    const again = await device('cap-3');
    await expect(again.request('session:ping', {})).resolves.toMatchObject({ now: expect.any(Number) });
  });
});
