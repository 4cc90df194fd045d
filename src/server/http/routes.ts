/**
 * HTTP API (fastify): login, refresh, logout, TURN credentials, health; the admin API is in
 * admin-routes.ts.
 * Bodies are parsed with the zod schemas from src/shared; every error is
 * `{"error": {"code", "message"}}` with a matching status.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  LoginRequest,
  LogoutRequest,
  ProtocolError,
  PushDeviceParams,
  PushRegisterRequest,
  RefreshRequest,
  type PushRegisterResponse,
  type PushUnregisterResponse,
  type ErrorCode,
  type TurnResponse,
} from '../../shared/protocol/index.js';
import { looksLikeGuestToken, type GuestTokens } from '../auth/guest-tokens.js';
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.js';
import { hashToken, type TokenService } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { PushRegistrations } from '../push/registrations.js';
import type { RateLimits } from '../ratelimit.js';
import { describeZodError } from '../socket/gateway.js';
import type { Storage } from '../store/types.js';
import { registerAdminRoutes } from './admin-routes.js';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  busy: 409,
  conflict: 409,
  gone: 410,
  rate_limited: 429,
  internal: 500,
};

export interface HttpDeps {
  config: Config;
  storage: Storage;
  tokens: TokenService;
  limits: RateLimits;
  log: Logger;
  turnSecret: string;
  /** Set while the server drains on shutdown. */
  isDraining(): boolean;
  /** Push registration of mobile devices (src/server/push). */
  push?: PushRegistrations;
  /** A queue's settings or members changed (admin API): route its waiting calls again now. */
  queueChanged?: (queueId: string) => void;
  /** Guests of the public web page: their token also gets TURN credentials (http/guest-routes.ts). */
  guests?: GuestTokens;
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new ProtocolError('bad_request', describeZodError(r.error));
  return r.data;
}

