/**
 * FCM HTTP v1: data-only, high-priority messages with a short TTL.
 *
 * OAuth: google-auth-library's `JWT` client signs the service-account
 * assertion and caches / refreshes the access token. It posts to Google's
 * fixed token URL; a request interceptor on its own transporter sends it to
 * the service-account file's `token_uri` instead (the same URL for a real
 * Google account, a local stand-in in tests), and the transporter trusts
 * PUSH_CA_FILE. The token is fetched at start and refreshed in the
 * background, so a push never waits for OAuth.
 *
 * Sends go over the shared HTTP/2 endpoint (one warm connection, like APNs)
 * rather than through gaxios, which would use HTTP/1.1 and connect lazily.
 */
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { JWT } from 'google-auth-library';
import type { Logger } from '../logger.js';
import type { PushRegistrationRow } from '../store/types.js';
import { Http2Endpoint, TransportError } from './http2-endpoint.js';
import { toFcmData } from './payloads.js';
import { parseRetryAfter } from './retry.js';
import type { PushSender, SendOutcome, SendRequest } from './sender.js';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** The token URL google-auth-library posts to (and the `aud` of its assertion). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Refresh the OAuth token this long before it expires, from a background timer. */
const TOKEN_EAGER_REFRESH_MS = 10 * 60_000;
const TOKEN_CHECK_INTERVAL_MS = 4 * 60_000;

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  project_id?: string;
  token_uri?: string;
}

export function readServiceAccount(file: string): ServiceAccount {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`FCM_SERVICE_ACCOUNT_FILE ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  const sa = json as Partial<ServiceAccount>;
  if (typeof sa.client_email !== 'string' || typeof sa.private_key !== 'string') {
    throw new Error(`FCM_SERVICE_ACCOUNT_FILE ${file}: not a service-account key (needs client_email and private_key)`);
  }
  if (sa.token_uri !== undefined && !/^https:\/\//.test(sa.token_uri)) {
    throw new Error(`FCM_SERVICE_ACCOUNT_FILE ${file}: token_uri must be an https URL`);
  }
  return sa as ServiceAccount;
}

export interface FcmSettings {
  serviceAccount: ServiceAccount;
  projectId: string;
  /** `host[:port]` of the FCM API. */
  host: string;
  ca?: string;
}

interface FcmErrorBody {
  error?: {
    code?: number;
    status?: string;
    message?: string;
    details?: { '@type'?: string; errorCode?: string; fieldViolations?: { field?: string }[] }[];
  };
}

export class FcmSender implements PushSender {
  readonly provider = 'fcm' as const;
  private readonly jwt: JWT;
  private readonly endpoint: Http2Endpoint;
  private readonly refresher: NodeJS.Timeout;

  constructor(
    private readonly s: FcmSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const agent = new https.Agent({ keepAlive: true, ca: s.ca ? [...tls.rootCertificates, s.ca] : undefined });
    this.jwt = new JWT({
      email: s.serviceAccount.client_email,
      key: s.serviceAccount.private_key,
      scopes: [FCM_SCOPE],
      eagerRefreshThresholdMillis: TOKEN_EAGER_REFRESH_MS,
      transporterOptions: { agent },
    });
    const tokenUri = s.serviceAccount.token_uri;
    if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL) {
      this.jwt.transporter.interceptors.request.add({
        resolved: async (opts) => {
          if (String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(tokenUri);
          return opts;
        },
      });
    }
    this.endpoint = new Http2Endpoint({ origin: `https://${s.host}`, ca: s.ca, log, name: `fcm ${s.host}` });
    this.refresher = setInterval(() => this.refreshInBackground(), TOKEN_CHECK_INTERVAL_MS);
    this.refresher.unref();
  }

  accepts(reg: Pick<PushRegistrationRow, 'provider'>): boolean {
    return reg.provider === 'fcm';
  }

  warm(): void {
    this.endpoint.warm();
    this.refreshInBackground();
  }

  close(): void {
    clearInterval(this.refresher);
    this.endpoint.close();
  }

  async send(req: SendRequest): Promise<SendOutcome> {
    let token: string;
    try {
      token = await this.accessToken();
    } catch (err) {
      return { kind: 'retry', status: null, reason: `OAuth token: ${(err as Error).message}` };
    }
    const message = {
      message: {
        token: req.registration.token,
        data: toFcmData(req.payload),
        android: { priority: 'high', ttl: `${Math.max(0, Math.round(req.ttlSec))}s` },
      },
    };
    let res;
    try {
      res = await this.endpoint.request({
        method: 'POST',
        path: `/v1/projects/${encodeURIComponent(this.s.projectId)}/messages:send`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        timeoutMs: req.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) return { kind: 'retry', status: null, reason: err.message };
      throw err;
    }
    if (res.status === 200) {
      let id: string | undefined;
      try {
        id = (JSON.parse(res.body) as { name?: string }).name;
      } catch {
        id = undefined;
      }
      return { kind: 'delivered', status: 200, id };
    }
    return this.classify(res.status, res.body, res.headers['retry-after']);
  }

  private classify(status: number, raw: string, retryAfter: string | string[] | undefined): SendOutcome {
    let body: FcmErrorBody = {};
    try {
      body = JSON.parse(raw) as FcmErrorBody;
    } catch {
      // A proxy's error page: classify by status alone.
    }
    const details = body.error?.details ?? [];
    const errorCode = details.find((d) => d.errorCode)?.errorCode ?? body.error?.status ?? `HTTP ${status}`;
    const reason = body.error?.message ? `${errorCode}: ${body.error.message}` : errorCode;
    const aboutToken =
      details.some((d) => d.fieldViolations?.some((f) => f.field === 'message.token')) ||
      /registration token/i.test(body.error?.message ?? '');
    if (errorCode === 'UNREGISTERED' || (status === 404 && errorCode === 'NOT_FOUND')) {
      return { kind: 'invalid-token', status, reason };
    }
    if (status === 400 && errorCode === 'INVALID_ARGUMENT' && aboutToken) {
      return { kind: 'invalid-token', status, reason };
    }
    // The token belongs to another Firebase project: it can never work for us.
    if (errorCode === 'SENDER_ID_MISMATCH') return { kind: 'invalid-token', status, reason };
    if (status === 401) {
      // The access token was refused (revoked, clock skew): fetch a new one before the retry.
      this.jwt.setCredentials({ refresh_token: 'jwt-placeholder', expiry_date: 1 });
      return { kind: 'retry', status, reason, retryAfterMs: 0 };
    }
    if (status === 429 || status >= 500) {
      return { kind: 'retry', status, reason, retryAfterMs: parseRetryAfter(retryAfter, this.now()) };
    }
    return { kind: 'failed', status, reason };
  }

  private async accessToken(): Promise<string> {
    const { token } = await this.jwt.getAccessToken();
    if (!token) throw new Error('no access token in the OAuth answer');
    return token;
  }

  private refreshInBackground(): void {
    this.accessToken().catch((err: unknown) =>
      this.log.warn({ err: (err as Error).message }, 'FCM OAuth token refresh failed; will retry'),
    );
  }
}
