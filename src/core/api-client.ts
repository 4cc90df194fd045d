/**
 * HTTP half of the protocol (login, refresh, logout, TURN), on `fetch`, which
 * exists in Node, browsers and Electron's main process alike.
 */
import type { z } from 'zod';
import {
  GuestResponse,
  HttpError,
  ProtocolError,
  PublicQueueInfo,
  TokenResponse,
  TurnResponse,
  type GuestRequest,
  type LoginRequest,
} from '../shared/protocol/index.js';

export type Fetch = typeof fetch;

export class ApiClient {
  constructor(
    readonly serverUrl: string,
    private readonly fetchImpl: Fetch = (...args) => fetch(...args),
    private readonly timeoutMs = 10_000,
  ) {}

  login(body: LoginRequest): Promise<TokenResponse> {
    return this.request('POST', '/api/login', TokenResponse, body);
  }

  refresh(refreshToken: string): Promise<TokenResponse> {
    return this.request('POST', '/api/refresh', TokenResponse, { refreshToken });
  }

  async logout(refreshToken: string): Promise<void> {
    await this.request('POST', '/api/logout', null, { refreshToken });
  }

  /** A guest's token for one call to a public queue (the call page, docs/support-line.md). */
  guest(body: GuestRequest): Promise<GuestResponse> {
    return this.request('POST', '/api/guest', GuestResponse, body);
  }

  /** What the call page shows before calling; `not_found` for an unknown or private queue. */
  publicQueue(queueId: string): Promise<PublicQueueInfo> {
    return this.request('GET', `/api/queues/${encodeURIComponent(queueId)}/public`, PublicQueueInfo);
  }

  turn(accessToken: string): Promise<TurnResponse> {
    return this.request('GET', '/api/turn', TurnResponse, undefined, accessToken);
  }

  private async request<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T | null,
    body?: unknown,
    bearer?: string,
  ): Promise<z.infer<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    // A timer cleared once the body is read, not AbortSignal.timeout(): that one keeps
    // running after the answer and wakes an idle app for nothing after every request.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(new URL(path, this.serverUrl), {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: abort.signal,
        });
      } catch {
        throw new ProtocolError('internal', `cannot reach the server at ${this.serverUrl}`, { network: true });
      }
      const json: unknown = await res.json().catch(() => undefined);
      if (!res.ok) {
        const err = HttpError.safeParse(json);
        if (err.success) throw new ProtocolError(err.data.error.code, err.data.error.message);
        throw new ProtocolError('internal', `the server answered ${res.status}`);
      }
      if (!schema) return undefined as z.infer<T>;
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new ProtocolError('internal', 'the server sent an unexpected answer');
      return parsed.data;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The server's origin from what the user typed; only http(s). */
export function normalizeUrl(url: string): string {
  const u = new URL(url.trim());
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProtocolError('bad_request', 'The server address must start with http:// or https://');
  return u.origin;
}
