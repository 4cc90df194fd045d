/**
 * Local stand-ins for the push providers, speaking their real protocols over
 * TLS + HTTP/2 on loopback, with a throw-away CA made by `openssl`:
 *
 *   startApnsStandIn()  APNs provider API (POST /3/device/<token>, HTTP/2 only)
 *   startFcmStandIn()   FCM HTTP v1 (POST /v1/projects/<p>/messages:send) and,
 *                       on its own server, the OAuth token endpoint named by
 *                       the service-account file's token_uri
 *
 * Every request is recorded with its receive time (`receivedAt`, the
 * performance.now() clock of this process, so latencies can be measured
 * against a client's send time), and answers can be scripted per token.
 * Reusable by the push-latency benchmark.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { jwtVerify, decodeProtectedHeader, type JWTPayload } from 'jose';
import { ENV_NAMES } from '../../src/server/config.js';

// ───────────────────────────── throw-away CA ─────────────────────────────

export interface TestCa {
  dir: string;
  /** CA certificate (PEM) to trust: pass as PUSH_CA_FILE. */
  caFile: string;
  caPem: string;
  /** Server certificate for 127.0.0.1 / localhost, signed by the CA. */
  certPem: string;
  keyPem: string;
}

let ca: TestCa | undefined;

/** A CA and a loopback server certificate, made once per process with openssl. */
export function testCa(): TestCa {
  if (ca) return ca;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'push-ca-'));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=softphone push test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  fs.writeFileSync(
    f('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '2', '-extfile', f('server.ext'));
  ca = {
    dir,
    caFile: f('ca.crt'),
    caPem: fs.readFileSync(f('ca.crt'), 'utf8'),
    certPem: fs.readFileSync(f('server.crt'), 'utf8'),
    keyPem: fs.readFileSync(f('server.key'), 'utf8'),
  };
  return ca;
}

// ───────────────────────────── shared recording ─────────────────────────────

export interface RecordedRequest {
  /** performance.now() when the request's headers arrived. */
  receivedAt: number;
  /** The same moment as a fractional ms epoch (timeOrigin + now): comparable across processes. */
  receivedAtEpoch: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What the stand-in answered. */
  status: number;
}

export interface ScriptedAnswer {
  status: number;
  /** JSON body (APNs: `{reason}`; FCM: `{error: …}`). */
  body?: unknown;
  headers?: Record<string, string>;
}

class Recorder<R extends RecordedRequest> {
  readonly requests: R[] = [];
  private waiters: { match: (r: R) => boolean; resolve: (r: R) => void }[] = [];

  add(r: R): void {
    this.requests.push(r);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(r)) return true;
      w.resolve(r);
      return false;
    });
  }

  /** The first request (already recorded or future) that matches. */
  waitFor(match: (r: R) => boolean, timeoutMs = 5_000, what = 'request'): Promise<R> {
    const found = this.requests.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching ${what} within ${timeoutMs} ms (got ${this.requests.length})`));
      }, timeoutMs);
      const done = (r: R) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ match, resolve: done });
    });
  }
}

function flatHeaders(h: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

async function listen(server: http2.Http2SecureServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: http2.Http2SecureServer, sessions: Set<http2.ServerHttp2Session>): Promise<void> {
  for (const s of sessions) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function readBody(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

// ───────────────────────────── APNs ─────────────────────────────

export interface ApnsSigningKey {
  /** The .p8 file (PKCS#8 PEM): APNS_KEY_FILE. */
  file: string;
  keyId: string;
  teamId: string;
  /** Public half: what Apple verifies provider tokens with. */
  publicKey: KeyObject;
}

/** A fresh ES256 signing key, as Apple's developer portal hands out (AuthKey_<KEYID>.p8). */
export function apnsSigningKey(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apns-key-'))): ApnsSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyId = randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
  const file = path.join(dir, `AuthKey_${keyId}.p8`);
  fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return { file, keyId, teamId: 'TEAM123456', publicKey };
}

export interface ApnsRequest extends RecordedRequest {
  /** Device token from the path. */
  token: string;
  /** Parsed JSON body (undefined when not JSON). */
  payload: any;
}

export interface ApnsStandIn {
  /** `127.0.0.1:port`: APNS_HOST. */
  host: string;
  requests: ApnsRequest[];
  /** Answers for the next requests to `token`, in order; afterwards 200. */
  respond(token: string, ...answers: ScriptedAnswer[]): void;
  waitForRequest(match: (r: ApnsRequest) => boolean, timeoutMs?: number): Promise<ApnsRequest>;
  /** Verifies a request's provider token like APNs does (ES256, kid, iss); returns the claims. */
  verifyProviderToken(r: ApnsRequest, key: ApnsSigningKey): Promise<JWTPayload>;
  close(): Promise<void>;
}

export async function startApnsStandIn(opts: { ca?: TestCa } = {}): Promise<ApnsStandIn> {
  const tls = opts.ca ?? testCa();
  const recorder = new Recorder<ApnsRequest>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const sessions = new Set<http2.ServerHttp2Session>();
  // Apple's provider API speaks HTTP/2 only.
  const server = http2.createSecureServer({ key: tls.keyPem, cert: tls.certPem, allowHTTP1: false });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const receivedAt = performance.now();
    const receivedAtEpoch = performance.timeOrigin + performance.now();
    void readBody(stream).then((body) => {
      const reqPath = String(headers[':path'] ?? '');
      const token = /^\/3\/device\/([0-9a-f]+)$/.exec(reqPath)?.[1] ?? '';
      let answer: ScriptedAnswer = { status: 200 };
      if (headers[':method'] !== 'POST') answer = { status: 405, body: { reason: 'MethodNotAllowed' } };
      else if (!token) answer = { status: 404, body: { reason: 'BadPath' } };
      else if (!headers['apns-topic']) answer = { status: 400, body: { reason: 'MissingTopic' } };
      else if (!String(headers.authorization ?? '').startsWith('bearer ')) answer = { status: 403, body: { reason: 'MissingProviderToken' } };
      else answer = scripts.get(token)?.shift() ?? answer;
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        payload = undefined;
      }
      const apnsId = String(headers['apns-id'] ?? randomUUID());
      stream.respond({ ':status': answer.status, 'apns-id': apnsId, ...(answer.headers ?? {}) });
      stream.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      recorder.add({
        receivedAt,
        receivedAtEpoch,
        method: String(headers[':method']),
        path: reqPath,
        headers: flatHeaders(headers),
        body,
        payload,
        token,
        status: answer.status,
      });
    });
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    requests: recorder.requests,
    respond: (token, ...answers) => scripts.set(token, [...(scripts.get(token) ?? []), ...answers]),
    waitForRequest: (match, timeoutMs) => recorder.waitFor(match, timeoutMs, 'APNs request'),
    async verifyProviderToken(r, key) {
      const jwt = r.headers.authorization!.replace(/^bearer /, '');
      const header = decodeProtectedHeader(jwt);
      if (header.kid !== key.keyId) throw new Error(`provider token kid ${String(header.kid)} is not ${key.keyId}`);
      const { payload } = await jwtVerify(jwt, key.publicKey, { algorithms: ['ES256'], issuer: key.teamId, maxTokenAge: '1h' });
      return payload;
    },
    close: () => closeServer(server, sessions),
  };
}

// ───────────────────────────── FCM + OAuth ─────────────────────────────

export interface FcmRequest extends RecordedRequest {
  project: string;
  /** Parsed JSON body: `{ message: { token, data, android } }`. */
  payload: any;
  /** message.token */
  token: string;
}

export interface OAuthRequest extends RecordedRequest {
  /** The form fields (grant_type, assertion). */
  form: Record<string, string>;
  /** The verified assertion's claims (undefined when it did not verify). */
  claims?: JWTPayload;
  /** Why the assertion was refused, if it was. */
  error?: string;
}

export interface FcmStandIn {
  /** `127.0.0.1:port`: FCM_HOST. */
  host: string;
  /** Service-account JSON whose token_uri points at the OAuth stand-in: FCM_SERVICE_ACCOUNT_FILE. */
  serviceAccountFile: string;
  /** The OAuth stand-in's URL, the file's token_uri. */
  tokenUri: string;
  projectId: string;
  clientEmail: string;
  requests: FcmRequest[];
  tokenRequests: OAuthRequest[];
  respond(token: string, ...answers: ScriptedAnswer[]): void;
  waitForRequest(match: (r: FcmRequest) => boolean, timeoutMs?: number): Promise<FcmRequest>;
  waitForTokenRequest(match?: (r: OAuthRequest) => boolean, timeoutMs?: number): Promise<OAuthRequest>;
  /** Access tokens the OAuth stand-in issued (the only ones FCM accepts while not revoked). */
  issuedTokens: string[];
  /** Revokes every issued access token: FCM answers 401 to them from now on. */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

/** Google accepts assertions valid for at most an hour, issued about now. */
const MAX_ASSERTION_LIFETIME_SEC = 3600;
const MAX_CLOCK_SKEW_SEC = 300;

export async function startFcmStandIn(opts: { ca?: TestCa; projectId?: string } = {}): Promise<FcmStandIn> {
  const tls = opts.ca ?? testCa();
  const projectId = opts.projectId ?? 'softphone-test';
  const clientEmail = `push@${projectId}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fcm = new Recorder<FcmRequest>();
  const oauth = new Recorder<OAuthRequest>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const issued: string[] = [];
  const revoked = new Set<string>();
  const privateKeyId = randomUUID().replace(/-/g, '');
  /** The token_uri in the service-account file: the assertion's required `aud`. */
  let tokenUri = '';
  const sessions = new Set<http2.ServerHttp2Session>();
  const track = (server: http2.Http2SecureServer) =>
    server.on('session', (s) => {
      sessions.add(s);
      s.on('close', () => sessions.delete(s));
    });

  // OAuth token endpoint (Google's speaks HTTP/1.1 and HTTP/2; the server's client uses HTTP/1.1).
  const oauthServer = http2.createSecureServer({ key: tls.keyPem, cert: tls.certPem, allowHTTP1: true });
  track(oauthServer);
  oauthServer.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const receivedAt = performance.now();
    const receivedAtEpoch = performance.timeOrigin + performance.now();
    void readBody(req).then(async (body) => {
      const form = Object.fromEntries(new URLSearchParams(body));
      let claims: JWTPayload | undefined;
      let error: string | undefined;
      try {
        if (req.method !== 'POST' || req.url !== '/token') throw new Error(`unexpected ${req.method} ${req.url}`);
        if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
          throw new Error('not a form post');
        }
        if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') throw new Error('wrong grant_type');
        // The signature with the account's public key, RS256 only, issuer and audience (the token_uri).
        ({ payload: claims } = await jwtVerify(form.assertion ?? '', publicKey, {
          algorithms: ['RS256'],
          issuer: clientEmail,
          audience: tokenUri,
          clockTolerance: MAX_CLOCK_SKEW_SEC,
        }));
        const nowSec = Date.now() / 1000;
        if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') throw new Error('iat and exp are required');
        if (Math.abs(claims.iat - nowSec) > MAX_CLOCK_SKEW_SEC) throw new Error('iat is not now');
        if (claims.exp - claims.iat > MAX_ASSERTION_LIFETIME_SEC) throw new Error('assertion valid for more than an hour');
        const { kid } = decodeProtectedHeader(form.assertion ?? '');
        if (kid !== undefined && kid !== privateKeyId) throw new Error('kid is not the private_key_id');
        if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes('https://www.googleapis.com/auth/firebase.messaging')) {
          throw new Error('scope firebase.messaging missing');
        }
      } catch (err) {
        error = (err as Error).message;
      }
      const status = error ? 400 : 200;
      const accessToken = `ya29.standin-${randomUUID()}`;
      if (!error) issued.push(accessToken);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(error ? { error: 'invalid_grant', error_description: error } : { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' }));
      oauth.add({
        receivedAt,
        receivedAtEpoch,
        method: req.method,
        path: req.url,
        headers: flatHeaders(req.headers),
        body,
        status,
        form,
        claims,
        error,
      });
    });
  });

  const fcmServer = http2.createSecureServer({ key: tls.keyPem, cert: tls.certPem, allowHTTP1: false });
  track(fcmServer);
  fcmServer.on('stream', (stream, headers) => {
    const receivedAt = performance.now();
    const receivedAtEpoch = performance.timeOrigin + performance.now();
    void readBody(stream).then((body) => {
      const reqPath = String(headers[':path'] ?? '');
      const project = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(reqPath)?.[1] ?? '';
      let payload: any;
      try {
        payload = JSON.parse(body);
      } catch {
        payload = undefined;
      }
      const token = String(payload?.message?.token ?? '');
      const bearer = String(headers.authorization ?? '').replace(/^Bearer /, '');
      const err = (status: number, s: string, message: string, details: unknown[] = []) => ({
        status,
        body: { error: { code: status, message, status: s, details } },
      });
      let answer: ScriptedAnswer;
      if (headers[':method'] !== 'POST' || !project) answer = err(404, 'NOT_FOUND', 'no such method');
      else if (!issued.includes(bearer) || revoked.has(bearer)) answer = err(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
      else if (project !== projectId) answer = err(403, 'PERMISSION_DENIED', 'wrong project');
      else if (!token) answer = err(400, 'INVALID_ARGUMENT', 'message.token is required');
      else answer = scripts.get(token)?.shift() ?? { status: 200, body: { name: `projects/${projectId}/messages/${randomUUID()}` } };
      stream.respond({ ':status': answer.status, 'content-type': 'application/json; charset=UTF-8', ...(answer.headers ?? {}) });
      stream.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      fcm.add({
        receivedAt,
        receivedAtEpoch,
        method: String(headers[':method']),
        path: reqPath,
        headers: flatHeaders(headers),
        body,
        payload,
        project,
        token,
        status: answer.status,
      });
    });
  });

  const [oauthPort, fcmPort] = [await listen(oauthServer), await listen(fcmServer)];
  tokenUri = `https://127.0.0.1:${oauthPort}/token`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fcm-sa-'));
  const serviceAccountFile = path.join(dir, 'service-account.json');
  fs.writeFileSync(
    serviceAccountFile,
    JSON.stringify(
      {
        type: 'service_account',
        project_id: projectId,
        private_key_id: privateKeyId,
        private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }),
        client_email: clientEmail,
        client_id: '100000000000000000000',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUri,
      },
      null,
      2,
    ),
  );
  return {
    host: `127.0.0.1:${fcmPort}`,
    serviceAccountFile,
    tokenUri,
    projectId,
    clientEmail,
    requests: fcm.requests,
    tokenRequests: oauth.requests,
    issuedTokens: issued,
    revokeAccessTokens: () => issued.forEach((t) => revoked.add(t)),
    respond: (token, ...answers) => scripts.set(token, [...(scripts.get(token) ?? []), ...answers]),
    waitForRequest: (match, timeoutMs) => fcm.waitFor(match, timeoutMs, 'FCM request'),
    waitForTokenRequest: (match = () => true, timeoutMs) => oauth.waitFor(match, timeoutMs, 'OAuth token request'),
    async close() {
      await closeServer(oauthServer, sessions);
      await closeServer(fcmServer, sessions);
    },
  };
}

