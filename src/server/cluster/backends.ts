/**
 * Shared backends for running several nodes behind one load balancer:
 *
 *   REDIS_URL     live state (calls, online devices, presence, deadlines),
 *                 the socket.io adapter (any node reaches any socket) and
 *                 rate limits
 *   DATABASE_URL  accounts, devices, tokens, push registrations, call
 *                 journal and history in PostgreSQL
 *
 * Without them the server keeps the single-node defaults (memory, SQLite) and
 * never loads this module (app.ts imports it only when one is set), nor the
 * Redis and PostgreSQL clients. Everything above the storage interfaces is the
 * same code either way.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { AgentService } from '../agents/agent-service.js';
import type { CallService } from '../calls/call-service.js';
import type { Config } from '../config.js';
import { RedisLiveState } from '../live/redis.js';
import type { Logger } from '../logger.js';
import type { PresenceService } from '../presence.js';
import type { LimiterFactory } from '../ratelimit.js';
import type { IoServer } from '../socket/gateway.js';
import { openStorage } from '../store/open.js';
import { redactUrl } from '../store/postgres.js';
import type { Storage } from '../store/types.js';
import { NodeMonitor } from './node-monitor.js';
import { redisLimiterFactory } from './rate-limits.js';

/** Every key this server writes in Redis starts with this. */
export const REDIS_KEY_PREFIX = 'sp:';

/**
 * A call another node is setting up has its journal row a few milliseconds
 * before its live state; recovery at start leaves rows this young alone.
 */
const RECOVER_MIN_AGE_MS = 10_000;
/** How often one node closes journal entries whose live state was lost. */
const RECONCILE_EVERY_MS = 60_000;

export interface ClusterBackends {
  storage?: Storage;
  live?: RedisLiveState;
  limiterFactory?: LimiterFactory;
  /** Attaches the Redis adapter (before clients connect). */
  configureIo(io: IoServer): void;
  /** Once the call service exists: node heartbeats and release of dead nodes' devices. */
  start(deps: { io: IoServer; calls: CallService; presence: PresenceService; agents?: AgentService }): Promise<void>;
  /** After live state and storage closed: closes the Redis connections. */
  close(): Promise<void>;
}

async function connectRedis(url: string, role: string, config: Config, log: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: `softphone:${config.nodeId}:${role}`,
    // A request waiting on a Redis outage fails after a few reconnect attempts
    // instead of hanging; clients retry, and the rate limiter has its insurance.
    maxRetriesPerRequest: 3,
  });
  let lastLogged = 0;
  redis.on('error', (err: Error) => {
    // ioredis reports every failed reconnect attempt; one line per 10 s is enough.
    if (Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    log.warn({ err: err.message, role }, 'Redis connection error');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis at ${redactUrl(url)} is not reachable (waited 10 s)`)), 10_000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/**
 * The socket.io adapter fires PUBLISH (every broadcast) and UNSUBSCRIBE
 * without awaiting them. One that fails — Redis unreachable, or a disconnect
 * handler's last broadcast while this node shuts down — would be an
 * unhandled rejection; give those promises a handler that reports them.
 */
function reportFloatingCommands(redis: Redis, commands: ('publish' | 'unsubscribe' | 'punsubscribe')[], report: (err: unknown, command: string) => void): void {
  for (const command of commands) {
    const original = (redis[command] as (...args: unknown[]) => Promise<unknown>).bind(redis);
    Object.defineProperty(redis, command, {
      configurable: true,
      value: (...args: unknown[]) => {
        const result = original(...args);
        result.catch((err: unknown) => report(err, command));
        return result;
      },
    });
  }
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/**
 * Opens what REDIS_URL and DATABASE_URL ask for, skipping what the caller
 * overrides. Undefined when neither is set (single node, embedded stores).
 */
export async function openClusterBackends(
  config: Config,
  log: Logger,
  overrides: { storage?: Storage; live?: unknown; limiterFactory?: LimiterFactory } = {},
): Promise<ClusterBackends | undefined> {
  if (!config.redisUrl && !config.databaseUrl) return undefined;
  if (config.redisUrl && !config.databaseUrl) {
    log.warn('REDIS_URL without DATABASE_URL: accounts and history stay in this node\'s SQLite; run one node only');
  }
  if (config.databaseUrl && !config.redisUrl) {
    // Calls, online devices, presence and rate limits would live in each node's memory: several
    // such nodes on one database ring nobody across nodes and multiply every limit.
    log.warn(
      'DATABASE_URL without REDIS_URL: live state (calls, online devices, presence, rate limits) stays in this node\'s memory; run one node only',
    );
  }
  const connections: Redis[] = [];
  let storage: Storage | undefined;
  let closing = false;
  try {
    let redis: Redis | undefined;
    let live: RedisLiveState | undefined;
    let pub: Redis | undefined;
    let sub: Redis | undefined;
    if (config.redisUrl) {
      redis = await connectRedis(config.redisUrl, 'main', config, log);
      connections.push(redis);
      pub = await connectRedis(config.redisUrl, 'pub', config, log);
      connections.push(pub);
      sub = await connectRedis(config.redisUrl, 'sub', config, log);
      connections.push(sub);
      const report = (err: unknown, command: string) => {
        if (closing) log.debug({ err, command }, 'Redis pub/sub command failed during shutdown');
        else log.warn({ err, command }, 'Redis pub/sub command failed; an event was not delivered to other nodes');
      };
      reportFloatingCommands(pub, ['publish'], report);
      reportFloatingCommands(sub, ['unsubscribe', 'punsubscribe'], report);
      if (!overrides.live) {
        live = new RedisLiveState(redis, {
          nodeId: config.nodeId,
          keyPrefix: REDIS_KEY_PREFIX,
          endedCallRetentionMs: config.endedCallRetentionMs,
          log,
        });
      }
    }
    if (config.databaseUrl && !overrides.storage) {
      // With live state in Redis other nodes may be setting up calls while this one recovers.
      storage = await openStorage(config, log, { recoverMinAgeMs: live ? RECOVER_MIN_AGE_MS : 0 });
    }
    log.info(
      {
        redis: config.redisUrl ? redactUrl(config.redisUrl) : undefined,
        database: config.databaseUrl ? redactUrl(config.databaseUrl) : undefined,
      },
      'shared backends connected',
    );

    let monitor: NodeMonitor | undefined;
    return {
      storage,
      live,
      limiterFactory: redis && !overrides.limiterFactory ? redisLimiterFactory(redis, REDIS_KEY_PREFIX) : undefined,
      configureIo(io) {
        if (pub && sub) io.adapter(createAdapter(pub, sub, { key: `${REDIS_KEY_PREFIX}io` }));
      },
      async start({ io, calls, presence, agents }) {
        if (!live) return;
        monitor = new NodeMonitor({
          live,
          io,
          calls,
          presence,
          agents,
          log,
          timeoutMs: config.nodeTimeoutMs,
          // Only a journal that leaves young calls alone may be reconciled while other nodes work.
          reconcileEveryMs: storage ? RECONCILE_EVERY_MS : 0,
        });
        await monitor.start();
      },
      async close() {
        closing = true;
        monitor?.stop();
        await Promise.all(connections.map(quit));
      },
    };
  } catch (err) {
    await storage?.close().catch(() => undefined);
    await Promise.all(connections.map(quit));
    throw err;
  }
}
