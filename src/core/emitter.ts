/** A minimal typed event emitter that runs anywhere (no Node `events`). */
import { silentLogger, type CoreLogger } from './ports.js';

export type Listener<T> = (payload: T) => void;

export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** `log` receives listeners' failures (the core has no console: the host decides where logs go). */
  constructor(private readonly listenerLog: CoreLogger = silentLogger) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        (l as Listener<Events[K]>)(payload);
      } catch (err) {
        // A faulty listener must not break the session loop.
        this.listenerLog.error(`listener for ${String(event)} failed`, { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
