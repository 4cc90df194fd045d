/**
 * The wallboard's push schedule (src/server/queues/wallboard-throttle.ts) on a virtual clock:
 * at most 4 pushes in any second however often things change, none later than 1 s after a
 * change, one run at a time, and a slow run does not bring two pushes closer together.
 */
import { describe, expect, it } from 'vitest';
import { UpdateThrottle } from '../../../src/server/queues/wallboard-throttle.js';
import { VirtualTimers } from './virtual-timers.js';

function setup(runMs = 0) {
  const timers = new VirtualTimers();
  const pushes: number[] = [];
  let running = 0;
  let overlapped = false;
  const throttle = new UpdateThrottle(
    async () => {
      running++;
      if (running > 1) overlapped = true;
      if (runMs > 0) await new Promise<void>((r) => timers.setTimeout(r, runMs));
      pushes.push(timers.now());
      running--;
    },
    { minIntervalMs: 250, delayMs: 25, timers, onError: () => undefined },
  );
  return { timers, pushes, throttle, overlapped: () => overlapped };
}

/** The most pushes inside any window of `ms` (half-open: [t, t + ms)). */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (const start of times) best = Math.max(best, times.filter((t) => t >= start && t < start + ms).length);
  return best;
}

describe('UpdateThrottle', () => {
  it('pushes a lone change 25 ms later', async () => {
    const { timers, pushes, throttle } = setup();
    const changedAt = timers.now();
    throttle.poke();
    await timers.advance(1_000);
    expect(pushes).toEqual([changedAt + 25]);
  });

  it('a change every 10 ms for 3 s: at most 4 pushes in any second, each change pushed within 1 s', async () => {
    const { timers, pushes, throttle, overlapped } = setup(40);
    const changes: number[] = [];
    for (let i = 0; i < 300; i++) {
      changes.push(timers.now());
      throttle.poke();
      await timers.advance(10);
    }
    await timers.advance(1_000);
    expect(maxInWindow(pushes, 1_000)).toBeLessThanOrEqual(4);
    for (let i = 1; i < pushes.length; i++) expect(pushes[i]! - pushes[i - 1]!).toBeGreaterThanOrEqual(250);
    // Every change is covered by a push whose run started after it.
    for (const c of changes) {
      const covering = pushes.find((p) => p - 40 >= c);
      expect(covering, `change at ${c}`).toBeDefined();
      expect(covering! - c).toBeLessThanOrEqual(1_000);
    }
    expect(overlapped()).toBe(false);
  });

  it('a change during a run makes exactly one more run after it', async () => {
    const { timers, pushes, throttle } = setup(100);
    const t0 = timers.now();
    throttle.poke();
    await timers.advance(50); // the run started at +25 and is busy until +125
    throttle.poke();
    throttle.poke();
    await timers.advance(2_000);
    expect(pushes).toEqual([t0 + 125, t0 + 125 + 250 + 100]);
  });

  it('many changes while one is due make one push', async () => {
    const { timers, pushes, throttle } = setup();
    for (let i = 0; i < 20; i++) throttle.poke();
    await timers.advance(1_000);
    expect(pushes).toHaveLength(1);
  });

  it('cancel drops a due push; a later change starts again', async () => {
    const { timers, pushes, throttle } = setup();
    throttle.poke();
    throttle.cancel();
    await timers.advance(1_000);
    expect(pushes).toEqual([]);
    expect(timers.pending).toBe(0);
    throttle.poke();
    await timers.advance(1_000);
    expect(pushes).toHaveLength(1);
  });

  it('a run that throws is reported and the next change runs again', async () => {
    const timers = new VirtualTimers();
    const errors: unknown[] = [];
    let n = 0;
    const throttle = new UpdateThrottle(
      async () => {
        n++;
        if (n === 1) throw new Error('store down');
      },
      { minIntervalMs: 250, delayMs: 25, timers, onError: (e) => errors.push(e) },
    );
    throttle.poke();
    await timers.advance(100);
    throttle.poke();
    await timers.advance(1_000);
    expect(n).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
