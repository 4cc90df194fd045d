/**
 * The HS256 verifier (src/server/auth/hs256.ts) against jose, which signs our tokens and
 * used to verify them: every token jose accepts with the server's options is accepted with
 * the same claims, and every forgery jose refuses is refused (differentially, over
 * generated claims), plus the cases where we are deliberately stricter.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { describe, expect, it } from 'vitest';
import { Hs256Verifier, JwtError } from '../../src/server/auth/hs256.js';

const KEY = new TextEncoder().encode('a test secret that is long enough for HS256');
const OTHER = new TextEncoder().encode('another secret, same length or not, who cares');
const NOW = 1_800_000_000;
const expect_ = { issuer: 'softphone', audience: 'softphone-client', nowSec: NOW };
const verifier = new Hs256Verifier(KEY);

function sign(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }, key = KEY) {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

const good = { sub: 'u1', fam: 'f1', iss: 'softphone', aud: 'softphone-client', iat: NOW - 10, exp: NOW + 600, jti: 'j' };

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** A correctly signed token with any header (jose refuses to sign some of them). */
function handSigned(header: unknown, claims: unknown): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
}

function reason(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof JwtError) return err.reason;
    throw err;
  }
}

async function joseOutcome(token: string): Promise<string> {
  try {
    await jwtVerify(token, KEY, { issuer: 'softphone', audience: 'softphone-client', algorithms: ['HS256'], currentDate: new Date(NOW * 1000) });
    return 'accepted';
  } catch (err) {
    return err instanceof joseErrors.JWTExpired ? 'expired' : 'refused';
  }
}

describe('HS256 verification', () => {
  it('accepts what the server issues, with the claims jose reads', async () => {
    const token = await sign(good);
    expect(verifier.verify(token, expect_)).toEqual((await jwtVerify(token, KEY)).payload);
    // Without `typ`, as some tests and older tokens are signed.
    const untyped = await sign(good, { alg: 'HS256' });
    expect(reason(() => verifier.verify(untyped, expect_))).toBe('accepted');
  });

  it('refuses forged, re-signed, algorithm-swapped and malformed tokens', async () => {
    const token = await sign(good);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const cases: [string, string, string][] = [
      ['payload changed', `${h}.${b64({ ...good, sub: 'admin' })}.${sig}`, 'signature'],
      ['other key', await sign(good, undefined, OTHER), 'signature'],
      ['alg none', `${b64({ alg: 'none' })}.${p}.`, 'malformed'],
      ['alg none with a signature', `${b64({ alg: 'none' })}.${p}.${sig}`, 'algorithm'],
      ['HS512 with the same key', await sign(good, { alg: 'HS512' }), 'algorithm'],
      ['header alg changed, old signature', `${b64({ alg: 'HS384', typ: 'JWT' })}.${p}.${sig}`, 'algorithm'],
      ['crit extension', handSigned({ alg: 'HS256', crit: ['exp'], exp: 1 }, good), 'malformed'],
      ['two segments', `${h}.${p}`, 'malformed'],
      ['four segments', `${token}.x`, 'malformed'],
      ['signature truncated', token.slice(0, -2), 'signature'],
      ['header not JSON', `${Buffer.from('{nope').toString('base64url')}.${p}.${sig}`, 'malformed'],
      ['header an array', `${b64(['HS256'])}.${p}.${sig}`, 'malformed'],
      ['empty', '', 'malformed'],
    ];
    for (const [what, t, why] of cases) expect(reason(() => verifier.verify(t, expect_)), what).toBe(why);
    for (const [what, t] of cases) expect(await joseOutcome(t), `jose: ${what}`).toBe('refused');
    // Stricter than jose, which understands the `b64` extension and decodes a padded
    // signature: the server never issues either.
    for (const t of [handSigned({ alg: 'HS256', crit: ['b64'], b64: true }, good), `${token}=`]) {
      expect(await joseOutcome(t)).toBe('accepted');
      expect(reason(() => verifier.verify(t, expect_))).toBe('malformed');
    }
  });

  it('checks issuer, audience, expiry and not-before like jose (exp is required)', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['wrong issuer', { ...good, iss: 'someone' }, 'claims'],
      ['no issuer', { ...good, iss: undefined }, 'claims'],
      ['wrong audience', { ...good, aud: 'softphone-admin' }, 'claims'],
      ['audience list with ours', { ...good, aud: ['x', 'softphone-client'] }, 'accepted'],
      ['audience list without ours', { ...good, aud: ['x'] }, 'claims'],
      ['expires now', { ...good, exp: NOW }, 'expired'],
      ['expired', { ...good, exp: NOW - 1 }, 'expired'],
      ['expires in a second', { ...good, exp: NOW + 1 }, 'accepted'],
      ['exp a string', { ...good, exp: String(NOW + 600) }, 'claims'],
      ['not yet valid', { ...good, nbf: NOW + 5 }, 'claims'],
      ['valid from now', { ...good, nbf: NOW }, 'accepted'],
      ['iat a string', { ...good, iat: 'yesterday' }, 'claims'],
    ];
    for (const [what, claims, why] of cases) {
      const t = await sign(claims);
      expect(reason(() => verifier.verify(t, expect_)), what).toBe(why);
      expect(await joseOutcome(t), `jose: ${what}`).toBe(why === 'accepted' ? 'accepted' : why === 'expired' ? 'expired' : 'refused');
    }
    // Stricter than jose, which accepts a token without exp forever: ours always carry one.
    const eternal = await sign({ ...good, exp: undefined });
    expect(await joseOutcome(eternal)).toBe('accepted');
    expect(reason(() => verifier.verify(eternal, expect_))).toBe('claims');
  });

  it('agrees with jose on generated claims and tampering', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          iss: fc.constantFrom('softphone', 'other', undefined),
          aud: fc.constantFrom('softphone-client', ['softphone-client', 'x'], 'x', undefined),
          exp: fc.integer({ min: NOW - 5, max: NOW + 5 }),
          nbf: fc.option(fc.integer({ min: NOW - 5, max: NOW + 5 }), { nil: undefined }),
          sub: fc.string({ maxLength: 8 }),
        }),
        fc.boolean(),
        async (claims, tamper) => {
          let token = await sign(claims);
          if (tamper) token = `${token.slice(0, -3)}${token.endsWith('A') ? 'B' : 'A'}${token.slice(-2)}`;
          const ours = reason(() => verifier.verify(token, expect_));
          const theirs = await joseOutcome(token);
          expect(ours === 'accepted' ? 'accepted' : ours === 'expired' ? 'expired' : 'refused').toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });
});
