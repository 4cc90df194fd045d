/**
 * Guest tokens (docs/support-line.md "Put the page on a website"): a short-lived HS256 JWT
 * that lets a caller without an account place ONE call to ONE public queue.
 *
 * A guest token can never pass as a user's access token, nor the other way round:
 * - its audience is `softphone-guest` (users': `softphone-client`), and each verifier
 *   requires its own;
 * - it is signed with a key derived from the JWT secret for guests only
 *   (HMAC-SHA256(secret, label)), so even a verifier that forgot the audience would find the
 *   signature wrong;
 * - it carries `typ: "guest"` and a subject `guest-<uuid>`, which no account id matches
 *   (accounts have bare UUIDs).
 * Claims: `sub` guest id, `jti` token id (the key of its one call), `q` queue id, `name` the
 * sanitised display name, `dev` the device id the socket must present.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { DisplayName, Id, ProtocolError, QueueId, type GuestResponse } from '../../shared/protocol/index.js';
import type { QueueRow } from '../store/queue-types.js';
import { sanitiseGuestName } from './guest-name.js';
import { Hs256Verifier, JwtError } from './hs256.js';

const ISSUER = 'softphone';
export const GUEST_AUDIENCE = 'softphone-guest';
const KEY_LABEL = 'softphone guest access tokens v1';
/** Guest ids and guest device ids start with this; account ids and user-chosen device ids may not. */
export const GUEST_PREFIX = 'guest-';
export const GUEST_USERNAME = 'guest';

export interface GuestClaims {
  guestId: string;
  tokenId: string;
  queueId: string;
  displayName: string;
  deviceId: string;
  expiresAtMs: number;
}

/** Whether the token claims to be a guest token (unverified: only picks the verifier). */
export function looksLikeGuestToken(token: string): boolean {
  const payload = token.split('.')[1];
  if (!payload) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown } | null;
    const aud = claims?.aud;
    return aud === GUEST_AUDIENCE || (Array.isArray(aud) && aud.includes(GUEST_AUDIENCE));
  } catch {
    return false;
  }
}

export class GuestTokens {
  private readonly key: Uint8Array;
  private readonly verifier: Hs256Verifier;

  constructor(
    jwtSecret: string,
    readonly ttlSec: number,
    /** The same clock as the user tokens' (tests move it forward). */
    readonly now: () => number = Date.now,
  ) {
    this.key = new Uint8Array(createHmac('sha256', jwtSecret).update(KEY_LABEL).digest());
    this.verifier = new Hs256Verifier(this.key);
  }

  /** A token for one call to `queue` (the caller checked that it is public). */
  async issue(queue: Pick<QueueRow, 'id' | 'name'>, name: string | undefined): Promise<GuestResponse> {
    const guestId = `${GUEST_PREFIX}${randomUUID()}`;
    const deviceId = `${GUEST_PREFIX}dev-${randomUUID()}`;
    const displayName = sanitiseGuestName(name);
    const nowSec = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ typ: 'guest', q: queue.id, name: displayName, dev: deviceId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(guestId)
      .setIssuer(ISSUER)
      .setAudience(GUEST_AUDIENCE)
      .setIssuedAt(nowSec)
      .setExpirationTime(nowSec + this.ttlSec)
      .setJti(randomUUID())
      .sign(this.key);
    return {
      token,
      expiresIn: this.ttlSec,
      user: { id: guestId, username: GUEST_USERNAME, displayName },
      deviceId,
      queue: { id: queue.id, name: queue.name },
    };
  }

  /**
   * Signature, audience, expiry and every claim's shape; `unauthorized` otherwise.
   * `allowExpired`: an expired token that is otherwise valid is returned (`expired: true`),
   * for a guest who reconnects to the call it is in.
   */
  verify(token: string, opts: { allowExpired?: boolean } = {}): GuestClaims & { expired: boolean } {
    const expect = { issuer: ISSUER, audience: GUEST_AUDIENCE, nowSec: Math.floor(this.now() / 1000) };
    let claims: Record<string, unknown>;
    let expired = false;
    try {
      claims = this.verifier.verify(token, expect);
    } catch (err) {
      expired = err instanceof JwtError && err.reason === 'expired';
      if (!expired) throw new ProtocolError('unauthorized', 'invalid guest token');
      if (!opts.allowExpired) throw new ProtocolError('unauthorized', 'guest token expired; ask for a new one');
      // Every check again, at the epoch: only the expiry is let pass (guest tokens carry no `nbf`).
      claims = this.verifier.verify(token, { ...expect, nowSec: 0 });
    }
    const { sub, jti, q, name, dev, exp, typ } = claims;
    const ok =
      typ === 'guest' &&
      typeof sub === 'string' &&
      sub.startsWith(GUEST_PREFIX) &&
      Id.safeParse(sub).success &&
      typeof jti === 'string' &&
      Id.safeParse(jti).success &&
      QueueId.safeParse(q).success &&
      DisplayName.safeParse(name).success &&
      typeof dev === 'string' &&
      dev.startsWith(GUEST_PREFIX) &&
      Id.safeParse(dev).success &&
      typeof exp === 'number';
    if (!ok) throw new ProtocolError('unauthorized', 'invalid guest token');
    return {
      guestId: sub,
      tokenId: jti,
      queueId: q as string,
      displayName: name as string,
      deviceId: dev,
      expiresAtMs: exp * 1000,
      expired,
    };
  }
}
