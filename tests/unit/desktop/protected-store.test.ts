import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { ProtectedKeyValueStore } from '../../../src/main/app/protected-store.js';
import type { SecretCipher } from '../../../src/main/app/ports.js';

/** A reversible stand-in for safeStorage (the real one needs Electron and an OS keystore). */
function cipher(available = true, key = 7): SecretCipher & { available: boolean } {
  const shift = (s: string, k: number) => Buffer.from([...Buffer.from(s)].map((b) => (b + k) & 0xff)).toString('base64');
  const unshift = (s: string, k: number) => Buffer.from([...Buffer.from(s, 'base64')].map((b) => (b - k) & 0xff)).toString();
  return {
    available,
    isAvailable() {
      return this.available;
    },
    encrypt: (p) => `v1:${shift(p, key)}`,
    decrypt: (c) => {
      if (!c.startsWith('v1:')) throw new Error('bad ciphertext');
      const plain = unshift(c.slice(3), key);
      JSON.parse(plain); // a wrong key yields garbage
      return plain;
    },
  };
}

const session = { serverUrl: 'https://pbx.example', refreshToken: 'rt-secret-123', user: { id: 'u1', username: 'alice', displayName: 'Alice' } };

describe('ProtectedKeyValueStore', () => {
  it('encrypts the session at rest and reads it back; other keys stay plain', async () => {
    const inner = new MemoryStore();
    const store = new ProtectedKeyValueStore(inner, cipher());
    await store.set('session', session);
    await store.set('settings', { startAtLogin: true });
    expect(JSON.stringify(await inner.get('session'))).not.toContain('rt-secret-123');
    expect(await inner.get('settings')).toEqual({ startAtLogin: true });
    expect(await store.get('session')).toEqual(session);
    await store.delete('session');
    expect(await store.get('session')).toBeUndefined();
  });

  it('stores plainly without a keystore, and encrypts once one appears', async () => {
    const inner = new MemoryStore();
    const c = cipher(false);
    const store = new ProtectedKeyValueStore(inner, c);
    await store.set('session', session);
    expect(await inner.get('session')).toEqual({ v: 1, plain: session });
    c.available = true;
    expect(await store.get('session')).toEqual(session);
    expect(JSON.stringify(await inner.get('session'))).not.toContain('rt-secret-123');
  });

  it('upgrades a value written before encryption existed', async () => {
    const inner = new MemoryStore();
    await inner.set('session', session);
    const store = new ProtectedKeyValueStore(inner, cipher());
    expect(await store.get('session')).toEqual(session);
    expect(JSON.stringify(await inner.get('session'))).not.toContain('rt-secret-123');
  });

  it('forgets a secret the keystore can no longer decrypt (the user signs in again)', async () => {
    const inner = new MemoryStore();
    await new ProtectedKeyValueStore(inner, cipher(true, 7)).set('session', session);
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const other = new ProtectedKeyValueStore(inner, cipher(true, 99), new Set(['session']), log);
    expect(await other.get('session')).toBeUndefined();
    expect(await inner.get('session')).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });
});
