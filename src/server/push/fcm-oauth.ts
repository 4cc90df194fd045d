/**
 * The OAuth 2.0 access token FCM HTTP v1 needs, from a Google service-account
 * key: the JWT bearer grant of RFC 7523, as Google documents it for service
 * accounts ("Using OAuth 2.0 for Server to Server Applications").
 *
 *   assertion  RS256 JWT signed with the account's private key:
 *              iss = client_email, scope = firebase.messaging, aud = token_uri,
 *              iat = now, exp = now + 1 h (Google's maximum); kid = private_key_id
 *   request    POST token_uri, application/x-www-form-urlencoded
 *              grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…
 *   answer     {"access_token", "expires_in", "token_type": "Bearer"}
 *
 * The token is cached until REFRESH_BEFORE_EXPIRY_MS before it expires (half
 * its lifetime if that is shorter); one request at a time (concurrent callers
 * share it). jose already signs the
 * APNs provider token, so this is the same library for both providers rather
 * than google-auth-library, which needed an interceptor on its transport to
 * honour `token_uri` and pulled in gaxios and gcp-metadata for one POST.
 */
import https from 'node:https';
import tls from 'node:tls';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** Google's token endpoint: the `token_uri` of every real service-account file. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Assertion lifetime: Google accepts at most one hour. */
const ASSERTION_TTL_SEC = 3600;
/** Fetch a new access token this long before the cached one expires. */
export const REFRESH_BEFORE_EXPIRY_MS = 10 * 60_000;
const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** One form POST; the answer's status and body. Injected in unit tests. */
export type TokenPost = (url: string, form: Record<string, string>) => Promise<{ status: number; body: string }>;

/** POSTs over HTTPS, trusting the system roots plus `ca` (PUSH_CA_FILE) when given. */
export function httpsTokenPost(ca?: string): TokenPost {
  const agent = new https.Agent({ keepAlive: true, ca: ca ? [...tls.rootCertificates, ca] : undefined });
  return (url, form) =>
    new Promise((resolve, reject) => {
      const body = new URLSearchParams(form).toString();
      const req = https.request(
        url,
        {
          method: 'POST',
          agent,
          timeout: TOKEN_REQUEST_TIMEOUT_MS,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from the token endpoint within ${TOKEN_REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}

interface CachedToken {
  token: string;
  /** When `get` fetches a new one: REFRESH_BEFORE_EXPIRY_MS before expiry (half the lifetime for short ones). */
  refreshAt: number;
}

export class ServiceAccountTokens {
  private cached: CachedToken | null = null;
  private pending: Promise<string> | null = null;
  private key: Promise<CryptoKey> | null = null;
  readonly tokenUri: string;

  constructor(
    private readonly account: ServiceAccountKey,
    private readonly post: TokenPost,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenUri = account.token_uri ?? GOOGLE_TOKEN_URL;
  }

  /** A valid access token: the cached one, or a new one when it is (nearly) expired. */
  async get(): Promise<string> {
    const c = this.cached;
    if (c && this.now() < c.refreshAt) return c.token;
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** FCM refused the token (401): the next `get` fetches a new one. */
  invalidate(): void {
    this.cached = null;
  }

  /** The signed assertion (exported for tests). */
  async assertion(): Promise<string> {
    this.key ??= importPKCS8(this.account.private_key, 'RS256');
    const iat = Math.floor(this.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(this.account.private_key_id ? { kid: this.account.private_key_id } : {}) };
    return new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader(header)
      .setIssuer(this.account.client_email)
      .setAudience(this.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_TTL_SEC)
      .sign(await this.key);
  }

  private async fetch(): Promise<string> {
    const askedAt = this.now();
    const res = await this.post(this.tokenUri, { grant_type: JWT_BEARER_GRANT, assertion: await this.assertion() });
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      json = JSON.parse(res.body) as typeof json;
    } catch {
      // A proxy's error page: reported by status below.
    }
    if (res.status !== 200 || typeof json.access_token !== 'string' || json.access_token === '') {
      const why = [json.error, json.error_description].filter((x) => typeof x === 'string').join(': ');
      throw new Error(`token endpoint answered ${res.status}${why ? ` (${why})` : ''}`);
    }
    const expiresInSec = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : ASSERTION_TTL_SEC;
    // Counted from when we asked, so a slow answer does not stretch the token's life.
    const lifeMs = expiresInSec * 1000;
    this.cached = { token: json.access_token, refreshAt: askedAt + Math.max(lifeMs - REFRESH_BEFORE_EXPIRY_MS, lifeMs / 2) };
    return json.access_token;
  }
}
