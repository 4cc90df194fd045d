/**
 * Persistence: electron-store (JSON in the user-data folder, atomic
 * writes) behind the core's KeyValueStore port, and safeStorage as the
 * cipher for secrets.
 */
import Store from 'electron-store';
import { safeStorage } from 'electron';
import type { KeyValueStore } from '../../core/ports.js';
import type { SecretCipher } from '../app/ports.js';

export function electronKeyValueStore(name = 'softphone'): KeyValueStore {
  const store = new Store<Record<string, unknown>>({ name, clearInvalidConfig: true });
  return {
    async get<T>(key: string) {
      return store.get(key) as T | undefined;
    },
    async set(key, value) {
      if (value === undefined) store.delete(key);
      else store.set(key, value);
    },
    async delete(key) {
      store.delete(key);
    },
  };
}

/** Only after `app` is ready. */
export const safeStorageCipher: SecretCipher = {
  isAvailable() {
    if (!safeStorage.isEncryptionAvailable()) return false;
    // On Linux without a keyring Chromium falls back to a hard-coded key: that is not protection.
    return process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
  },
  encrypt(plain) {
    return safeStorage.encryptString(plain).toString('base64');
  },
  decrypt(cipherText) {
    return safeStorage.decryptString(Buffer.from(cipherText, 'base64'));
  },
};