/** TURN REST credentials: username "expiry:user", password base64(HMAC-SHA1(secret, username)). */
export function turnCredentials(secret: string, userId: string, ttlSec: number, now = Date.now()) {
  const username = `${Math.floor(now / 1000) + ttlSec}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

export function registerRoutes(app: FastifyInstance, d: HttpDeps): void {
  // Built now, not at the first unknown-user login, which would otherwise take twice as long.
  void dummyPasswordHash();
  app.setErrorHandler((err: unknown, req, reply) => {
    let e: ProtocolError;
    if (err instanceof ProtocolError) e = err;
    else {
      const fe = err as { statusCode?: number; code?: string; message?: string };
      if (fe.statusCode === 413) e = new ProtocolError('bad_request', 'request body too large');
      else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
        e = new ProtocolError('bad_request', fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'send JSON (content-type: application/json)' : 'malformed request');
      } else {
        d.log.error({ err, url: req.url }, 'request failed');
        e = new ProtocolError('internal', 'something went wrong on the server');
      }
    }
    const retry = e.details?.retryAfterMs;
    if (e.code === 'rate_limited' && typeof retry === 'number') {
      void reply.header('retry-after', Math.ceil(retry / 1000));
    }
    void reply.status(HTTP_STATUS[e.code]).send({ error: { code: e.code, message: e.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (d.isDraining()) return reply.status(503).send({ status: 'draining' });
    const ok = await d.storage.ready();
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready' });
  });

  const unauthorized = () => new ProtocolError('unauthorized', 'wrong username or password');

  app.post('/api/login', async (req) => {
    await d.limits.consume('loginIp', req.ip);
    const body = parseBody(LoginRequest, req.body);
    const username = body.username.trim().toLowerCase();
    // Throttled per username whether or not it exists, so the limit reveals nothing.
    const blockedMs = await d.limits.blockedForMs('loginUser', username);
    if (blockedMs > 0) {
      // Retry-After is the real wait (rounded up to whole seconds by the error handler).
      throw new ProtocolError('rate_limited', 'too many failed sign-ins; try again shortly', { retryAfterMs: blockedMs });
    }
    const user = await d.storage.accounts.getUserByUsername(username);
    // Same work whether or not the user exists: no timing hint either.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) {
      await d.limits.consume('loginUser', username).catch(() => undefined);
      throw unauthorized();
    }
    await d.limits.reset('loginUser', username);
    return d.tokens.issue(user);
  });

  app.post('/api/refresh', async (req) => {
    await d.limits.consume('loginIp', req.ip);
    const body = parseBody(RefreshRequest, req.body);
    return d.tokens.refresh(body.refreshToken);
  });

  app.post('/api/logout', async (req) => {
    const body = parseBody(LogoutRequest, req.body);
    if (body.deviceId && d.push) {
      // A phone signing out stops being woken for this account. Only the
      // device's own user can do that: the refresh token names the user.
      const session = await d.storage.accounts.getRefreshToken(hashToken(body.refreshToken));
      const device = session ? await d.storage.accounts.getDevice(body.deviceId) : undefined;
      if (session && device?.userId === session.userId) {
        await d.push.unregister({ userId: session.userId, deviceId: body.deviceId });
      }
    }
    await d.tokens.logout(body.refreshToken);
    return { ok: true };
  });

  const bearer = async (req: FastifyRequest) => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw new ProtocolError('unauthorized', 'missing bearer token');
    return d.tokens.verifyAccess(match[1]!);
  };
  const pushRegistrations = () => {
    if (!d.push) throw new ProtocolError('internal', 'push registration is not available on this server');
    return d.push;
  };

  // Mobile: register this device's push credentials (docs/mobile.md). Same as the `push:register` event.
  app.post('/api/push', async (req): Promise<PushRegisterResponse> => {
    const { userId, familyId } = await bearer(req);
    const body = parseBody(PushRegisterRequest, req.body);
    const { deviceId, deviceName, appVersion, ...registration } = body;
    const device = await d.storage.accounts.getDevice(deviceId);
    if (device && device.userId !== userId) throw new ProtocolError('forbidden', 'this device belongs to another account');
    if (!device) {
      // A phone may register before its first socket connection.
      const kind = registration.provider === 'apns' ? 'ios' : 'android';
      await d.storage.accounts.upsertDevice({
        id: deviceId,
        userId,
        kind,
        name: deviceName ?? (kind === 'ios' ? 'iPhone' : 'Android phone'),
        appVersion: appVersion ?? 'unknown',
        lastSeenAt: Date.now(),
      });
    }
    return pushRegistrations().register({ userId, familyId, deviceId }, registration);
  });

  app.delete('/api/push/:deviceId', async (req): Promise<PushUnregisterResponse> => {
    const { userId } = await bearer(req);
    const { deviceId } = parseBody(PushDeviceParams, req.params);
    return { removed: await pushRegistrations().unregister({ userId, deviceId }) };
  });

  app.get('/api/turn', async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match) throw new ProtocolError('unauthorized', 'missing bearer token');
    // The public web page's guest needs a relay as much as a user does.
    const token = match[1]!;
    const userId = d.guests && looksLikeGuestToken(token) ? d.guests.verify(token).guestId : (await d.tokens.verifyAccess(token)).userId;
    const { username, credential } = turnCredentials(d.turnSecret, userId, d.config.turnTtlSec);
    const iceServers: TurnResponse['iceServers'] = [];
    if (d.config.stunUrls.length > 0) iceServers.push({ urls: d.config.stunUrls });
    if (d.config.turnUrls.length > 0) iceServers.push({ urls: d.config.turnUrls, username, credential });
    void reply.header('cache-control', 'no-store');
    return {
      username,
      credential,
      ttl: d.config.turnTtlSec,
      urls: [...d.config.stunUrls, ...d.config.turnUrls],
      iceServers,
    } satisfies TurnResponse;
  });

  registerAdminRoutes(app, d);
}
