/**
 * The FCM OAuth client (src/server/push/fcm-oauth.ts) with an injected token
 * endpoint and clock: the assertion a Google token endpoint verifies, and the
 * access-token cache that keeps OAuth off the push path.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { FCM_SCOPE, GOOGLE_TOKEN_URL, JWT_BEARER_GRANT, ServiceAccountTokens, type TokenPost } from '../../src/server/push/fcm-oauth.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const account = {
  client_email: 'push@softphone-test.iam.gserviceaccount.com',
  private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  private_key_id: 'a1b2c3',
  token_uri: 'https://oauth.example.test/token',
};
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A token endpoint that answers from a script and records the forms it got. */
function endpoint(...answers: { status: number; body: unknown }[]) {
  const forms: { url: string; form: Record<string, string> }[] = [];
  let n = 0;
  const post: TokenPost = async (url, form) => {
    forms.push({ url, form });
    const a = answers.shift() ?? { status: 200, body: { access_token: `ya29.t${++n}`, expires_in: 3599, token_type: 'Bearer' } };
    return { status: a.status, body: typeof a.body === 'string' ? a.body : JSON.stringify(a.body) };
  };
  return { post, forms };
}

describe('service-account OAuth for FCM', () => {
  it('signs an RS256 assertion the token endpoint can verify with the public key', async () => {
    const now = T0;
    const ep = endpoint();
    const tokens = new ServiceAccountTokens(account, ep.post, () => now);
    expect(await tokens.get()).toBe('ya29.t1');
    const [{ url, form }] = ep.forms as [{ url: string; form: Record<string, string> }];
    expect(url).toBe(account.token_uri);
    expect(form.grant_type).toBe(JWT_BEARER_GRANT);
    const { payload } = await jwtVerify(form.assertion!, publicKey, {
      algorithms: ['RS256'],
      issuer: account.client_email,
      audience: account.token_uri,
      currentDate: new Date(now),
    });
    expect(payload).toEqual({ iss: account.client_email, aud: account.token_uri, scope: FCM_SCOPE, iat: T0 / 1000, exp: T0 / 1000 + 3600 });
    expect(decodeProtectedHeader(form.assertion!)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'a1b2c3' });
    // Another key does not verify it.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    await expect(jwtVerify(form.assertion!, other, { currentDate: new Date(now) })).rejects.toThrow();
  });

  it("without token_uri the assertion goes to Google's token URL, with that audience", async () => {
    const ep = endpoint();
    const { token_uri: _none, ...noUri } = account;
    await new ServiceAccountTokens(noUri, ep.post, () => T0).get();
    expect(ep.forms[0]!.url).toBe(GOOGLE_TOKEN_URL);
    const { payload } = await jwtVerify(ep.forms[0]!.form.assertion!, publicKey, { audience: GOOGLE_TOKEN_URL, currentDate: new Date(T0) });
    expect(payload.aud).toBe(GOOGLE_TOKEN_URL);
  });

  it('caches the token until 10 minutes before it expires; concurrent callers share one request', async () => {
    let now = T0;
    const ep = endpoint();
    const tokens = new ServiceAccountTokens(account, ep.post, () => now);
    expect(await Promise.all([tokens.get(), tokens.get(), tokens.get()])).toEqual(['ya29.t1', 'ya29.t1', 'ya29.t1']);
    expect(ep.forms).toHaveLength(1);
    now = T0 + 3599_000 - 10 * 60_000 - 1;
    expect(await tokens.get()).toBe('ya29.t1');
    expect(ep.forms).toHaveLength(1);
    now += 1;
    expect(await tokens.get()).toBe('ya29.t2');
    expect(ep.forms).toHaveLength(2);
    // The new assertion is signed at the new time.
    const { payload } = await jwtVerify(ep.forms[1]!.form.assertion!, publicKey, { currentDate: new Date(now) });
    expect(payload.iat).toBe(Math.floor(now / 1000));
  });

  it('a short-lived token is refreshed at half its lifetime', async () => {
    let now = T0;
    const ep = endpoint({ status: 200, body: { access_token: 'short', expires_in: 300 } });
    const tokens = new ServiceAccountTokens(account, ep.post, () => now);
    expect(await tokens.get()).toBe('short');
    now = T0 + 149_999;
    expect(await tokens.get()).toBe('short');
    now = T0 + 150_000;
    expect(await tokens.get()).toBe('ya29.t1');
  });

  it('invalidate (FCM answered 401) makes the next call fetch a new token', async () => {
    const ep = endpoint();
    const tokens = new ServiceAccountTokens(account, ep.post, () => T0);
    expect(await tokens.get()).toBe('ya29.t1');
    tokens.invalidate();
    expect(await tokens.get()).toBe('ya29.t2');
    expect(ep.forms).toHaveLength(2);
  });

  it('an error answer is reported with its status and OAuth error, and the next call tries again', async () => {
    const ep = endpoint(
      { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } },
      { status: 502, body: '<html>bad gateway</html>' },
    );
    const tokens = new ServiceAccountTokens(account, ep.post, () => T0);
    await expect(tokens.get()).rejects.toThrow('token endpoint answered 400 (invalid_grant: Invalid JWT Signature.)');
    await expect(tokens.get()).rejects.toThrow(/^token endpoint answered 502$/);
    expect(await tokens.get()).toBe('ya29.t1');
  });
});
