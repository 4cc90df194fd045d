/**
 * Rate limits shared by every node (rate-limiter-flexible on Redis), so a
 * client cannot multiply its allowance by spreading requests over nodes.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { memoryLimiter, type LimiterFactory } from '../ratelimit.js';

export function redisLimiterFactory(redis: Redis, keyPrefix: string): LimiterFactory {
  return (name, points, duration) => {
    // Per-connection limits stay in memory: a connection lives on one node,
    // and a Redis round trip per socket event would only add latency.
    if (name === 'socketEvents') return memoryLimiter(name, points, duration);
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}rl:${name}`,
      points,
      duration,
      // While Redis is unreachable, each node limits on its own rather than
      // failing every login.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration }),
    });
  };
}
