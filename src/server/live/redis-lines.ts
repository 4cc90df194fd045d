/**
 * Queue lines in Redis (LiveQueueLines), shared by every node: one sorted set of call ids
 * per queue (score = when the call joined), read together with the calls in one Lua step
 * that forgets the ids of ended calls (and of missing ones after a grace: an id is added
 * before its call is inserted, so a reader may see it a moment early).
 *
 * Keys (prefix `sp:` by default):
 *   qline:<queueId>   sorted set callId → queuedAt (ms)
 *   qlast:<queueId>   the member offered the queue's previous call (round-robin)
 */
import type { Redis } from 'ioredis';
import { QUEUE_LINE } from './redis-scripts.js';
import { type Activity, Script } from './redis-util.js';
import { LINE_INSERT_GRACE_MS, type LiveCall, type LiveQueueLines } from './types.js';

const LINE = new Script(QUEUE_LINE);

export class RedisQueueLines implements LiveQueueLines {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly activity: Activity,
    private readonly now: () => number,
  ) {}

  private line(queueId: string): string {
    return `${this.prefix}qline:${queueId}`;
  }

  async add(queueId: string, callId: string, queuedAt: number): Promise<void> {
    await this.activity.track(this.redis.zadd(this.line(queueId), queuedAt, callId));
  }

  async remove(queueId: string, callId: string): Promise<void> {
    await this.activity.track(this.redis.zrem(this.line(queueId), callId));
  }

  async calls(queueId: string): Promise<LiveCall[]> {
    const rows = (await this.activity.track(
      LINE.run(this.redis, [this.line(queueId)], [`${this.prefix}call:`, this.now(), LINE_INSERT_GRACE_MS]),
    )) as string[];
    return rows.map((j) => JSON.parse(j) as LiveCall);
  }

  async lastOffered(queueId: string): Promise<string | null> {
    return this.activity.track(this.redis.get(`${this.prefix}qlast:${queueId}`));
  }

  async setLastOffered(queueId: string, userId: string): Promise<void> {
    await this.activity.track(this.redis.set(`${this.prefix}qlast:${queueId}`, userId, 'EX', 86_400));
  }
}
