/**
 * Rate limits (rate-limiter-flexible). In-memory by default; a multi-node
 * deployment passes a shared-store limiter factory instead.
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ProtocolError } from '../shared/protocol/index.js';
import type { Config } from './config.js';

export type LimitName = 'loginIp' | 'loginUser' | 'invite' | 'inviteIp' | 'socketEvents' | 'guestIp' | 'guestCall';

export type LimiterFactory = (name: LimitName, points: number, durationSec: number) => RateLimiterAbstract;

export const memoryLimiter: LimiterFactory = (name, points, duration) =>
  new RateLimiterMemory({ keyPrefix: name, points, duration });

export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterAbstract>;

  constructor(config: Config, factory: LimiterFactory = memoryLimiter) {
    this.limiters = {
      loginIp: factory('loginIp', config.loginRatePerMinute, 60),
      // A short fixed window per username (default 5 failures per 15 s, i.e. one guess per 3 s
      // sustained): the owner waits at most one window, and msBeforeNext is the exact wait.
      loginUser: factory('loginUser', config.loginFailuresPerUsername, config.loginFailureWindowSec),
      invite: factory('invite', config.inviteRatePerMinute, 60),
      // Many users can share one address (an office NAT): the per-IP budget is larger.
      inviteIp: factory('inviteIp', config.inviteRatePerMinute * 10, 60),
      socketEvents: factory('socketEvents', config.socketEventsPerSecond * 2, 2),
      guestIp: factory('guestIp', config.guestTokensPerMinute, 60),
      // One point per guest token (its id is the key): its one call, claimed atomically on
      // every node (Redis). It outlives the token, so an expired token never gets it back.
      guestCall: factory('guestCall', 1, config.guestTokenTtlSec + 60),
    };
  }

  /** Spends one point; throws `rate_limited` (with retryAfterMs) when none is left. */
  async consume(name: LimitName, key: string): Promise<void> {
    try {
      await this.limiters[name].consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new ProtocolError('rate_limited', 'too many requests; try again shortly', {
          retryAfterMs: err.msBeforeNext,
        });
      }
      throw err;
    }
  }

  /** How long until the key may spend a point again (0: now), without spending one. */
  async blockedForMs(name: LimitName, key: string): Promise<number> {
    const res = await this.limiters[name].get(key);
    return res !== null && res.remainingPoints <= 0 ? Math.max(1, res.msBeforeNext) : 0;
  }

  async reset(name: LimitName, key: string): Promise<void> {
    await this.limiters[name].delete(key);
  }
}
