/**
 * The account's token session: sign-in, the access token (refreshed ahead of
 * expiry, so reconnects never wait for one), the rotating refresh token and
 * its persistence in the host's store. Instances sharing a store (browser
 * tabs) rotate the refresh token under the host's `exclusive` lock.
 */
import { ProtocolError, type TokenResponse, type UserSummary } from '../shared/protocol/index.js';
import { ApiClient, type Fetch } from './api-client.js';
import type { KeyValueStore, Timers } from './ports.js';

export interface StoredSession {
  serverUrl: string;
  refreshToken: string;
  user: UserSummary;
}

export const SESSION_KEY = 'session';

export interface TokenSessionOptions {
  store: KeyValueStore;
  fetch?: Fetch;
  timers: Timers;
  exclusive?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** The refresh answered with a user (display name may have changed). */
  onTokens(user: UserSummary): void;
  /** The scheduled refresh found the session over (revoked, expired). */
  onExpired(): void;
}

export class TokenSession {
  private api: ApiClient | null = null;
  private accessToken: string | null = null;
  private accessExpiresAt = 0;
  private refreshToken: string | null = null;
  private refreshTimer: unknown;
  private refreshing: Promise<void> | null = null;
  private user: UserSummary | null = null;

  constructor(private readonly o: TokenSessionOptions) {}

  get serverUrl(): string | null {
    return this.api?.serverUrl ?? null;
  }

  get client(): ApiClient | null {
    return this.api;
  }

  async login(serverUrl: string, username: string, password: string): Promise<TokenResponse> {
    const api = new ApiClient(serverUrl, this.o.fetch);
    const tokens = await api.login({ username, password });
    this.api = api;
    await this.adopt(tokens);
    return tokens;
  }

  /**
   * A guest of the call page (GuestResponse): one short-lived access token, never refreshed
   * nor remembered; once it expires the server refuses it and the session is over.
   */
  adoptGuest(serverUrl: string, token: string, expiresInSec: number): void {
    this.clear();
    this.api = new ApiClient(serverUrl, this.o.fetch);
    this.accessToken = token;
    this.accessExpiresAt = this.o.timers.now() + expiresInSec * 1000;
  }

  /** The remembered session, if there is one (its access token is fetched when first needed). */
  async restore(): Promise<StoredSession | null> {
    const saved = await this.o.store.get<StoredSession>(SESSION_KEY);
    if (!saved?.refreshToken || !saved.serverUrl) return null;
    this.api = new ApiClient(saved.serverUrl, this.o.fetch);
    this.refreshToken = saved.refreshToken;
    this.user = saved.user;
    return saved;
  }

  /** Forgets the session here and tells the server (best effort). */
  async logout(): Promise<void> {
    const api = this.api;
    const token = this.refreshToken;
    this.clear();
    await this.o.store.delete(SESSION_KEY);
    if (api && token) await api.logout(token).catch(() => undefined);
  }

  /** The session is over (the server refused it): forget it without telling the server. */
  async expire(): Promise<void> {
    this.clear();
    await this.o.store.delete(SESSION_KEY);
  }

  /** Stops the refresh timer (app quitting); the session stays remembered. */
  stop(): void {
    this.o.timers.clearTimeout(this.refreshTimer);
  }

  clear(): void {
    this.stop();
    this.api = null;
    this.accessToken = null;
    this.refreshToken = null;
    this.user = null;
  }

  /** The server refused the access token: the next use refreshes it. */
  dropAccessToken(): void {
    this.accessToken = null;
  }

  async persist(user = this.user): Promise<void> {
    if (!this.api || !this.refreshToken || !user) return;
    this.user = user;
    await this.o.store.set(SESSION_KEY, {
      serverUrl: this.api.serverUrl,
      refreshToken: this.refreshToken,
      user,
    } satisfies StoredSession);
  }

  async validAccessToken(): Promise<string> {
    if (this.accessToken && this.accessExpiresAt - this.o.timers.now() > 15_000) return this.accessToken;
    // A guest's token has no refresh: it is always the one sent; the server judges it (an
    // expired one may still reconnect to finish the guest's call).
    if (this.accessToken && !this.refreshToken) return this.accessToken;
    await this.refresh();
    return this.accessToken!;
  }

  /** Rotates the tokens now (one rotation at a time, across instances sharing the store with `exclusive`). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const api = this.api;
        if (!api || !this.refreshToken) throw new ProtocolError('unauthorized', 'not signed in');
        const rotate = async () => {
          // Another instance sharing the store (another tab) may have rotated the
          // token already: presenting our stale copy would look like theft.
          const saved = await this.o.store.get<StoredSession>(SESSION_KEY);
          if (saved?.refreshToken && saved.serverUrl === api.serverUrl) this.refreshToken = saved.refreshToken;
          const fresh = await api.refresh(this.refreshToken!);
          await this.adopt(fresh);
          return fresh;
        };
        const tokens = this.o.exclusive ? await this.o.exclusive('softphone-token-refresh', rotate) : await rotate();
        this.o.onTokens(tokens.user);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async adopt(tokens: TokenResponse): Promise<void> {
    this.accessToken = tokens.accessToken;
    this.accessExpiresAt = this.o.timers.now() + tokens.expiresIn * 1000;
    this.refreshToken = tokens.refreshToken;
    await this.persist(tokens.user);
    // Refresh ahead of expiry, so reconnects never wait for a token.
    this.o.timers.clearTimeout(this.refreshTimer);
    const inMs = Math.max(5_000, tokens.expiresIn * 1000 * 0.8);
    this.refreshTimer = this.o.timers.setTimeout(() => {
      this.refresh().catch((err: unknown) => {
        if (err instanceof ProtocolError && err.code === 'unauthorized') this.o.onExpired();
      });
    }, inMs);
  }
}
