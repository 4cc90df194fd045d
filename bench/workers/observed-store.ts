/**
 * A MemoryStore that tells when the core writes its session. The core
 * persists the session as the last step of its post-connect sync, so the
 * first session write after a `connected` event means "connected and synced".
 */
import { MemoryStore } from '../../src/core/ports.js';
import type { Softphone } from '../../src/core/softphone.js';

export class ObservedStore extends MemoryStore {
  onSessionWrite: () => void = () => {};
  override async set(key: string, value: unknown): Promise<void> {
    await super.set(key, value);
    if (key === 'session') this.onSessionWrite();
  }
}

/** Calls `onSynced` (once per arming) the first time the core is connected and synced. */
export class SyncWatcher {
  private sawConnect = false;
  syncedAt: number | null = null;
  private listener: (() => void) | null = null;

  constructor(core: Softphone, store: ObservedStore) {
    core.on('connection', (c) => {
      if (c === 'connected') this.sawConnect = true;
    });
    store.onSessionWrite = () => {
      if (!this.sawConnect || this.syncedAt !== null) return;
      this.syncedAt = Date.now();
      this.listener?.();
    };
  }

  /** Forget the last sync: the next one (after a reconnect) is reported again. */
  rearm(): void {
    this.sawConnect = false;
    this.syncedAt = null;
    this.listener = null;
  }

  synced(timeoutMs: number): Promise<boolean> {
    if (this.syncedAt !== null) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.listener = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
