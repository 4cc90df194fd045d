/**
 * Plain socket.io and HTTP clients for the fuzzer: no softphone core in
 * between, so every byte the fuzzer chooses reaches the server as chosen.
 */
import http from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { TokenResponse } from '../../src/shared/protocol/index.js';

export async function login(url: string, username: string, password: string): Promise<TokenResponse> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return TokenResponse.parse(await res.json());
}

export interface EventLog {
  event: string;
  payload: unknown;
}

/** A connected device; every server event is recorded and handed to `onEvent`. */
export class Client {
  readonly events: EventLog[] = [];
  protocolErrors = 0;
  expectedProtocolErrors = 0;
  private listeners: ((e: EventLog) => void)[] = [];

  private constructor(
    readonly socket: Socket,
    readonly deviceId: string,
    readonly userId: string,
    private readonly keepEvents: boolean,
  ) {
    socket.onAny((event: string, payload: unknown) => {
      const e = { event, payload };
      if (event === 'protocol:error') this.protocolErrors++;
      if (this.keepEvents) this.events.push(e);
      for (const l of this.listeners) l(e);
    });
  }

  static async connect(
    url: string,
    token: string,
    deviceId: string,
    userId: string,
    opts: { keepEvents?: boolean; extraHeaders?: Record<string, string>; auth?: Record<string, unknown> } = {},
  ): Promise<Client> {
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: opts.extraHeaders,
      auth: opts.auth ?? { token, deviceId, deviceKind: 'desktop', deviceName: deviceId, appVersion: 'fuzz' },
    });
    const client = new Client(socket, deviceId, userId, opts.keepEvents ?? false);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return client;
  }

  onEvent(listener: (e: EventLog) => void): void {
    this.listeners.push(listener);
  }

  /** Emits with an acknowledgement; resolves with the raw ack, or `{ timeout: true }`. */
  async call(event: string | number, args: unknown[], timeoutMs = 10_000): Promise<unknown> {
    const timed = this.socket.timeout(timeoutMs);
    const emit = timed.emitWithAck.bind(timed) as (e: unknown, ...a: unknown[]) => Promise<unknown>;
    try {
      return await emit(event, ...args);
    } catch {
      return { timeout: true, connected: this.socket.connected };
    }
  }

  /** Emits without an acknowledgement callback. */
  fire(event: string | number, args: unknown[]): void {
    (this.socket.emit as (e: unknown, ...a: unknown[]) => void)(event, ...args);
  }

  /** Writes a raw socket.io packet (text after the engine.io message type, or binary). */
  raw(frame: string | Buffer): void {
    this.socket.io.engine.write(frame);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface RawHttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** An HTTP request with the path sent exactly as given (no URL normalisation of `..`). */
export function rawHttp(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs = 15_000,
): Promise<RawHttpResponse> {
  const url = new URL(base);
  // Well-formed HTTP framing, whatever the method (Node sends no framing for a body on GET/DELETE/OPTIONS).
  if (body !== undefined) headers = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers, agent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${path.slice(0, 80)} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function closeHttpAgent(): void {
  agent.destroy();
}
