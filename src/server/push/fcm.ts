/**
 * FCM HTTP v1: data-only, high-priority messages with a short TTL.
 *
 * OAuth: the service-account assertion is signed with jose and posted to the
 * file's `token_uri` (fcm-oauth.ts), over HTTPS that trusts PUSH_CA_FILE. The
 * token is fetched at start and refreshed from a background timer before it
 * expires, so a push never waits for OAuth.
 *
 * Sends go over the shared HTTP/2 endpoint (one warm connection, like APNs).
 */
import fs from 'node:fs';
import type { Logger } from '../logger.js';
import type { PushRegistrationRow } from '../store/types.js';
import { ServiceAccountTokens, httpsTokenPost, type TokenPost } from './fcm-oauth.js';
import { Http2Endpoint, TransportError } from './http2-endpoint.js';
import { toFcmData } from './payloads.js';
import { parseRetryAfter } from './retry.js';
import type { PushSender, SendOutcome, SendRequest } from './sender.js';

/** How often the background timer checks whether the OAuth token needs refreshing. */
const TOKEN_CHECK_INTERVAL_MS = 4 * 60_000;

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
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
  /** The token endpoint transport (tests); default HTTPS trusting `ca`. */
  tokenPost?: TokenPost;
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
  private readonly tokens: ServiceAccountTokens;
  private readonly endpoint: Http2Endpoint;
  private readonly refresher: NodeJS.Timeout;

  constructor(
    private readonly s: FcmSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new ServiceAccountTokens(s.serviceAccount, s.tokenPost ?? httpsTokenPost(s.ca), now);
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
      this.tokens.invalidate();
      return { kind: 'retry', status, reason, retryAfterMs: 0 };
    }
    if (status === 429 || status >= 500) {
      return { kind: 'retry', status, reason, retryAfterMs: parseRetryAfter(retryAfter, this.now()) };
    }
    return { kind: 'failed', status, reason };
  }

  private accessToken(): Promise<string> {
    return this.tokens.get();
  }

  private refreshInBackground(): void {
    this.accessToken().catch((err: unknown) =>
      this.log.warn({ err: (err as Error).message }, 'FCM OAuth token refresh failed; will retry'),
    );
  }
}
