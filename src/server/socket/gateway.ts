/**
 * socket.io gateway: authenticates the handshake, binds each socket to its
 * user and device rooms, and dispatches client events. Every event is parsed
 * with its schema from src/shared before a handler sees it; every outcome is
 * an `Ack` envelope with a stable error code. Nothing a client sends can
 * throw past this layer.
 */
import type { Server, Socket } from 'socket.io';
import { type z } from 'zod';
import {
  CLIENT_EVENT_NAMES,
  HandshakeAuth,
  ProtocolError,
  clientEvents,
  type Ack,
  type ClientEventName,
  type ClientResponse,
  type ClientToServerEvents,
  type Role,
  type ServerToClientEvents,
} from '../../shared/protocol/index.js';
import { makeRoomForDevice } from '../auth/device-cap.js';
import type { TokenService } from '../auth/tokens.js';
import type { CallService, DeviceContext } from '../calls/call-service.js';
import { rooms } from '../calls/notifier.js';
import type { LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { PresenceService } from '../presence.js';
import type { PushRegistrations } from '../push/registrations.js';
import type { RateLimits } from '../ratelimit.js';
import type { Storage } from '../store/types.js';
import type { AgentService } from '../agents/agent-service.js';
import type { QueueService } from '../queues/queue-service.js';
import { agentHandlers } from './agent-handlers.js';
import { supervisorHandlers } from './supervisor-handlers.js';
import type { GuestTokens } from '../auth/guest-tokens.js';
import { authenticateGuest, GuestGuard, type GuestSocketData } from './guest-guard.js';

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface SocketData {
  ctx: DeviceContext;
  ip: string;
  /** Session (refresh-token family) of the access token the socket authenticated with. */
  familyId: string;
  /** Expiry of that access token (ms): past it, the next event is refused and the socket closed. */
  accessExpiresAt: number;
  /** Roles at the handshake (decides whether the agent service hears of this socket's device). */
  roles: Role[];
  /** A guest from the public web page (guest-guard.ts): every event passes the guard. */
  guest?: GuestSocketData;
}

type Handler<E extends ClientEventName> = (
  socket: IoSocket,
  data: z.infer<(typeof clientEvents)[E]['request']>,
) => Promise<ClientResponse<E>>;

export interface GatewayDeps {
  io: IoServer;
  storage: Storage;
  live: LiveState;
  tokens: TokenService;
  calls: CallService;
  presence: PresenceService;
  limits: RateLimits;
  log: Logger;
  ringTimeoutMs: number;
  /** Device rows per account (auth/device-cap.ts); unlimited when absent. */
  maxDevicesPerUser?: number;
  /** Push registration of mobile devices (src/server/push). */
  push?: PushRegistrations;
  /** Support agents (docs/agents.md). */
  agents?: AgentService;
  /** The queue engine (queues/queue-service.ts). */
  queues?: QueueService;
  /** Guest tokens of the public web page (auth/guest-tokens.ts); no guests when absent. */
  guests?: GuestTokens;
}

/**
 * How stale a device's `lastSeenAt` may get: a handshake rewrites an unchanged device row
 * only once it is older than this. Writing it at every handshake made each reconnect wait
 * for a disk sync (the reconnect storm of `npm run bench` re-registers 2 000 devices at once).
 */
export const DEVICE_SEEN_RESOLUTION_MS = 10 * 60_000;

export function describeZodError(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return 'invalid payload';
  const where = first.path.length > 0 ? first.path.map(String).join('.') : 'payload';
  return `${where}: ${first.message}`.slice(0, 200);
}

export class Gateway {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly handlers: { [E in ClientEventName]: Handler<E> };
  private readonly guestGuard: GuestGuard | undefined;
  /**
   * One listener per event for all sockets (socket.io calls it with `this` = the socket),
   * instead of one closure per event per socket: ~1.7 KB less heap per connected device
   * (measured by `npm run bench`, idle devices).
   */
  private readonly listeners: [ClientEventName, (this: IoSocket, ...args: unknown[]) => void][];

  constructor(private readonly d: GatewayDeps) {
    this.handlers = this.createHandlers();
    this.guestGuard = d.guests && new GuestGuard({
      guests: d.guests,
      calls: d.calls,
      live: d.live,
      limits: d.limits,
      invite: (ctx, queueId, callId) => {
        if (!this.d.queues) throw new ProtocolError('not_found', 'queues are not enabled on this server');
        return this.d.queues.invite(ctx, { queue: queueId }, { callId, callerKind: 'guest' });
      },
    });
    const dispatch = this.dispatch.bind(this);
    this.listeners = CLIENT_EVENT_NAMES.map((event) => [
      event,
      function (this: IoSocket, ...args: unknown[]) {
        dispatch(this, event, args);
      },
    ]);
    d.io.use((socket, next) => {
      this.authenticate(socket)
        .then(() => next())
        .catch((err: unknown) => {
          const e = err instanceof ProtocolError ? err : new ProtocolError('internal', 'handshake failed');
          if (!(err instanceof ProtocolError)) d.log.error({ err }, 'handshake failed');
          const out = new Error(e.message) as Error & { data: unknown };
          out.data = e.toBody();
          next(out);
        });
    });
    d.io.on('connection', (socket) => {
      this.onConnection(socket).catch((err: unknown) => {
        d.log.error({ err }, 'connection setup failed');
        socket.disconnect(true);
      });
    });
  }

  /** Resolves when no handler is running (used on shutdown). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async authenticate(socket: IoSocket): Promise<void> {
    const parsed = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      throw new ProtocolError('unauthorized', `handshake: ${describeZodError(parsed.error)}`);
    }
    const auth = parsed.data;
    if (await authenticateGuest(socket.data, auth, socket.handshake.address, this.d)) return;
    const { user, familyId, expiresAtMs } = await this.d.tokens.verifyAccess(auth.token);
    const now = Date.now();
    // The device row is a durable write (a sync) only when something changed: a reconnect
    // of a known device reads it and goes on (lastSeenAt is kept to DEVICE_SEEN_RESOLUTION_MS).
    const known = await this.d.storage.accounts.getDevice(auth.deviceId);
    if (known && known.userId !== user.id) throw new ProtocolError('forbidden', 'this device id belongs to another account');
    const unchanged =
      known &&
      known.kind === auth.deviceKind &&
      known.name === auth.deviceName &&
      known.appVersion === auth.appVersion &&
      now - known.lastSeenAt < DEVICE_SEEN_RESOLUTION_MS;
    if (!known && this.d.maxDevicesPerUser !== undefined) {
      await makeRoomForDevice({ accounts: this.d.storage.accounts, live: this.d.live, log: this.d.log }, user.id, this.d.maxDevicesPerUser);
    }
    if (!unchanged) {
      // Re-checks ownership inside its transaction (two accounts racing for a new id).
      await this.d.storage.accounts.upsertDevice({
        id: auth.deviceId,
        userId: user.id,
        kind: auth.deviceKind,
        name: auth.deviceName,
        appVersion: auth.appVersion,
        lastSeenAt: now,
      });
    }
    socket.data.ctx = {
      userId: user.id,
      deviceId: auth.deviceId,
      user: { id: user.id, username: user.username, displayName: user.displayName },
    };
    socket.data.ip = socket.handshake.address;
    socket.data.familyId = familyId;
    socket.data.accessExpiresAt = expiresAtMs;
    socket.data.roles = user.roles;
  }

  private async onConnection(socket: IoSocket): Promise<void> {
    const { ctx } = socket.data;
    const auth = HandshakeAuth.parse(socket.handshake.auth);
    socket.on('disconnect', () => {
      this.onDisconnect(socket).catch((err: unknown) => this.d.log.error({ err }, 'disconnect handling failed'));
    });
    for (const [event, listener] of this.listeners) socket.on(event, listener);
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && (CLIENT_EVENT_NAMES as string[]).includes(event)) return;
      const ack = args[args.length - 1];
      const error = { code: 'bad_request' as const, message: `unknown event ${String(event).slice(0, 64)}` };
      if (typeof ack === 'function') (ack as (r: Ack<never>) => void)({ ok: false, error });
      else socket.emit('protocol:error', { event: String(event).slice(0, 64), error });
    });

    await socket.join([rooms.user(ctx.userId), rooms.device(ctx.deviceId), rooms.family(socket.data.familyId)]);
    const replaced = await this.d.live.devices.connect({
      userId: ctx.userId,
      deviceId: ctx.deviceId,
      kind: auth.deviceKind,
      name: auth.deviceName,
      socketId: socket.id,
      connectedAt: Date.now(),
    });
    if (replaced) {
      // One connection per device: the newer one wins (reconnect raced the old socket's timeout).
      this.d.io.in(replaced.socketId).disconnectSockets(true);
    }
    this.d.log.debug({ userId: ctx.userId, deviceId: ctx.deviceId, socketId: socket.id }, 'device connected');
    if (socket.data.guest) return; // no presence, no agent
    await this.d.presence.refresh(ctx.userId);
    if (socket.data.roles.includes('agent')) await this.d.agents?.syncDevices(ctx.userId, true);
  }

  private async onDisconnect(socket: IoSocket): Promise<void> {
    const ctx = socket.data.ctx as DeviceContext | undefined;
    if (!ctx) return;
    const wasCurrent = await this.d.live.devices.disconnect(ctx.userId, ctx.deviceId, socket.id);
    if (!wasCurrent) return;
    await this.d.calls.deviceLost(ctx.userId, ctx.deviceId);
    if (socket.data.guest) return;
    await this.d.presence.refresh(ctx.userId);
    if (socket.data.roles.includes('agent')) await this.d.agents?.syncDevices(ctx.userId, true);
  }

  private dispatch(socket: IoSocket, event: ClientEventName, args: unknown[]): void {
    const ack = args.length > 0 && typeof args[args.length - 1] === 'function' ? (args.pop() as (r: unknown) => void) : null;
    if (!ack) {
      socket.emit('protocol:error', {
        event,
        error: { code: 'bad_request', message: 'every request needs an acknowledgement callback' },
      });
      return;
    }
    // A guest's expired token still lets it finish its call (guest-guard.ts).
    if (!socket.data.guest && this.d.tokens.now() >= socket.data.accessExpiresAt) {
      // The socket outlived its access token: the client refreshes it and reconnects.
      ack({ ok: false, error: { code: 'unauthorized', message: 'access token expired; reconnect with a fresh one' } });
      socket.disconnect(true);
      return;
    }
    this.inFlight++;
    this.run(socket, event, args)
      .then((data) => ack({ ok: true, data }))
      .catch((err: unknown) => {
        if (err instanceof ProtocolError) {
          ack({ ok: false, error: err.toBody() });
        } else {
          this.d.log.error({ err, event, userId: socket.data.ctx.userId }, 'handler failed');
          ack({ ok: false, error: { code: 'internal', message: 'something went wrong on the server' } });
        }
      })
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  }

  private async run(socket: IoSocket, event: ClientEventName, args: unknown[]): Promise<unknown> {
    await this.d.limits.consume('socketEvents', socket.id);
    const guard = socket.data.guest ? this.guestGuard : undefined;
    if (socket.data.guest) {
      if (!guard) throw new ProtocolError('forbidden', 'guests are not enabled on this server');
      guard.admit(event);
    }
    if (args.length !== 1) throw new ProtocolError('bad_request', 'expected exactly one payload object');
    const schema = clientEvents[event].request;
    const parsed = schema.safeParse(args[0]);
    if (!parsed.success) throw new ProtocolError('bad_request', describeZodError(parsed.error));
    const handler = this.handlers[event] as Handler<ClientEventName>;
    if (guard) return guard.run(socket, event, parsed.data, () => handler(socket, parsed.data));
    return handler(socket, parsed.data);
  }

  private createHandlers(): { [E in ClientEventName]: Handler<E> } {
    const { storage, calls, presence } = this.d;
    const push = () => {
      if (!this.d.push) throw new ProtocolError('internal', 'push registration is not available on this server');
      return this.d.push;
    };
    const user = async (socket: IoSocket) => {
      const u = await storage.accounts.getUserById(socket.data.ctx.userId);
      if (!u) throw new ProtocolError('unauthorized', 'the account was removed');
      return u;
    };
    return {
      'session:ping': async () => ({ now: Date.now() }),
      'session:token': async (socket, req) => {
        const fresh = await this.d.tokens.verifyAccess(req.token);
        if (fresh.user.id !== socket.data.ctx.userId || fresh.familyId !== socket.data.familyId) {
          throw new ProtocolError('forbidden', 'that token belongs to another session');
        }
        socket.data.accessExpiresAt = Math.max(socket.data.accessExpiresAt, fresh.expiresAtMs);
        return { expiresAt: socket.data.accessExpiresAt };
      },
      'session:sync': async (socket, req) => {
        const u = await user(socket);
        const { calls: live, ended } = await calls.sync(socket.data.ctx, req.calls);
        // The newest record: a client whose cached history starts with it fetches none.
        const newest = await storage.history.listHistory(u.id, { limit: 1, lastSeenMissedAt: u.lastSeenMissedAt });
        const head = newest.items[0];
        return {
          user: { id: u.id, username: u.username, displayName: u.displayName },
          status: u.status,
          settings: { callWaiting: u.callWaiting },
          calls: live,
          ended,
          missedCount: await storage.history.missedCount(u.id, u.lastSeenMissedAt),
          historyHead: head ? { id: head.id, endedAt: head.endedAt } : null,
          lastSeenMissedAt: u.lastSeenMissedAt,
        };
      },
      'presence:set': async (socket, req) => {
        const { userId } = socket.data.ctx;
        if (await storage.accounts.updateUser(userId, { status: req.status })) presence.statusChanged(userId, req.status);
        const p = await presence.refresh(userId);
        this.d.io.to(rooms.user(userId)).emit('status:changed', { status: req.status, presence: p });
        return { status: req.status, presence: p };
      },
      'presence:subscribe': async (socket, req) => {
        const ids = [...new Set(req.userIds)];
        for (const room of socket.rooms) {
          if (room.startsWith('p:') && !ids.includes(room.slice(2))) await socket.leave(room);
        }
        await socket.join(ids.map(rooms.presence));
        const entries = await Promise.all(ids.map(async (id) => [id, await presence.get(id)] as const));
        return { presence: Object.fromEntries(entries) };
      },
      'directory:search': async (_socket, req) => {
        const rows = await storage.accounts.searchUsers(req.query?.trim() ?? '', req.limit ?? 50);
        const queues = this.d.queues ? await this.d.queues.directory(req.query ?? '') : undefined;
        const users = await Promise.all(
          rows.map(async (u) => ({
            id: u.id,
            username: u.username,
            displayName: u.displayName,
            presence: await presence.get(u.id, u.status),
          })),
        );
        return queues ? { users, queues } : { users };
      },
      'settings:update': async (socket, req) => {
        const { userId } = socket.data.ctx;
        const u = req.callWaiting === undefined ? await user(socket) : await storage.accounts.updateUser(userId, { callWaiting: req.callWaiting });
        if (!u) throw new ProtocolError('unauthorized', 'the account was removed');
        const settings = { callWaiting: u.callWaiting };
        this.d.io.to(rooms.user(userId)).emit('settings:changed', settings);
        return settings;
      },
      'call:invite': async (socket, req) => {
        await this.d.limits.consume('inviteIp', socket.data.ip);
        // An account removed while its socket stays open (`user remove` runs in another process) places no calls.
        await user(socket);
        if ('queue' in req.to) {
          if (!this.d.queues) throw new ProtocolError('not_found', 'queues are not enabled on this server');
          await this.d.limits.consume('invite', socket.data.ctx.userId);
          const opts = { callId: req.callId, callerKind: 'user' as const, roles: socket.data.roles };
          return { call: await this.d.queues.invite(socket.data.ctx, req.to, opts) };
        }
        return { call: await calls.invite(socket.data.ctx, req) };
      },
      'call:accept': async (socket, req) => ({ call: await calls.accept(socket.data.ctx, req.callId) }),
      'call:decline': async (socket, req) => ({ call: await calls.decline(socket.data.ctx, req.callId) }),
      'call:cancel': async (socket, req) => ({ call: await calls.cancel(socket.data.ctx, req.callId) }),
      'call:hangup': async (socket, req) => ({ call: await calls.hangup(socket.data.ctx, req.callId, req.endedAt) }),
      'call:claim': async (socket, req) => ({ call: await calls.claim(socket.data.ctx, req.callId) }),
      'call:signal': async (socket, req) => ({
        delivered: await calls.signal(socket.data.ctx, req.callId, req.signal),
      }),
      'history:list': async (socket, req) => {
        const u = await user(socket);
        return storage.history.listHistory(u.id, {
          cursor: req.cursor,
          limit: req.limit ?? 50,
          lastSeenMissedAt: u.lastSeenMissedAt,
        });
      },
      'history:missed': async (socket) => {
        const u = await user(socket);
        return { count: await storage.history.missedCount(u.id, u.lastSeenMissedAt), lastSeenAt: u.lastSeenMissedAt };
      },
      'history:seen': async (socket, req) => {
        const u = await user(socket);
        const upTo = Math.min(req.upTo ?? Date.now(), Date.now());
        const lastSeenAt = Math.max(u.lastSeenMissedAt, upTo);
        await storage.accounts.updateUser(u.id, { lastSeenMissedAt: lastSeenAt });
        return { count: await storage.history.missedCount(u.id, lastSeenAt), lastSeenAt };
      },
      'push:register': async (socket, req) =>
        push().register({ ...socket.data.ctx, familyId: socket.data.familyId }, req),
      'push:unregister': async (socket) => ({ removed: await push().unregister(socket.data.ctx) }),
      ...agentHandlers(storage, this.d.agents),
      ...supervisorHandlers(storage, this.d.agents),
      // The wallboard (docs/support-line.md) is not served yet.
      'wallboard:subscribe': async () => {
        throw new ProtocolError('not_found', 'the wallboard is not available on this server');
      },
      'wallboard:unsubscribe': async () => ({}),
    };
  }
}
