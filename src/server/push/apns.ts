/**
 * APNs VoIP pushes over HTTP/2 with token-based authentication.
 *
 * Why node:http2 + jose rather than @parse/node-apn (tried, and it can be
 * pointed at another host/port and CA): its retry path reads `Retry-After`
 * under a capitalised key that Node's lower-cased HTTP/2 headers never have,
 * strips it before returning errors, and retries at once without backoff; it
 * also only connects on the first send, so the first push after start pays
 * the TCP + TLS + HTTP/2 set-up inside the 50 ms budget. The protocol itself
 * is one POST, so a small client on the same HTTP/2 endpoint as FCM is
 * simpler than working around those. Details: docs/mobile.md.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import type { Logger } from '../logger.js';
import type { PushRegistrationRow } from '../store/types.js';
import { Http2Endpoint, TransportError } from './http2-endpoint.js';
import { parseRetryAfter } from './retry.js';
import type { PushSender, SendOutcome, SendRequest } from './sender.js';

export const APNS_HOSTS = {
  production: 'api.push.apple.com',
  sandbox: 'api.sandbox.push.apple.com',
} as const;

/**
 * Apple: a provider token must be refreshed at least once an hour and at most
 * once every 20 minutes. 40 minutes leaves room for clock skew either way.
 */
export const APNS_TOKEN_REFRESH_MS = 40 * 60_000;
const APNS_TOKEN_MIN_AGE_MS = 20 * 60_000;

/** Reasons after which the token will never work again for this topic. */
const DEAD_TOKEN_REASONS = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic', 'Unregistered', 'ExpiredToken']);

export interface ApnsSettings {
  /** PKCS#8 PEM of the .p8 signing key. */
  keyPem: string;
  keyId: string;
  teamId: string;
  /** Bundle ids this server pushes to. */
  bundleIds: string[];
  /** `host[:port]` override for both environments (stand-ins, proxies). */
  host?: string;
  /** Extra trusted CA (PEM). */
  ca?: string;
}

export class ApnsSender implements PushSender {
  readonly provider = 'apns' as const;
  private readonly endpoints = new Map<string, Http2Endpoint>();
  private token: { jwt: string; issuedAt: number } | null = null;
  private signing: Promise<string> | null = null;

  private constructor(
    private readonly s: ApnsSettings,
    private readonly key: CryptoKey,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Imports the signing key (a bad key fails the server start, not the first call). */
  static async create(s: ApnsSettings, log: Logger, now: () => number = Date.now): Promise<ApnsSender> {
    let key: CryptoKey;
    try {
      key = await importPKCS8(s.keyPem, 'ES256');
    } catch (err) {
      throw new Error(`APNS_KEY_FILE is not a P-256 private key in PKCS#8 PEM (.p8): ${(err as Error).message}`);
    }
    const sender = new ApnsSender(s, key, log, now);
    await sender.providerToken();
    return sender;
  }

  accepts(reg: Pick<PushRegistrationRow, 'provider' | 'bundleId'>): boolean {
    return reg.provider === 'apns' && reg.bundleId !== null && this.s.bundleIds.includes(reg.bundleId);
  }

  warm(): void {
    if (this.s.host) this.endpoint('production').warm();
    else for (const env of ['production', 'sandbox'] as const) this.endpoint(env).warm();
  }

  close(): void {
    for (const e of this.endpoints.values()) e.close();
    this.endpoints.clear();
  }

  /** The ES256 provider token, reused until it is APNS_TOKEN_REFRESH_MS old. */
  async providerToken(force = false): Promise<string> {
    const t = this.token;
    if (t && !force && this.now() - t.issuedAt < APNS_TOKEN_REFRESH_MS) return t.jwt;
    this.signing ??= (async () => {
      const issuedAt = this.now();
      const jwt = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: this.s.keyId })
        .setIssuer(this.s.teamId)
        .setIssuedAt(Math.floor(issuedAt / 1000))
        .sign(this.key);
      this.token = { jwt, issuedAt };
      return jwt;
    })().finally(() => {
      this.signing = null;
    });
    return this.signing;
  }

  async send(req: SendRequest): Promise<SendOutcome> {
    const reg = req.registration;
    const env = reg.environment ?? 'production';
    const jwt = await this.providerToken();
    let res;
    try {
      res = await this.endpoint(env).request({
        method: 'POST',
        path: `/3/device/${reg.token}`,
        headers: {
          authorization: `bearer ${jwt}`,
          'apns-push-type': 'voip',
          'apns-topic': `${reg.bundleId}.voip`,
          'apns-priority': '10',
          // Deliver now or never: a ring that arrives after the call is worse than none.
          'apns-expiration': '0',
          'apns-id': randomUUID(),
          'content-type': 'application/json',
        },
        body: JSON.stringify(req.payload),
        timeoutMs: req.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) return { kind: 'retry', status: null, reason: err.message };
      throw err;
    }
    if (res.status === 200) {
      const id = res.headers['apns-id'];
      return { kind: 'delivered', status: 200, id: typeof id === 'string' ? id : undefined };
    }
    let reason = `HTTP ${res.status}`;
    try {
      const body = JSON.parse(res.body) as { reason?: unknown };
      if (typeof body.reason === 'string') reason = body.reason;
    } catch {
      // Not JSON (a proxy's error page): keep the status as the reason.
    }
    if (res.status === 410 || (res.status === 400 && DEAD_TOKEN_REASONS.has(reason))) {
      return { kind: 'invalid-token', status: res.status, reason };
    }
    if (res.status === 403 && reason === 'ExpiredProviderToken') {
      // Our token aged out (or the clock jumped): sign a new one unless that was just done.
      if (this.token && this.now() - this.token.issuedAt >= APNS_TOKEN_MIN_AGE_MS) {
        await this.providerToken(true);
        return { kind: 'retry', status: 403, reason, retryAfterMs: 0 };
      }
      return { kind: 'failed', status: 403, reason: `${reason} with a fresh token: check the server clock` };
    }
    if (res.status === 429 || res.status >= 500) {
      return { kind: 'retry', status: res.status, reason, retryAfterMs: parseRetryAfter(res.headers['retry-after'], this.now()) };
    }
    return { kind: 'failed', status: res.status, reason };
  }

  private endpoint(env: 'production' | 'sandbox'): Http2Endpoint {
    const host = this.s.host ?? APNS_HOSTS[env];
    let e = this.endpoints.get(host);
    if (!e) {
      e = new Http2Endpoint({ origin: `https://${host}`, ca: this.s.ca, log: this.log, name: `apns ${host}` });
      this.endpoints.set(host, e);
    }
    return e;
  }
}
