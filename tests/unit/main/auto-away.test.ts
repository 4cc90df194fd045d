/**
 * Desktop auto-away through the screen-lock port, under fake timers: lock → away, unlock →
 * back, no input for the threshold → away, input again → back; each change told once. What
 * it means for the agent state is the server's call (tested on the server side).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoAway } from '../../../src/main/app/auto-away.js';
import type { ScreenLockPort } from '../../../src/main/app/ports.js';

class FakeLock implements ScreenLockPort {
  idle = 0;
  private readonly listeners = new Set<(locked: boolean) => void>();
  onLockChange(listener: (locked: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  idleSeconds(): number {
    return this.idle;
  }
  set(locked: boolean): void {
    for (const l of this.listeners) l(locked);
  }
}

function rig(idleAfterSec = 600) {
  const lock = new FakeLock();
  const told: boolean[] = [];
  const away = new AutoAway({
    phone: { autoAway: async (a) => void told.push(a) },
    lock,
    idleAfterSec,
    pollMs: 15_000,
  });
  away.start();
  return { lock, told, away };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('auto-away', () => {
  it('lock → away, unlock → back, told in that order', async () => {
    const r = rig();
    r.lock.set(true);
    await r.away.settled();
    expect(r.told).toEqual([true]);
    r.lock.set(false);
    r.lock.set(true);
    r.lock.set(false);
    await r.away.settled();
    expect(r.told).toEqual([true, false, true, false]);
  });

  it('idle past the threshold → away; input again → back; told once per change', async () => {
    const r = rig(600);
    r.lock.idle = 599;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([]);
    r.lock.idle = 600;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([true]);
    r.lock.idle = 630;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([true]);
    r.lock.idle = 2;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([true, false]);
  });

  it('a lock while idle stays one away; unlocking is input and brings the agent back', async () => {
    const r = rig(600);
    r.lock.idle = 700;
    await vi.advanceTimersByTimeAsync(15_000);
    r.lock.set(true);
    await r.away.settled();
    expect(r.told).toEqual([true]);
    r.lock.set(false);
    await r.away.settled();
    expect(r.told).toEqual([true, false]);
  });

  it('present at start is not told; an idle threshold of 0 only follows the lock', async () => {
    const r = rig(0);
    r.lock.idle = 100_000;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.told).toEqual([]);
    r.lock.set(false);
    await r.away.settled();
    expect(r.told).toEqual([]);
  });

  it('the threshold chosen in Settings applies from the next poll; "never" undoes an idle away', async () => {
    const r = rig(600);
    r.lock.idle = 400;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([]);
    r.away.setIdleAfterSec(300); // 5 min
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([true]);
    r.away.setIdleAfterSec(0); // never
    await r.away.settled();
    expect(r.told).toEqual([true, false]);
    r.lock.idle = 100_000;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.told).toEqual([true, false]);
    r.away.setIdleAfterSec(600); // polling starts again
    await vi.advanceTimersByTimeAsync(15_000);
    expect(r.told).toEqual([true, false, true]);
  });

  it('stop ends the watching', async () => {
    const r = rig(600);
    r.away.stop();
    r.lock.set(true);
    r.lock.idle = 1_000;
    await vi.advanceTimersByTimeAsync(60_000);
    await r.away.settled();
    expect(r.told).toEqual([]);
  });
});
