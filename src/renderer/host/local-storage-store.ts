/** The core's KeyValueStore on the page's localStorage (web softphone). */
import type { KeyValueStore } from '../../core/ports.js';

export class LocalStorageStore implements KeyValueStore {
  constructor(
    private readonly storage: Storage = localStorage,
    private readonly prefix = 'softphone:',
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.storage.getItem(this.prefix + key);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      // A corrupt entry is treated as absent rather than breaking start-up.
      return undefined;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    this.storage.setItem(this.prefix + key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.storage.removeItem(this.prefix + key);
  }
}
