/** A seeded device's signaling link, connected (the core's `Signaling`, as a real client). */
import { Signaling } from '../../src/core/signaling.js';
import type { SeededDevice } from './seed.js';

export async function connectSeeded(url: string, u: SeededDevice, deviceName: string): Promise<Signaling> {
  const link = new Signaling({
    serverUrl: url,
    auth: () => ({ token: u.accessToken, deviceId: u.deviceId, deviceKind: 'desktop', deviceName, appVersion: 'bench' }),
  });
  await new Promise<void>((resolve, reject) => {
    link.socket.once('connect', () => resolve());
    link.socket.once('connect_error', (err) => reject(err));
    link.connect();
  });
  return link;
}
