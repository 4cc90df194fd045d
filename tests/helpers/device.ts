/**
 * A test device: a real socket.io client (through the core's Signaling
 * wrapper) that records every server event so tests can await them.
 */
import { randomUUID } from 'node:crypto';
import { Signaling } from '../../src/core/signaling.js';
import type { DeviceKind, ServerEventName, ServerEventPayload } from '../../src/shared/protocol/index.js';
import type { TestServer } from './server.js';

export interface RecordedEvent {
  event: string;
  payload: unknown;
  at: number;
}

export class TestDevice {
  readonly events: RecordedEvent[] = [];
  private waiters: { match: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }[] = [];

  constructor(
    readonly signaling: Signaling,
    readonly deviceId: string,
    readonly userId: string,
  ) {
    signaling.socket.onAny((event: string, payload: unknown) => {
      const rec = { event, payload, at: performance.now() };
      this.events.push(rec);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(rec)) return true;
        w.resolve(rec);
        return false;
      });
    });
  }

  get request(): Signaling['request'] {
    return this.signaling.request.bind(this.signaling);
  }

  /** Resolves with the first event (already received or future) that matches. */
  waitFor<E extends ServerEventName>(
    event: E,
    predicate: (p: ServerEventPayload<E>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<ServerEventPayload<E> & { receivedAt: number }> {
    const match = (e: RecordedEvent) => e.event === event && predicate(e.payload as ServerEventPayload<E>);
    const found = this.events.find(match);
    const wrap = (e: RecordedEvent) => Object.assign({}, e.payload as ServerEventPayload<E>, { receivedAt: e.at });
    if (found) return Promise.resolve(wrap(found));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.deviceId}: no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (e: RecordedEvent) => {
        clearTimeout(timer);
        resolve(wrap(e));
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  count(event: ServerEventName, predicate: (p: unknown) => boolean = () => true): number {
    return this.events.filter((e) => e.event === event && predicate(e.payload)).length;
  }

  /**
   * A round trip to the server: every event the server emitted to this
   * device before answering has arrived once this resolves (one ordered socket).
   */
  async flush(): Promise<void> {
    await this.signaling.request('session:ping', {});
  }

  close(): void {
    this.signaling.disconnect();
  }
}

export interface ConnectOptions {
  deviceId?: string;
  kind?: DeviceKind;
  name?: string;
  token?: string;
}

export async function connectDevice(server: TestServer, username: string, opts: ConnectOptions = {}): Promise<TestDevice> {
  await server.addUser(username);
  const tokens = opts.token ? undefined : await server.login(username);
  const deviceId = opts.deviceId ?? `${username}-${randomUUID().slice(0, 8)}`;
  const signaling = new Signaling({
    serverUrl: server.url,
    auth: () => ({
      token: opts.token ?? tokens!.accessToken,
      deviceId,
      deviceKind: opts.kind ?? 'desktop',
      deviceName: opts.name ?? `${username}'s ${opts.kind ?? 'desktop'}`,
      appVersion: 'test',
    }),
  });
  const user = await server.storage.accounts.getUserByUsername(username);
  const device = new TestDevice(signaling, deviceId, user!.id);
  await new Promise<void>((resolve, reject) => {
    signaling.socket.once('connect', () => resolve());
    signaling.socket.once('connect_error', (err) => reject(err));
    signaling.connect();
  });
  return device;
}

/** Connects and expects the handshake to be refused; returns the error data. */
export async function expectHandshakeRefused(
  server: TestServer,
  auth: Record<string, unknown>,
): Promise<{ message: string; data?: { code?: string } }> {
  const signaling = new Signaling({ serverUrl: server.url, auth: () => auth as never });
  try {
    return await new Promise((resolve, reject) => {
      signaling.socket.once('connect', () => reject(new Error('handshake was accepted')));
      signaling.socket.once('connect_error', (err) => resolve(err as never));
      signaling.connect();
    });
  } finally {
    signaling.disconnect();
  }
}
