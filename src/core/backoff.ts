/**
 * Reconnect delays: exponential backoff with "full jitter" (a random delay
 * between 0 and the exponential cap), so thousands of clients that lost the
 * same server do not come back in lock-step.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    const cap = Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const r = (this.opts.random ?? Math.random)();
    // Never below a small floor, so a flapping network does not spin.
    return Math.max(Math.min(100, cap), Math.round(cap * r));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
