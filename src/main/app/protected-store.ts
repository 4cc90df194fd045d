/**
 * A KeyValueStore that encrypts chosen keys at rest. The core keeps its
 * refresh token under `session`; on the desktop that value is encrypted
 * with the OS keystore (Electron safeStorage) whenever one is available,
 * so a copied settings file does not sign anyone in.
 */
import type { CoreLogger, KeyValueStore } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { SecretCipher } from './ports.js';

type Envelope = { v: 1; enc: string } | { v: 1; plain: unknown };

function isEnvelope(x: unknown): x is Envelope {
  return typeof x === 'object' && x !== null && (x as { v?: unknown }).v === 1 && ('enc' in x || 'plain' in x);
}

export class ProtectedKeyValueStore implements KeyValueStore {
  constructor(
    private readonly inner: KeyValueStore,
    private readonly cipher: SecretCipher,
    private readonly protectedKeys: ReadonlySet<string> = new Set(['session']),
    private readonly log: CoreLogger = silentLogger,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.inner.get<unknown>(key);
    if (!this.protectedKeys.has(key) || raw === undefined) return raw as T | undefined;
    if (!isEnvelope(raw)) {
      // Written before encryption existed: upgrade it in place.
      await this.set(key, raw);
      return raw as T;
    }
    if ('plain' in raw) {
      // Saved while no keystore was available; encrypt it now if one is.
      if (this.cipher.isAvailable()) await this.set(key, raw.plain);
      return raw.plain as T;
    }
    try {
      return JSON.parse(this.cipher.decrypt(raw.enc)) as T;
    } catch (err) {
      // The keystore changed (new OS user, reset keyring): the secret is
      // unreadable. Forget it; the user signs in again.
      this.log.warn('could not decrypt a stored secret; discarding it', { key, error: String(err) });
      await this.inner.delete(key);
      return undefined;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    if (!this.protectedKeys.has(key)) return this.inner.set(key, value);
    const envelope: Envelope = this.cipher.isAvailable()
      ? { v: 1, enc: this.cipher.encrypt(JSON.stringify(value)) }
      : { v: 1, plain: value };
    await this.inner.set(key, envelope);
  }

  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
  }
}
