/**
 * Access tokens: short-lived HS256 JWTs (signed with jose, verified with node:crypto's
 * HMAC: hs256.ts). Refresh tokens: opaque random strings stored only as SHA-256 hashes,
 * rotated on every use; presenting a used token again (reuse) revokes its whole family.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SignJWT } from 'jose';
import { ProtocolError, type TokenResponse } from '../../shared/protocol/index.js';
import type { AccountStore, UserRow } from '../store/types.js';
import { Hs256Verifier, JwtError } from './hs256.js';

export interface AccessClaims {
  userId: string;
  familyId: string;
  /** When the access token expires (ms since the epoch, the service's clock). */
  expiresAtMs: number;
}

const ISSUER = 'softphone';
const AUDIENCE = 'softphone-client';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** What the token service tells its subscribers (the socket layer closes a revoked session's sockets). */
export interface TokenServiceEvents {
  /** A session (refresh-token family) was revoked: logout, or a rotated token presented again. */
  revoked: [familyId: string];
}

export class TokenService extends EventEmitter<TokenServiceEvents> {
  private readonly key: Uint8Array;
  private readonly verifier: Hs256Verifier;

  constructor(
    secret: string,
    private readonly accounts: AccountStore,
    private readonly accessTtlSec: number,
    private readonly refreshTtlMs: number,
    /** The clock expiry is judged by (injected by tests); the gateway uses it too. */
    readonly now: () => number = Date.now,
  ) {
    super();
    this.key = new TextEncoder().encode(secret);
    this.verifier = new Hs256Verifier(this.key);
  }

  async issue(user: UserRow, familyId: string = randomUUID()): Promise<TokenResponse> {
    const nowSec = Math.floor(this.now() / 1000);
    // Roles ride in the claims for clients to read; the server authorises every agent and
    // supervisor event against the stored roles (socket/agent-handlers.ts), so a role change
    // applies at once, not when this token expires.
    const accessToken = await new SignJWT({ fam: familyId, roles: user.roles })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowSec)
      .setExpirationTime(nowSec + this.accessTtlSec)
      .setJti(randomUUID())
      .sign(this.key);
    const refreshToken = randomBytes(32).toString('base64url');
    await this.accounts.insertRefreshToken({
      tokenHash: hashToken(refreshToken),
      userId: user.id,
      familyId,
      createdAt: this.now(),
      expiresAt: this.now() + this.refreshTtlMs,
    });
    return {
      accessToken,
      refreshToken,
      expiresIn: this.accessTtlSec,
      user: { id: user.id, username: user.username, displayName: user.displayName },
    };
  }

  /** Verifies signature, expiry, that the user still exists and the session was not revoked. */
  async verifyAccess(token: string): Promise<AccessClaims & { user: UserRow }> {
    let sub: unknown;
    let fam: unknown;
    let exp: unknown;
    try {
      const payload = this.verifier.verify(token, {
        issuer: ISSUER,
        audience: AUDIENCE,
        nowSec: Math.floor(this.now() / 1000),
      });
      sub = payload.sub;
      fam = payload.fam;
      exp = payload.exp;
    } catch (err) {
      const expired = err instanceof JwtError && err.reason === 'expired';
      throw new ProtocolError('unauthorized', expired ? 'access token expired' : 'invalid access token');
    }
    if (typeof sub !== 'string' || !sub || typeof fam !== 'string' || typeof exp !== 'number') throw new ProtocolError('unauthorized', 'invalid access token');
    const user = await this.accounts.getUserById(sub);
    if (!user) throw new ProtocolError('unauthorized', 'invalid access token');
    if (await this.accounts.isFamilyRevoked(fam)) throw new ProtocolError('unauthorized', 'session was signed out');
    return { userId: sub, familyId: fam, expiresAtMs: exp * 1000, user };
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const hash = hashToken(refreshToken);
    const row = await this.accounts.getRefreshToken(hash);
    const invalid = new ProtocolError('unauthorized', 'invalid or expired refresh token');
    if (!row || row.revokedAt !== null || row.expiresAt <= this.now()) throw invalid;
    if (row.usedAt !== null || !(await this.accounts.useRefreshToken(hash, this.now()))) {
      // Reuse of a rotated token: someone else holds a copy. End the whole session,
      // including sockets already open with its access tokens.
      await this.accounts.revokeFamily(row.familyId, this.now());
      this.emit('revoked', row.familyId);
      throw new ProtocolError('unauthorized', 'refresh token reuse detected; signed out');
    }
    const user = await this.accounts.getUserById(row.userId);
    if (!user) throw invalid;
    return this.issue(user, row.familyId);
  }

  async logout(refreshToken: string): Promise<void> {
    const row = await this.accounts.getRefreshToken(hashToken(refreshToken));
    if (!row) return;
    await this.accounts.revokeFamily(row.familyId, this.now());
    this.emit('revoked', row.familyId);
  }
}
