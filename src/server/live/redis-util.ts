/** Shared pieces of the Redis live state (live/redis.ts, live/redis-agents.ts). */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by SHA, loaded on first use (and again after a Redis restart). */
export class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Tracks in-flight Redis work so `close` can let it finish. */
export class Activity {
  private inFlight = 0;
  private lastDone = 0;
  async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work;
    } finally {
      this.inFlight--;
      this.lastDone = Date.now();
    }
  }
  /**
   * Resolves once nothing ran for `quietMs` (work that is a chain of
   * commands — a disconnect handler during shutdown — gets to finish), or
   * after `maxMs`.
   */
  async settle(quietMs = 50, maxMs = 2_000): Promise<void> {
    const end = Date.now() + maxMs;
    while (Date.now() < end && (this.inFlight > 0 || Date.now() - this.lastDone < quietMs)) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

