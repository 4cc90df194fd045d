/**
 * Waiting in tests without fixed sleeps: poll a condition every few ms and fail with a
 * named reason once a bound (several times the expected time) has passed.
 */

export interface WaitOptions {
  /** Give up after this long; pick several times the time the behaviour is allowed. */
  timeoutMs?: number;
  /** How often the condition is checked. */
  everyMs?: number;
}

/** Resolves as soon as `condition` holds (it may be async); rejects naming `what` after the timeout. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 5_000, everyMs = 5 }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Lets `ms` pass on purpose, to check that something does NOT happen within a window
 * when there is no later event that would prove it. Callers say what they rule out.
 */
export async function quietFor(ms: number, _ruledOut: string): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
