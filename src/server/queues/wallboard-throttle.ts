/**
 * When the wallboard is recomputed and pushed: at most once per `minIntervalMs` (280 ms by
 * default: 4 updates a second, with room for network jitter, so a device never sees 5
 * inside one second) and soon after a change. A change (`poke`) runs the job `delayMs` later
 * (so the events of one operation, e.g. a call ending and its agent going to wrap-up, make one
 * push), or, when the last run ended less than `minIntervalMs` ago, the moment that interval is
 * over. Pokes during a run make one more run after it. Runs never overlap, and the interval
 * is counted from the end of a run, where the push happens, so two pushes are never closer
 * than `minIntervalMs` however long a run takes. A change waits at most
 * max(delayMs, minIntervalMs) + one run: well under the 1 s the wallboard allows.
 */

export interface ThrottleTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  // A wallboard timer never keeps the process alive (shutdown stops them anyway).
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface ThrottleOptions {
  minIntervalMs: number;
  delayMs: number;
  timers: ThrottleTimers;
  /** A run that threw (logged by the owner; the next poke runs again). */
  onError(err: unknown): void;
}

export class UpdateThrottle {
  private timer: unknown = null;
  private running = false;
  private again = false;
  private lastDoneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly o: ThrottleOptions,
  ) {}

  /** Something changed: run soon (no-op when a run is already due). */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) return;
    const now = this.o.timers.now();
    const at = Math.max(now + this.o.delayMs, this.lastDoneAt + this.o.minIntervalMs);
    this.timer = this.o.timers.setTimeout(() => void this.fire(), Math.max(0, at - now));
  }

  /** Nobody listens any more: drop a due run (a later poke starts again). */
  cancel(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
    this.again = false;
  }

  private async fire(): Promise<void> {
    this.timer = null;
    this.running = true;
    try {
      await this.run();
    } catch (err) {
      this.o.onError(err);
    } finally {
      this.running = false;
      this.lastDoneAt = this.o.timers.now();
      if (this.again) {
        this.again = false;
        this.poke();
      }
    }
  }
}
