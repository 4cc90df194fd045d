/**
 * One long-lived HTTP/2 connection to a push provider (APNs, FCM).
 *
 * Both providers ask senders to keep connections open rather than connect per
 * push, and a warm connection is what keeps a push within milliseconds of the
 * invite: a fresh one costs TCP + TLS + HTTP/2 set-up first. The session is
 * opened at start (`warm`), kept alive by pings, and replaced transparently
 * after a GOAWAY, an error or a failed ping.
 */
import http2 from 'node:http2';
import tls from 'node:tls';
import type { Logger } from '../logger.js';

export interface Http2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

export interface Http2EndpointOptions {
  /** `https://host[:port]` */
  origin: string;
  /** Extra trusted CA certificates (PEM), added to the system roots. */
  ca?: string;
  log: Logger;
  /** Name in logs, e.g. `apns-production`. */
  name: string;
  /** Keep-alive ping interval. */
  pingIntervalMs?: number;
}

/** A request that never got an HTTP status (connection refused, reset, timed out…). */
export class TransportError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'TransportError';
  }
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export class Http2Endpoint {
  private session: http2.ClientHttp2Session | null = null;
  private readonly pinger: NodeJS.Timeout;
  private closed = false;
  private readonly ca: string[] | undefined;

  constructor(private readonly opts: Http2EndpointOptions) {
    this.ca = opts.ca ? [...tls.rootCertificates, opts.ca] : undefined;
    this.pinger = setInterval(() => this.ping(), opts.pingIntervalMs ?? 60_000);
    this.pinger.unref();
  }

  get origin(): string {
    return this.opts.origin;
  }

  /** Opens the connection ahead of the first push; failures are only logged. */
  warm(): void {
    if (this.closed) return;
    const session = this.connect();
    if (session.connecting) {
      session.once('connect', () => this.opts.log.debug({ endpoint: this.opts.name }, 'push connection ready'));
    }
  }

  request(req: {
    method: 'POST' | 'GET' | 'DELETE';
    path: string;
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
  }): Promise<Http2Response> {
    if (this.closed) return Promise.reject(new TransportError('push endpoint is closed'));
    let session: http2.ClientHttp2Session;
    try {
      session = this.connect();
    } catch (err) {
      return Promise.reject(new TransportError(`cannot connect to ${this.opts.origin}`, err));
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: TransportError) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({ ':method': req.method, ':path': req.path, ...req.headers });
      } catch (err) {
        // The session died between connect() and request(): drop it so the next try reconnects.
        this.drop(session);
        fail(new TransportError('push connection unusable', err));
        return;
      }
      stream.setTimeout(req.timeoutMs, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        fail(new TransportError(`no answer from ${this.opts.origin} within ${req.timeoutMs} ms`));
      });
      let status = 0;
      let headers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('response', (h) => {
        headers = h;
        status = Number(h[':status'] ?? 0);
      });
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (settled) return;
        if (status === 0) return fail(new TransportError('stream ended without a response'));
        settled = true;
        resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      stream.on('error', (err: Error) => fail(new TransportError(`push request failed: ${err.message}`, err)));
      // 'end' comes before 'close' for a complete answer; anything else is a broken stream.
      stream.on('close', () => fail(new TransportError('push stream closed before the answer was complete')));
      stream.end(req.body);
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    const s = this.session;
    this.session = null;
    if (s && !s.destroyed) {
      // Let in-flight streams finish, but never keep the process waiting.
      s.close();
      setTimeout(() => s.destroy(), 1_000).unref();
    }
  }

  private connect(): http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = http2.connect(this.opts.origin, {
      ca: this.ca,
      // Pushes are tiny; a larger window is pointless, a slow peer must not stall us.
      settings: { enablePush: false },
    });
    this.session = session;
    session.on('error', (err: Error) => {
      this.opts.log.warn({ endpoint: this.opts.name, err: err.message }, 'push connection error');
      this.drop(session);
    });
    session.on('goaway', (code) => {
      this.opts.log.info({ endpoint: this.opts.name, code }, 'push provider closed the connection (GOAWAY)');
      this.drop(session);
    });
    session.on('close', () => this.drop(session));
    // An idle warm connection must not keep the process alive on its own.
    session.unref();
    return session;
  }

  private drop(session: http2.ClientHttp2Session): void {
    if (this.session === session) this.session = null;
    if (!session.destroyed) session.destroy();
  }

  private ping(): void {
    const s = this.session;
    if (!s || s.connecting || s.closed || s.destroyed) return;
    try {
      s.ping((err) => {
        if (err) {
          this.opts.log.info({ endpoint: this.opts.name, err: err.message }, 'push connection ping failed; reconnecting');
          this.drop(s);
        }
      });
    } catch {
      this.drop(s);
    }
  }
}
