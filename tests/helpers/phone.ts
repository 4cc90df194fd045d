/** A real softphone core (the code the desktop main process runs), in this Node process. */
import { randomUUID } from 'node:crypto';
import { MemoryStore } from '../../src/core/ports.js';
import { Softphone, type SoftphoneOptions } from '../../src/core/softphone.js';
import type { SessionState } from '../../src/shared/contract.js';
import type { DeviceKind } from '../../src/shared/protocol/index.js';
import { TEST_PASSWORD, type TestServer } from './server.js';

export function createPhone(
  username: string,
  kind: DeviceKind = 'desktop',
  opts: Partial<SoftphoneOptions> = {},
): Softphone {
  return new Softphone({
    device: { deviceId: `${username}-${kind}-${randomUUID().slice(0, 6)}`, kind, name: `${username} ${kind}`, appVersion: 'test' },
    store: new MemoryStore(),
    reconnectBaseMs: 100,
    reconnectMaxMs: 1_000,
    ...opts,
  });
}

/** Resolves with the first state (current or future) that satisfies the predicate. */
export function waitForState(
  phone: Softphone,
  predicate: (s: SessionState) => boolean,
  timeoutMs = 5_000,
  what = 'state',
): Promise<SessionState> {
  const now = phone.snapshot();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(phone.snapshot()).slice(0, 600)}`));
    }, timeoutMs);
    const off = phone.on('state', (s) => {
      if (!predicate(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

export async function signIn(server: TestServer, username: string, kind: DeviceKind = 'desktop', opts: Partial<SoftphoneOptions> = {}) {
  await server.addUser(username);
  const phone = createPhone(username, kind, opts);
  await phone.login(server.url, username, TEST_PASSWORD);
  await waitForState(phone, (s) => s.connection === 'connected' && s.history !== undefined, 5_000, 'connected');
  return phone;
}
