/**
 * Composition root of the signaling server: HTTP (fastify) and socket.io on
 * one port, storage, live state and the call service wired together.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyReply } from 'fastify';
import { Server } from 'socket.io';
import type { ServerEventName, ServerEventPayload } from '../shared/protocol/index.js';
import { loadOrCreateSecrets } from './auth/secrets.js';
import { RevocationWatch } from './auth/revocation-watch.js';
import { TokenService } from './auth/tokens.js';
import { GuestTokens } from './auth/guest-tokens.js';
import { AliveMark } from './calls/alive-mark.js';
import { CallService } from './calls/call-service.js';
import type { ClusterBackends } from './cluster/backends.js';
import { rooms, type Notifier } from './calls/notifier.js';
import { parseConfig, type Config, type ConfigInput } from './config.js';
import { MemoryLiveState } from './live/memory.js';
import type { LiveState } from './live/types.js';
import { createLogger, flushLogs, type Logger } from './logger.js';
import { PresenceService } from './presence.js';
import { createPush, type PushService } from './push/index.js';
import { RateLimits, type LimiterFactory } from './ratelimit.js';
import { registerRoutes } from './http/routes.js';
import { registerCallPage } from './http/call-page-route.js';
import { registerGuestRoutes } from './http/guest-routes.js';
import { Gateway, type IoServer } from './socket/gateway.js';
import { SUPERVISORS_ROOM } from './socket/agent-handlers.js';
import { WALLBOARD_ROOM } from './socket/wallboard-handlers.js';
import { WallboardService } from './queues/wallboard.js';
import { AgentService } from './agents/agent-service.js';
import { QueueService } from './queues/queue-service.js';
import { SqliteStorage } from './store/sqlite.js';
import type { Storage } from './store/types.js';

export interface ServerOverrides {
  storage?: Storage;
  live?: LiveState;
  limiterFactory?: LimiterFactory;
  logger?: Logger;
  /** The clock access-token expiry is judged by (tests move it forward). */
  clock?: () => number;
  /** Lets a deployment attach a socket.io adapter before clients connect. */
  configureIo?: (io: IoServer) => void | Promise<void>;
}

