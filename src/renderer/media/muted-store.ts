import type { KeyValueStorage } from './media-edges.js';

/**
 * The user's mute choice for one call, kept where a reloaded window finds it
 * (sessionStorage in the browser), so a reload never unmutes the microphone.
 */
export class MutedStore {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly callId: string,
  ) {}

  private get key(): string {
    return `softphone:muted:${this.callId}`;
  }

  load(): boolean {
    return this.storage.getItem(this.key) === '1';
  }

  save(muted: boolean): void {
    if (muted) this.storage.setItem(this.key, '1');
    else this.storage.removeItem(this.key);
  }

  /** The call is over: nothing to restore. */
  clear(): void {
    this.storage.removeItem(this.key);
  }
}
