/**
 * Holds the latest session snapshot from the host and lets React (and the
 * media engine) subscribe to it. The host pushes a full snapshot on every
 * change; the renderer never derives session state on its own.
 */
import type { SessionState, SoftphoneApi } from '../../shared/contract.js';
import { log } from '../log.js';

type Listener = (state: SessionState) => void;

export class SessionStore {
  private state: SessionState | null = null;
  private readonly listeners = new Set<Listener>();
  /** Bumped on every pushed snapshot, so a slower initial fetch cannot overwrite a newer push. */
  private version = 0;

  constructor(private readonly api: SoftphoneApi) {
    api.on('session', (s) => {
      this.version++;
      this.set(s);
    });
  }

  /** Fetches the current snapshot (start-up, and after a renderer reload). */
  async load(): Promise<SessionState> {
    const before = this.version;
    const s = await this.api.invoke('session.state', {});
    if (this.version === before) this.set(s);
    return this.state ?? s;
  }

  get current(): SessionState | null {
    return this.state;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SessionState | null => this.state;

  private set(s: SessionState): void {
    this.state = s;
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch (err) {
        log.error('session listener failed', err);
      }
    }
  }
}