export interface SoftphoneServer {
  readonly config: Config;
  readonly url: string;
  readonly port: number;
  readonly storage: Storage;
  readonly live: LiveState;
  readonly calls: CallService;
  readonly agents: AgentService;
  /** The queue engine: lines, offers, the live view the wallboard reads. */
  readonly queues: QueueService;
  readonly io: IoServer;
  readonly log: Logger;
  /** Push wake-up of mobile devices (off without APNs / FCM settings). */
  readonly push: PushService;
  /** Every HTTP route registered (method + URL pattern); the fuzzer reaches each one. */
  readonly routes: readonly { method: string; url: string }[];
  /** Graceful stop: refuse new work, tell clients to reconnect, finish writes. */
  shutdown(reason?: string): Promise<void>;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * `localOnly`: every socket is on this node (no adapter reaching other nodes), so an event
 * whose room holds no socket here is dropped before socket.io encodes it. Several events of
 * a call usually have nobody to go to (presence changes nobody watches, the caller's or the
 * callee's "other" devices): encoding them anyway was ~3 % of the CPU per call.
 */
function socketNotifier(io: IoServer, localOnly: boolean): Notifier {
  const { adapter } = io.of('/');
  const socketsIn = (room: string) => adapter.rooms.get(room);
  const nobodyIn = (room: string, exceptRoom?: string): boolean => {
    if (!localOnly) return false;
    const sockets = socketsIn(room);
    if (!sockets || sockets.size === 0) return true;
    const excluded = exceptRoom === undefined ? undefined : socketsIn(exceptRoom);
    if (!excluded) return false;
    for (const id of sockets) if (!excluded.has(id)) return false;
    return true;
  };
  return {
    toDevice<E extends ServerEventName>(deviceId: string, event: E, payload: ServerEventPayload<E>) {
      const room = rooms.device(deviceId);
      if (nobodyIn(room)) return;
      (io.to(room).emit as (e: string, p: unknown) => boolean)(event, payload);
    },
    toUser<E extends ServerEventName>(userId: string, event: E, payload: ServerEventPayload<E>, except?: string) {
      const room = rooms.user(userId);
      const exceptRoom = except === undefined ? undefined : rooms.device(except);
      if (nobodyIn(room, exceptRoom)) return;
      const target = exceptRoom ? io.to(room).except(exceptRoom) : io.to(room);
      (target.emit as (e: string, p: unknown) => boolean)(event, payload);
    },
    toPresenceWatchers(userId, payload) {
      const room = rooms.presence(userId);
      if (nobodyIn(room)) return;
      io.to(room).emit('presence:changed', payload);
    },
  };
}

export async function startServer(input: ConfigInput, overrides: ServerOverrides = {}): Promise<SoftphoneServer> {
  const config = parseConfig(input);
  const log = overrides.logger ?? createLogger(config.logLevel, { node: config.nodeId });
  fs.mkdirSync(config.dataDir, { recursive: true });
  // REDIS_URL / DATABASE_URL: shared live state and storage for several nodes (docs/deploy.md).
  // The Redis and PostgreSQL clients load only when configured (~0.3 s off a single node's start).
  const cluster: ClusterBackends | undefined =
    config.redisUrl || config.databaseUrl
      ? await (await import('./cluster/backends.js')).openClusterBackends(config, log, overrides)
      : undefined;
  const storage: Storage = overrides.storage ?? cluster?.storage ?? SqliteStorage.open(config.dataDir);
  const live = overrides.live ?? cluster?.live ?? new MemoryLiveState();
  const limits = new RateLimits(config, overrides.limiterFactory ?? cluster?.limiterFactory);
  // Every node must sign and verify with the same keys: a shared store provides them.
  const secrets = (await storage.sharedSecrets?.()) ?? loadOrCreateSecrets(config.dataDir);
  const tokens = new TokenService(
    secrets.jwtSecret,
    storage.accounts,
    config.accessTokenTtlSec,
    config.refreshTokenTtlDays * 86_400_000,
    overrides.clock,
  );
  // Guests of the public web page: one call to one public queue (docs/support-line.md).
  const guests = new GuestTokens(secrets.jwtSecret, config.guestTokenTtlSec, tokens.now);
  let draining = false;
  // Before anything listens: a bad push configuration fails the start with a clear message.
  const push = await createPush(config, { storage, live, log });

  const app = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    // URLs the router cannot decode (e.g. `/%c0%ae`) would otherwise get fastify's own
    // error body: answer in the common error shape instead (docs/security.md). No route
    // means no onSend hook, so the security headers are set here too.
    frameworkErrors: (_err, _req, reply) => {
      void (reply as unknown as FastifyReply)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .status(400)
        .send({ error: { code: 'bad_request', message: 'malformed URL' } });
    },
  });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) reply.header('content-security-policy', CSP);
    return payload;
  });
  registerRoutes(app, {
    config,
    storage,
    tokens,
    limits,
    log,
    turnSecret: config.turnSecret ?? secrets.turnSecret,
    isDraining: () => draining,
    push: push.registrations,
    // Called only by requests, which arrive after `queues` below exists.
    queueChanged: (queueId) => void queues.dispatch(queueId).catch((err: unknown) => log.error({ err, queueId }, 'routing after a queue change failed')),
    guests,
  });
  await registerCallPage(app, { config, storage });
  // The queue service is built below; requests reach the route only once the server listens.
  registerGuestRoutes(app, { storage, limits, guests, publicInfo: (id) => queues.publicInfo(id) });
  const index = path.join(config.webRoot, 'index.html');
  if (fs.existsSync(index)) {
    await app.register(fastifyStatic, { root: path.resolve(config.webRoot), index: 'index.html' });
  } else {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>Softphone</title><p>The web softphone is not built. Run <code>npm run build</code>.</p>'),
    );
  }

  const io: IoServer = new Server(app.server, {
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    maxHttpBufferSize: config.maxMessageBytes,
    serveClient: false,
    cors: config.allowedOrigins.length > 0 ? { origin: config.allowedOrigins } : undefined,
    allowRequest: (req, cb) => {
      // Browsers always send Origin: accept our own origin and configured ones.
      // Native clients (desktop main process, mobile) send none.
      const origin = req.headers.origin;
      if (!origin || origin === 'null') return cb(null, true);
      try {
        const host = new URL(origin).host;
        cb(null, host === req.headers.host || config.allowedOrigins.includes(origin));
      } catch {
        cb(null, false);
      }
    },
  });
  cluster?.configureIo(io);
  await overrides.configureIo?.(io);
  // One node, state in this process (no Redis adapter, no stores shared with other processes).
  const singleNode = !cluster && !overrides.configureIo && !overrides.storage && !overrides.live;
  const notifier = socketNotifier(io, singleNode);
  // A revoked session (logout, stolen refresh token replayed) loses its open sockets too, on every node.
  tokens.on('revoked', (familyId) => io.in(rooms.family(familyId)).disconnectSockets(true));
  // `user passwd` / `user remove` (another process) end all of the user's sockets within ~250 ms.
  const revocations = new RevocationWatch(storage.accounts, (userId) => io.in(rooms.user(userId)).disconnectSockets(true), log);
  const presence = new PresenceService(storage.accounts, live, notifier, { cacheStatus: singleNode });
  const calls = new CallService({
    storage,
    live,
    notifier,
    presence,
    limits,
    log,
    options: {
      ringTimeoutMs: config.ringTimeoutMs,
      callReconnectGraceMs: config.callReconnectGraceMs,
      endedCallRetentionMs: config.endedCallRetentionMs,
      maxRingingPerUser: config.maxRingingPerUser,
    },
  });
  // Phones without a socket are woken by push when a call rings for them (src/server/push).
  push.service.subscribe(calls);
  // The supervisors' wallboard: pushed to this node's subscribers (its own poll sees other nodes).
  const wallboard = new WallboardService({
    storage,
    live,
    log,
    subscribers: () => io.of('/').adapter.rooms.get(WALLBOARD_ROOM)?.size ?? 0,
    send: (w) => io.local.to(WALLBOARD_ROOM).emit('wallboard:update', { wallboard: w }),
  });
  calls.on('ended', () => wallboard.changed());
  const agents = new AgentService({
    storage,
    live,
    calls,
    presence,
    log,
    config: {
      graceMs: config.agentGraceMs,
      maxNoAnswer: config.agentMaxNoAnswer,
      noAnswerDelayMs: config.agentNoAnswerDelayMs,
      rejectDelayMs: config.agentRejectDelayMs,
      directWrapUpSec: config.agentDirectWrapUpSec,
      wrapUpExtendSec: config.agentWrapUpExtendSec,
      wrapUpMaxExtensions: config.agentWrapUpMaxExtensions,
    },
    publish: (agent) => {
      io.to([rooms.user(agent.user.id), SUPERVISORS_ROOM]).emit('agent:changed', { agent });
      wallboard.changed();
    },
  });
  const queues = new QueueService({ storage, live, calls, agents, notifier, log });
  wallboard.watch(queues);
  const gateway = new Gateway({
    io,
    storage,
    live,
    tokens,
    calls,
    presence,
    limits,
    log,
    ringTimeoutMs: config.ringTimeoutMs,
    maxDevicesPerUser: config.maxDevicesPerUser,
    push: push.registrations,
    wallboard,
    agents,
    queues,
    guests,
  });

  await cluster?.start({ io, calls, presence, agents });
  await revocations.start();
  // The previous run's last liveness mark: calls it left answered end then if nobody returns.
  const alive = AliveMark.open(config.dataDir);
  const recovered = await calls.recover({ lastAliveAt: alive.previous });
  if (recovered.failed + recovered.restored > 0) log.warn(recovered, 'recovered calls left open by the previous run');

  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, dataDir: path.resolve(config.dataDir) }, 'server listening');
  // At once, not with the next batch: supervisors and tests wait for this line.
  flushLogs(log);

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = 'server shutting down') => {
    shuttingDown ??= (async () => {
      draining = true;
      wallboard.close();
      revocations.stop();
      queues.close();
      log.info({ reason }, 'draining');
      // Stop accepting new connections; existing ones are told to go elsewhere.
      app.server.close();
      io.emit('session:shutdown', { reason, reconnectAfterMs: 500 });
      await Promise.race([gateway.idle(), new Promise((r) => setTimeout(r, config.shutdownGraceMs).unref())]);
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => void io.close(() => resolve()));
      await app.close();
      await push.service.close();
      alive.close();
      await live.close();
      await storage.close();
      await cluster?.close();
      log.info('stopped');
      // Log lines are written in batches (logger.ts): all of them before the process exits.
      flushLogs(log, true);
    })();
    return shuttingDown;
  };

  return { config, url, port, storage, live, calls, agents, queues, io, log, push: push.service, routes, shutdown };
}
