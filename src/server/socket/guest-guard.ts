/**
 * Guest sockets (docs/protocol.md "Guests"): a caller from the public web page who holds a
 * guest token (auth/guest-tokens.ts), not an account.
 *
 * The handshake binds the socket to the token's guest id and device id; no device row,
 * push registration, presence or agent state is made for it (the live device registry
 * still records the connection, so a drop is noticed by the call like any device's).
 *
 * Every event of a guest socket passes `GuestGuard.run`, an allow-list:
 * - `session:ping`; `session:sync` answered from the guest's own calls only;
 * - `call:invite` to `{queue: <the token's queue>}` — once per token, claimed atomically
 *   on every node (the `guestCall` limit: one point per token id, in Redis with several
 *   nodes); a second one answers `forbidden` (details.reason `guest_call_used`);
 * - `call:cancel`, `call:hangup`, `call:signal`: the call service lets only a party of a call
 *   act on it, and the guest id is a party of that one call only.
 * Everything else answers `forbidden`. Past the token's expiry nothing may start: a socket
 * in its call may still ping, sync, signal and hang up; without a live call it is closed.
 */
import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  type CallView,
  type ClientEventName,
  type ClientRequest,
  type ClientResponse,
  type HandshakeAuth,
} from '../../shared/protocol/index.js';
import { GUEST_PREFIX, GUEST_USERNAME, looksLikeGuestToken, type GuestTokens } from '../auth/guest-tokens.js';
import { toView, type CallService, type DeviceContext } from '../calls/call-service.js';
import type { LiveState } from '../live/types.js';
import type { RateLimits } from '../ratelimit.js';
import type { SocketData } from './gateway.js';

export interface GuestSocketData {
  queueId: string;
  tokenId: string;
}

/**
 * Places the guest's call in its queue (the queue service; `callerKind: 'guest'`). Only the
 * queue id is passed on: a `priority` the guest sent is dropped (it cannot jump the line).
 */
export type GuestInvite = (ctx: DeviceContext, queueId: string, callId: string) => Promise<CallView>;

export interface GuestGuardDeps {
  guests: GuestTokens;
  calls: CallService;
  live: LiveState;
  limits: RateLimits;
  invite: GuestInvite;
}

interface GuestSocket {
  data: SocketData;
  disconnect(close?: boolean): unknown;
}

const ALLOWED = new Set<ClientEventName>(['session:ping', 'session:sync', 'call:invite', 'call:cancel', 'call:hangup', 'call:signal']);

export const GUEST_CALL_USED = 'guest_call_used';

/**
 * Handshake: a guest token binds the socket (true), or the token is not one (false: the
 * account path goes on). A user's device may not take an id of the guests' form, whose
 * device room carries a guest's call. An expired guest token is refused, unless its guest
 * is in a call (a reconnect to finish it).
 */
export async function authenticateGuest(
  data: SocketData,
  auth: HandshakeAuth,
  ip: string,
  d: { guests?: GuestTokens; live: LiveState },
): Promise<boolean> {
  const { guests } = d;
  if (!guests || !looksLikeGuestToken(auth.token)) {
    if (auth.deviceId.startsWith(GUEST_PREFIX)) throw new ProtocolError('forbidden', 'device ids starting with "guest-" are reserved');
    return false;
  }
  const claims = guests.verify(auth.token, { allowExpired: true });
  if (claims.expired && (await d.live.calls.activeForUser(claims.guestId)).length === 0) {
    throw new ProtocolError('unauthorized', 'guest token expired; ask for a new one');
  }
  if (auth.deviceId !== claims.deviceId) throw new ProtocolError('forbidden', 'this guest token is for another device id');
  const user = { id: claims.guestId, username: GUEST_USERNAME, displayName: claims.displayName };
  data.ctx = { userId: user.id, deviceId: claims.deviceId, user };
  data.guest = { queueId: claims.queueId, tokenId: claims.tokenId };
  data.ip = ip;
  data.familyId = `${GUEST_PREFIX}${claims.tokenId}`;
  data.accessExpiresAt = claims.expiresAtMs;
  data.roles = [];
  return true;
}

export class GuestGuard {
  constructor(private readonly d: GuestGuardDeps) {}

  /** Before the payload is even parsed: an event outside the allow-list is `forbidden`. */
  admit(event: ClientEventName): void {
    if (!ALLOWED.has(event)) throw new ProtocolError('forbidden', `a guest may not use ${event}`);
  }

  /** Runs a parsed request of a guest socket (admitted); `next` is the regular handler. */
  async run(socket: GuestSocket, event: ClientEventName, req: unknown, next: () => Promise<unknown>): Promise<unknown> {
    const { ctx } = socket.data;
    this.admit(event);
    if (this.d.guests.now() >= socket.data.accessExpiresAt) {
      if (event === 'call:invite') throw new ProtocolError('unauthorized', 'guest token expired; ask for a new one');
      const inCall = (await this.d.live.calls.activeForUser(ctx.userId)).length > 0;
      if (!inCall) {
        // Answered first, then closed (the ack is written before the close).
        setImmediate(() => socket.disconnect(true));
        throw new ProtocolError('unauthorized', 'guest token expired and its call is over');
      }
    }
    if (event === 'session:sync') return this.sync(ctx, req as ClientRequest<'session:sync'>);
    if (event === 'call:invite') return this.invite(socket.data, req as ClientRequest<'call:invite'>);
    return next();
  }

  private async sync(ctx: DeviceContext, req: ClientRequest<'session:sync'>): Promise<ClientResponse<'session:sync'>> {
    const { calls, ended } = await this.d.calls.sync(ctx, req.calls);
    return {
      user: ctx.user,
      status: 'available',
      settings: { callWaiting: false },
      calls,
      ended,
      missedCount: 0,
      historyHead: null,
      lastSeenMissedAt: 0,
    };
  }

  private async invite(data: SocketData, req: ClientRequest<'call:invite'>): Promise<ClientResponse<'call:invite'>> {
    const { ctx, guest } = data;
    await this.d.limits.consume('inviteIp', data.ip);
    if (!guest || !('queue' in req.to) || req.to.queue !== guest.queueId) {
      throw new ProtocolError('forbidden', 'a guest token calls its own queue only');
    }
    if (req.callId) {
      // The same invite again (its ack was lost): the call it placed, not a second one.
      const placed = await this.d.live.calls.get(req.callId);
      if (placed && placed.caller.id === ctx.userId && placed.callerDeviceId === ctx.deviceId && placed.state !== 'ended') {
        return { call: toView(placed) };
      }
    }
    try {
      await this.d.limits.consume('guestCall', guest.tokenId);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'rate_limited') {
        throw new ProtocolError('forbidden', 'this guest token has placed its call; one call per token', { reason: GUEST_CALL_USED });
      }
      throw err;
    }
    const callId = req.callId ?? randomUUID();
    try {
      return { call: await this.d.invite(ctx, guest.queueId, callId) };
    } catch (err) {
      // Refused before any call of this guest existed (e.g. the id is taken): not spent.
      const placed = await this.d.live.calls.get(callId).catch(() => undefined);
      if (err instanceof ProtocolError && placed?.caller.id !== ctx.userId) await this.d.limits.reset('guestCall', guest.tokenId);
      throw err;
    }
  }
}
