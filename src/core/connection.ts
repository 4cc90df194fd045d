/**
 * The signaling connection of the core: one link at a time, reconnects with
 * backoff (a short schedule after the server announced a restart), an
 * application heartbeat that detects zombie links, and forced replacement on
 * wake/network events. It knows nothing about calls or tokens: the core
 * subscribes its server-event handlers on each new link (`bind`) and hears
 * about the link's life through `hooks`.
 */
import {
  ProtocolError,
  type ClientEventName,
  type ClientRequest,
  type ClientResponse,
} from '../shared/protocol/index.js';
import { Backoff } from './backoff.js';
import type { CoreLogger, Timers } from './ports.js';
import { Signaling, type SignalingFactory, type SignalingLink, type SignalingOptions } from './signaling.js';

/**
 * After the server announces `session:shutdown` (a restart or a move to another node),
 * reconnect attempts use a short schedule for this long: full jitter, growing from the
 * server's `reconnectAfterMs` to at most RESTART_MAX_DELAY_MS. The normal exponential
 * backoff (meant for outages) would otherwise have grown to 4–8 s by the time a restart
 * that takes a couple of seconds is back, leaving devices offline for that long.
 */
export const RESTART_RETRY_WINDOW_MS = 20_000;
export const RESTART_MAX_DELAY_MS = 2_000;

export interface ConnectionHooks {
  /** A connect attempt starts (`first`: no connection was established yet in this session). */
  connecting(first: boolean): void;
  connected(): void;
  /** The link was lost or an attempt failed; `disconnected`: an established link dropped. */
  lost(disconnected: boolean): void;
  /** The server refused the token: refresh it; true = retry at once, false = retry with backoff. */
  unauthorized(): Promise<boolean>;
}

export interface ConnectionOptions {
  serverUrl: () => string | null;
  auth: SignalingOptions['auth'];
  requestTimeoutMs: number;
  /** Application heartbeat; a dead connection is detected within two intervals. */
  heartbeatMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  timers: Timers;
  log: CoreLogger;
  hooks: ConnectionHooks;
  /** Subscribes the core's server-event handlers on a new link. */
  bind(link: SignalingLink): void;
  createSignaling?: SignalingFactory;
  /** Jitter source for the backoff (tests pin it). */
  random?: () => number;
}

export class Connection {
  private link: SignalingLink | null = null;
  private want = false;
  private readonly backoff: Backoff;
  /** Set by `session:shutdown` until connected again (see RESTART_RETRY_WINDOW_MS). */
  private restartRetry: { until: number; backoff: Backoff } | null = null;
  private reconnectTimer: unknown;
  private heartbeatTimer: unknown;
  private heartbeatInFlight = false;
  /** Counters for diagnostics and tests. */
  readonly stats = { connects: 0, zombiesDetected: 0, heartbeats: 0 };

  constructor(private readonly o: ConnectionOptions) {
    this.backoff = new Backoff({ baseMs: o.reconnectBaseMs, maxMs: o.reconnectMaxMs, random: o.random });
  }

  /** The session wants a connection (signed in, not stopped). */
  get wanted(): boolean {
    return this.want;
  }

  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  start(): void {
    this.want = true;
    this.backoff.reset();
    this.connect();
  }

  stop(): void {
    this.want = false;
    this.o.timers.clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const link = this.link;
    this.link = null;
    link?.dispose();
  }

  /** Forgets how many connections this session made (signed out). */
  resetStats(): void {
    this.stats.connects = 0;
  }

  /** Replaces the link at once (woke up, unlocked, network back): it may be a zombie. */
  wake(): void {
    if (!this.want) return;
    this.backoff.reset();
    this.forceReconnect();
  }

  /** Network came back: reconnect now if disconnected, else verify the link. */
  networkOnline(): void {
    if (!this.want) return;
    if (!this.link?.connected) {
      this.backoff.reset();
      this.forceReconnect();
      return;
    }
    void this.heartbeat(Math.min(2_000, this.o.heartbeatMs));
  }