/** FCM's answer for a token the app no longer holds. */
export const FCM_UNREGISTERED: ScriptedAnswer = {
  status: 404,
  body: {
    error: {
      code: 404,
      message: 'Requested entity was not found.',
      status: 'NOT_FOUND',
      details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
    },
  },
};

// ───────────────────────────── server config ─────────────────────────────

/** Server settings that point push at the stand-ins. */
export function pushConfig(o: { apns?: ApnsStandIn; apnsKey?: ApnsSigningKey; fcm?: FcmStandIn; ca?: TestCa; bundleId?: string }) {
  const c: Record<string, unknown> = { pushCaFile: (o.ca ?? testCa()).caFile };
  if (o.apns && o.apnsKey) {
    Object.assign(c, {
      apnsKeyFile: o.apnsKey.file,
      apnsKeyId: o.apnsKey.keyId,
      apnsTeamId: o.apnsKey.teamId,
      apnsBundleId: o.bundleId ?? 'com.example.softphone',
      apnsHost: o.apns.host,
    });
  }
  if (o.fcm) Object.assign(c, { fcmServiceAccountFile: o.fcm.serviceAccountFile, fcmHost: o.fcm.host });
  return c;
}

/** The same settings as environment variables, for a server in its own process (benchmarks). */
export function pushEnv(o: Parameters<typeof pushConfig>[0]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(pushConfig(o))) {
    env[ENV_NAMES[key as keyof typeof ENV_NAMES]] = String(value);
  }
  return env;
}

/** A random APNs-looking device token (64 hex digits). */
export function apnsToken(): string {
  return (randomUUID() + randomUUID()).replace(/-/g, '');
}

/** A random FCM-looking registration token. */
export function fcmToken(): string {
  return `${randomUUID().replace(/-/g, '').slice(0, 11)}:APA91b${Buffer.from(randomUUID() + randomUUID()).toString('base64url')}`;
}
