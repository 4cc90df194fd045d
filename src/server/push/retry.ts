/**
 * Retry policy for push requests: exponential backoff with jitter, never
 * sooner than the provider's Retry-After, bounded by attempts and by a
 * deadline (a ring push that would arrive after the ring ended is useless).
 */

/** Retry-After is either delta-seconds or an HTTP date. Returns ms, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface BackoffOptions {
  baseMs: number;
  /** Ceiling of the exponential part (Retry-After may ask for more). */
  maxMs?: number;
  random?: () => number;
}

/**
 * Delay before retry number `retry` (1 = first retry): "equal jitter" — half
 * the exponential step fixed, half random — so simultaneous failures spread
 * out without ever retrying immediately. At least `retryAfterMs`.
 */
export function backoffDelay(retry: number, retryAfterMs: number | undefined, o: BackoffOptions): number {
  const step = Math.min(o.maxMs ?? 30_000, o.baseMs * 2 ** (retry - 1));
  const jittered = step / 2 + (o.random ?? Math.random)() * (step / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
