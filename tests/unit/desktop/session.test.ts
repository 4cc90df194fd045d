import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { DEVICE_ID_KEY, autoLoginFromEnv, loadOrCreateDeviceId } from '../../../src/main/app/session.js';

describe('desktop session helpers', () => {
  it('creates the device id once and keeps it', async () => {
    const store = new MemoryStore();
    const id = await loadOrCreateDeviceId(store);
    expect(id).toMatch(/^desktop-[0-9a-f-]{36}$/);
    expect(await loadOrCreateDeviceId(store)).toBe(id);
    await store.set(DEVICE_ID_KEY, 'bad id!');
    expect(await loadOrCreateDeviceId(store)).not.toBe('bad id!');
  });

  it('auto sign-in needs all three variables', () => {
    expect(autoLoginFromEnv({})).toBeNull();
    expect(autoLoginFromEnv({ SOFTPHONE_AUTOLOGIN_SERVER: 'http://localhost:4000', SOFTPHONE_AUTOLOGIN_USERNAME: 'alice' })).toBeNull();
    expect(
      autoLoginFromEnv({
        SOFTPHONE_AUTOLOGIN_SERVER: ' http://localhost:4000 ',
        SOFTPHONE_AUTOLOGIN_USERNAME: 'alice',
        SOFTPHONE_AUTOLOGIN_PASSWORD: 'pw',
      }),
    ).toEqual({ serverUrl: 'http://localhost:4000', username: 'alice', password: 'pw' });
  });
});
