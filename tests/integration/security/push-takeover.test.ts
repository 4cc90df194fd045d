/**
 * A push token another account holds is not silently taken over (docs/mobile.md): the
 * registration is refused `conflict`, the holder keeps being woken. Once the holder's session
 * is signed out (the phone changed hands), the token may be registered by the new account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { fcmToken } from '../../helpers/push-standins.js';
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

async function phone(username: string) {
  await server.addUser(username);
  const session = await server.login(username);
  const d = await connectDevice(server, username, { kind: 'android', token: session.accessToken });
  open.push(d);
  return { d, session };
}

describe('push-token takeover', () => {
  it("registering another account's token is refused with conflict, until that session signs out", async () => {
    const token = fcmToken();
    const victim = await phone('pt-victim');
    await victim.d.request('push:register', { provider: 'fcm', token });
    const mallory = await phone('pt-mallory');
    await expect(mallory.d.request('push:register', { provider: 'fcm', token })).rejects.toMatchObject({ code: 'conflict' });
    expect(await server.storage.push.getPushRegistration(victim.d.deviceId)).toMatchObject({ userId: victim.d.userId, token });
    expect(await server.storage.push.getPushRegistration(mallory.d.deviceId)).toBeUndefined();

    // The owner signs out on that phone; a new account signing in on it may take the token.
    await server.api.logout(victim.session.refreshToken);
    await expect(mallory.d.request('push:register', { provider: 'fcm', token })).resolves.toMatchObject({ provider: 'fcm' });
    expect(await server.storage.push.getPushRegistration(victim.d.deviceId)).toBeUndefined();
    expect(await server.storage.push.getPushRegistration(mallory.d.deviceId)).toMatchObject({ userId: mallory.d.userId, token });
  });
});
