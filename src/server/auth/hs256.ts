/**
 * Verification of HS256 JWTs (compact JWS) with node:crypto's HMAC.
 *
 * The server verifies an access token at every socket handshake and authenticated HTTP
 * request. jose's `jwtVerify` does it through WebCrypto (a key import and an async job per
 * call): ~0.5 ms of CPU per handshake, 10 % of what re-registering a device cost in the
 * reconnect storm (`npm run bench`). A synchronous HMAC-SHA256 is ~20 µs. The token format
 * is unchanged (tokens are still signed by jose) and every check jose made is kept, some
 * stricter:
 * - exactly three base64url segments; the header a JSON object with `alg` HS256 (no other
 *   algorithm, no `none`) and no `crit` extensions (jose accepted only `b64`);
 * - the signature, compared in constant time with the canonical encoding of the expected one;
 * - the payload a JSON object; `iss` and `aud` (a string or an array holding it) as expected;
 *   `exp` required (jose only checked it when present; our tokens always carry it) and in the
 *   future; `nbf`, when present, not in the future; `iat`, when present, a number.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export class JwtError extends Error {
  constructor(
    readonly reason: 'malformed' | 'algorithm' | 'signature' | 'claims' | 'expired',
    message: string,
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

export interface Hs256Expectations {
  issuer: string;
  audience: string;
  /** Current time, seconds since the epoch. */
  nowSec: number;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtError('malformed', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export class Hs256Verifier {
  private readonly key: KeyObject;

  constructor(secret: Uint8Array) {
    this.key = createSecretKey(secret);
  }

  /** The verified claims; throws JwtError otherwise. */
  verify(token: string, expect: Hs256Expectations): Record<string, unknown> {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) {
      throw new JwtError('malformed', 'not a compact JWS');
    }
    const [headerB64, payloadB64, signatureB64] = parts as [string, string, string];
    const header = decodeJsonObject(headerB64, 'header');
    if (header.alg !== 'HS256') throw new JwtError('algorithm', 'unexpected algorithm');
    if (header.crit !== undefined) throw new JwtError('malformed', 'unsupported critical header');

    const expected = createHmac('sha256', this.key).update(`${headerB64}.${payloadB64}`).digest('base64url');
    const given = Buffer.from(signatureB64);
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      throw new JwtError('signature', 'signature verification failed');
    }

    const claims = decodeJsonObject(payloadB64, 'payload');
    if (claims.iss !== expect.issuer) throw new JwtError('claims', 'unexpected "iss"');
    const aud = claims.aud;
    if (!(aud === expect.audience || (Array.isArray(aud) && aud.includes(expect.audience)))) {
      throw new JwtError('claims', 'unexpected "aud"');
    }
    for (const name of ['exp', 'nbf', 'iat'] as const) {
      if (claims[name] !== undefined && (typeof claims[name] !== 'number' || !Number.isFinite(claims[name]))) {
        throw new JwtError('claims', `"${name}" must be a number`);
      }
    }
    if (claims.nbf !== undefined && (claims.nbf as number) > expect.nowSec) {
      throw new JwtError('claims', '"nbf" claim timestamp check failed');
    }
    if (claims.exp === undefined) throw new JwtError('claims', 'missing "exp"');
    if ((claims.exp as number) <= expect.nowSec) throw new JwtError('expired', '"exp" claim timestamp check failed');
    return claims;
  }
}
