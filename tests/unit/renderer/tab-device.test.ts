/**
 * Every tab of the web softphone is a device of its own (the server keeps
 * one connection per device id). Web Locks are modelled with their
 * `ifAvailable` semantics; the real API is exercised by the e2e test where
 * two tabs of one browser profile both ring (tests/e2e/never-miss-a-call.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { claimTabDevice, slotKey, type Locks } from '../../../src/renderer/host/tab-device.js';

class MemoryStorage implements Storage {
  private readonly data = new Map<string, string>();
  get length() {
    return this.data.size;
  }
  clear() {
    this.data.clear();
  }
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  key(i: number) {
    return [...this.data.keys()][i] ?? null;
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
  copy(): MemoryStorage {
    const c = new MemoryStorage();
    for (const [k, v] of this.data) c.setItem(k, v);
    return c;
  }
}

/** One browser profile's lock manager; each tab gets a view whose locks go when the tab closes. */
class Browser {
  private readonly held = new Map<string, object>();
  readonly local = new MemoryStorage();

  tab(): { locks: Locks; close(): void } {
    const owner = {};
    return {
      locks: {
        request: async (name, _opts, callback) => {
          if (this.held.has(name)) return callback(null);
          this.held.set(name, owner);
          return callback({ name, mode: 'exclusive' });
        },
      },
      close: () => {
        for (const [name, o] of this.held) if (o === owner) this.held.delete(name);
      },
    };
  }
}

describe('claimTabDevice', () => {
  it('gives two tabs of one profile different ids, and the same ids again when they come back', async () => {
    const browser = new Browser();
    const [t1, t2] = [browser.tab(), browser.tab()];
    const a = await claimTabDevice(browser.local, new MemoryStorage(), t1.locks);
    const b = await claimTabDevice(browser.local, new MemoryStorage(), t2.locks);
    expect(a.slot).toBe(0);
    expect(b.slot).toBe(1);
    expect(a.deviceId).not.toBe(b.deviceId);
    expect(a.deviceId).toMatch(/^web-[0-9a-f-]{36}$/);

    // The first tab reloads (its lock goes with the old page): it is the same device again.
    t1.close();
    const again = await claimTabDevice(browser.local, new MemoryStorage(), browser.tab().locks);
    expect(again).toEqual(a);
  });

  it('keeps the id earlier versions stored for the profile as the first tab’s', async () => {
    const browser = new Browser();
    browser.local.setItem('softphone:deviceId', 'web-existing-device');
    expect(slotKey(0)).toBe('softphone:deviceId');
    expect(await claimTabDevice(browser.local, new MemoryStorage(), browser.tab().locks)).toEqual({ deviceId: 'web-existing-device', slot: 0 });
    // A corrupt stored id is replaced, not used.
    browser.local.setItem(slotKey(1), 'not an id!');
    const second = await claimTabDevice(browser.local, new MemoryStorage(), browser.tab().locks);
    expect(second.deviceId).toMatch(/^web-/);
    expect(browser.local.getItem(slotKey(1))).toBe(second.deviceId);
  });

  it('with every slot taken, a tab keeps an id of its own; a duplicated tab (copied sessionStorage) gets another', async () => {
    const browser = new Browser();
    for (let i = 0; i < 2; i++) await claimTabDevice(browser.local, new MemoryStorage(), browser.tab().locks, 2);
    const session = new MemoryStorage();
    const own = await claimTabDevice(browser.local, session, browser.tab().locks, 2);
    expect(own.slot).toBeNull();
    expect(session.getItem('softphone:deviceId')).toBe(own.deviceId);

    const duplicate = await claimTabDevice(browser.local, session.copy(), browser.tab().locks, 2);
    expect(duplicate.slot).toBeNull();
    expect(duplicate.deviceId).not.toBe(own.deviceId);
  });

  it('without Web Locks (or when they fail) the tab keeps an id in sessionStorage', async () => {
    const local = new MemoryStorage();
    const session = new MemoryStorage();
    const first = await claimTabDevice(local, session, undefined);
    expect(first.slot).toBeNull();
    expect(await claimTabDevice(local, session, undefined)).toEqual(first);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const failing: Locks = { request: () => Promise.reject(new DOMException('opaque origin', 'SecurityError')) };
    expect(await claimTabDevice(local, session, failing)).toEqual(first);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