  /** The server is draining: come back (to another node) soon, not at a backoff's pace. */
  restartSoon(reconnectAfterMs: number): void {
    this.backoff.reset();
    this.restartRetry = {
      until: this.o.timers.now() + RESTART_RETRY_WINDOW_MS,
      backoff: new Backoff({
        baseMs: Math.max(100, reconnectAfterMs),
        maxMs: Math.max(RESTART_MAX_DELAY_MS, reconnectAfterMs),
        random: this.o.random,
      }),
    };
  }

  async request<E extends ClientEventName>(event: E, payload: ClientRequest<E>, timeoutMs?: number): Promise<ClientResponse<E>> {
    const s = this.link;
    if (!s?.connected) throw new ProtocolError('internal', 'Not connected to the server. Reconnecting…', { offline: true });
    return s.request(event, payload, timeoutMs);
  }

  private connect(): void {
    const serverUrl = this.o.serverUrl();
    if (!this.want || !serverUrl) return;
    this.o.timers.clearTimeout(this.reconnectTimer);
    this.link ??= this.createLink(serverUrl);
    if (this.link.connected) return;
    this.o.hooks.connecting(this.stats.connects === 0);
    this.link.connect();
  }

  private createLink(serverUrl: string): SignalingLink {
    const create = this.o.createSignaling ?? ((opts: SignalingOptions) => new Signaling(opts));
    const link = create({ serverUrl, requestTimeoutMs: this.o.requestTimeoutMs, auth: this.o.auth });
    link.onLifecycle({
      connected: () => this.onConnected(),
      disconnected: (reason) => this.onDisconnected(reason),
      connectError: (err) => void this.onConnectError(err),
    });
    this.o.bind(link);
    return link;
  }

  private onConnected(): void {
    this.stats.connects++;
    this.backoff.reset();
    this.restartRetry = null;
    this.startHeartbeat();
    this.o.hooks.connected();
  }

  private onDisconnected(reason: string): void {
    this.stopHeartbeat();
    if (!this.want) return;
    this.o.log.info('signaling disconnected', { reason });
    this.o.hooks.lost(true);
    if (reason === 'io client disconnect') return; // we initiated it (forced reconnect)
    this.scheduleReconnect();
  }

  private async onConnectError(err: Error & { data?: { code?: string } }): Promise<void> {
    if (!this.want) return;
    if (err.data?.code === 'unauthorized') {
      // The access token may have expired while we were away: refresh once, then retry.
      const now = await this.o.hooks.unauthorized();
      if (now) this.scheduleReconnect(0);
      else this.scheduleReconnect();
      return;
    }
    this.o.hooks.lost(false);
    this.scheduleReconnect();
  }

  private nextReconnectDelay(): number {
    const restart = this.restartRetry;
    if (restart && this.o.timers.now() < restart.until) return restart.backoff.next();
    this.restartRetry = null;
    return this.backoff.next();
  }

  private scheduleReconnect(delay = this.nextReconnectDelay()): void {
    this.o.timers.clearTimeout(this.reconnectTimer);
    if (!this.want) return;
    this.reconnectTimer = this.o.timers.setTimeout(() => this.connect(), delay);
  }

  private forceReconnect(): void {
    const s = this.link;
    if (s?.connected) s.disconnect();
    this.connect();
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = this.o.timers.setInterval(() => void this.heartbeat(this.o.heartbeatMs), this.o.heartbeatMs);
  }

  private stopHeartbeat(): void {
    this.o.timers.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.heartbeatInFlight = false;
  }

  /** One application-level ping; no answer within `timeoutMs` = a dead (zombie) connection. */
  private async heartbeat(timeoutMs: number): Promise<void> {
    const s = this.link;
    if (!s?.connected || this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    this.stats.heartbeats++;
    try {
      await s.request('session:ping', {}, timeoutMs);
    } catch (err) {
      if (s !== this.link || !this.want) return;
      if (err instanceof ProtocolError && err.details?.timeout) {
        this.stats.zombiesDetected++;
        this.o.log.warn('heartbeat unanswered: replacing the connection');
        this.forceReconnect();
      }
    } finally {
      this.heartbeatInFlight = false;
    }
  }
}
