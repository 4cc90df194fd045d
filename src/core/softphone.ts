/**
 * The softphone core: account session, signaling connection, call state,
 * presence and history cache. It imports nothing from Electron or the DOM,
 * so the same code runs in Electron's main process (desktop app), in a
 * browser page (web softphone) and in plain Node (tests, load tools).
 *
 * Media (getUserMedia, RTCPeerConnection) is not here: the renderer owns it
 * and exchanges media signaling with the far end through `sendSignal` and
 * the `signal` event.
 */
import {
  ProtocolError,
  type AccountSettings,
  type CallView,
  type ErrorBody,
  type HistoryRecord,
  type IceServer,
  type MediaSignal,
  type PresenceStatus,
  type SetStatus,
  type TokenResponse,
  type UserSummary,
  type DeviceKind,
  type DirectoryEntry,
  type ClientEventName,
  type ClientRequest,
  type ClientResponse,
} from '../shared/protocol/index.js';
import type { CallInfo, ConnectionState, SessionState } from '../shared/contract.js';
import { ApiClient, type Fetch } from './api-client.js';
import { Backoff } from './backoff.js';
import { toCallInfo } from './call-model.js';
import { Emitter } from './emitter.js';
import { silentLogger, type CoreLogger, type KeyValueStore } from './ports.js';
import { Signaling } from './signaling.js';

export interface DeviceIdentity {
  deviceId: string;
  kind: DeviceKind;
  name: string;
  appVersion: string;
}

export interface SoftphoneOptions {
  device: DeviceIdentity;
  store: KeyValueStore;
  fetch?: Fetch;
  log?: CoreLogger;
  /** Application heartbeat; a dead connection is detected within two intervals. */
  heartbeatIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  requestTimeoutMs?: number;
  /** How long an ended call stays in the state (so the UI can show the outcome). */
  endedCallLingerMs?: number;
  /** Ringing calls are ended locally when signaling stays lost this long. */
  ringingLossGraceMs?: number;
  /**
   * Runs `fn` exclusively among every instance sharing `store` (several
   * browser tabs share one refresh token; the web host passes a Web Locks
   * based lock). Without it, refreshes are serialised within this instance only.
   */
  exclusive?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

export interface SoftphoneEvents extends Record<string, unknown> {
  state: SessionState;
  /** Media signaling from the far end for a call active on this device. */
  signal: { callId: string; fromDeviceId: string; signal: MediaSignal };
  presence: { userId: string; presence: PresenceStatus };
  /** A call started ringing on this device. */
  ring: CallInfo;
  /** A call stopped ringing on this device (answered here or elsewhere, cancelled, missed…). */
  'ring-stopped': CallInfo;
  /** A new missed-call record arrived. */
  missed: { record: HistoryRecord; missedCount: number };
  connection: ConnectionState;
}

interface StoredSession {
  serverUrl: string;
  refreshToken: string;
  user: UserSummary;
}

const SESSION_KEY = 'session';

/**
 * After the server announces `session:shutdown` (a restart or a move to another node),
 * reconnect attempts use a short schedule for this long: full jitter, growing from the
 * server's `reconnectAfterMs` to at most RESTART_MAX_DELAY_MS. The normal exponential
 * backoff (meant for outages) would otherwise have grown to 4–8 s by the time a restart
 * that takes a couple of seconds is back, leaving devices offline for that long.
 */
export const RESTART_RETRY_WINDOW_MS = 20_000;
export const RESTART_MAX_DELAY_MS = 2_000;

const INITIAL_ACCOUNT: AccountSettings = { callWaiting: false };

/** The session fields of a signed-out device (the server address and last error are kept). */
const SIGNED_OUT = {
  phase: 'signed-out',
  user: null,
  connection: 'offline',
  status: 'available',
  presence: 'offline',
  account: INITIAL_ACCOUNT,
  calls: [],
  missedCount: 0,
  history: [],
} as const satisfies Omit<SessionState, 'serverUrl' | 'error'>;

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof ProtocolError) return err.toBody();
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export class Softphone extends Emitter<SoftphoneEvents> {
  private state: SessionState = { ...SIGNED_OUT, serverUrl: '', error: null };

  private api: ApiClient | null = null;
  private signaling: Signaling | null = null;
  private accessToken: string | null = null;
  private accessExpiresAt = 0;
  private refreshToken: string | null = null;
  private wantConnected = false;
  private readonly backoff: Backoff;
  /** Set by `session:shutdown` until connected again (see RESTART_RETRY_WINDOW_MS). */
  private restartRetry: { until: number; backoff: Backoff } | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private ringLossTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly callTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private heartbeatInFlight = false;
  private refreshing: Promise<void> | null = null;
  private readonly watched = new Set<string>();
  private readonly log: CoreLogger;
  private readonly heartbeatMs: number;
  private readonly requestTimeoutMs: number;
  private readonly endedLingerMs: number;
  private readonly ringLossGraceMs: number;
  /** Counters for diagnostics and tests. */
  readonly stats = { connects: 0, zombiesDetected: 0, heartbeats: 0 };

  constructor(private readonly opts: SoftphoneOptions) {
    super(opts.log);
    this.log = opts.log ?? silentLogger;
    this.heartbeatMs = opts.heartbeatIntervalMs ?? 30_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.endedLingerMs = opts.endedCallLingerMs ?? 4_000;
    this.ringLossGraceMs = opts.ringingLossGraceMs ?? 8_000;
    this.backoff = new Backoff({ baseMs: opts.reconnectBaseMs ?? 500, maxMs: opts.reconnectMaxMs ?? 10_000 });
  }

  get device(): DeviceIdentity {
    return this.opts.device;
  }

  snapshot(): SessionState {
    return structuredClone(this.state);
  }

  get connected(): boolean {
    return this.state.connection === 'connected';
  }

  // ───────────────────────────── session ─────────────────────────────

  async login(serverUrl: string, username: string, password: string): Promise<SessionState> {
    await this.stop();
    const url = normalizeUrl(serverUrl);
    this.update({ phase: 'signing-in', serverUrl: url, error: null });
    try {
      const api = new ApiClient(url, this.opts.fetch);
      const tokens = await api.login({ username: username.trim().toLowerCase(), password });
      this.api = api;
      await this.adoptTokens(tokens);
      this.update({ phase: 'signed-in', user: tokens.user });
      this.start();
      return this.snapshot();
    } catch (err) {
      this.update({ phase: 'signed-out', error: errorBody(err) });
      throw err;
    }
  }

  /** Resumes the remembered session (refresh token) if there is one. */
  async restore(): Promise<boolean> {
    const saved = await this.opts.store.get<StoredSession>(SESSION_KEY);
    if (!saved?.refreshToken || !saved.serverUrl) return false;
    this.api = new ApiClient(saved.serverUrl, this.opts.fetch);
    this.refreshToken = saved.refreshToken;
    this.update({ phase: 'signed-in', serverUrl: saved.serverUrl, user: saved.user, error: null });
    this.start();
    return true;
  }

  async logout(): Promise<void> {
    const api = this.api;
    const token = this.refreshToken;
    await this.stop();
    await this.opts.store.delete(SESSION_KEY);
    if (api && token) await api.logout(token).catch(() => undefined);
    this.resetState({ error: null });
  }

  /** Disconnects without forgetting the session (app quitting). */
  async stop(): Promise<void> {
    this.wantConnected = false;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    this.clearRingLoss();
    this.stopHeartbeat();
    for (const t of this.callTimers.values()) clearTimeout(t);
    this.callTimers.clear();
    const s = this.signaling;
    this.signaling = null;
    s?.disconnect();
    s?.socket.removeAllListeners();
    if (this.state.connection !== 'offline') this.update({ connection: 'offline' });
  }

  /**
   * The machine woke up, was unlocked or regained network: do not wait for
   * timers. A connection that looks alive may be a zombie after sleep, so
   * it is replaced at once.
   */
  wake(reason: string): void {
    if (!this.wantConnected) return;
    this.log.info('wake: reconnecting now', { reason });
    this.backoff.reset();
    this.forceReconnect();
  }

  /** Network came back: reconnect now if disconnected, else verify the link. */
  networkOnline(): void {
    if (!this.wantConnected) return;
    if (!this.signaling?.connected) {
      this.backoff.reset();
      this.forceReconnect();
      return;
    }
    void this.heartbeat(Math.min(2_000, this.heartbeatMs));
  }

  // ───────────────────────────── presence & directory ─────────────────────────────

  async setStatus(status: SetStatus): Promise<void> {
    const res = await this.request('presence:set', { status });
    this.update({ status: res.status, presence: res.presence });
  }

  async watchPresence(userIds: string[]): Promise<Record<string, PresenceStatus>> {
    this.watched.clear();
    for (const id of userIds) this.watched.add(id);
    const res = await this.request('presence:subscribe', { userIds });
    return res.presence;
  }

  async search(query: string): Promise<DirectoryEntry[]> {
    const res = await this.request('directory:search', { query, limit: 100 });
    return res.users;
  }

  async setAccount(patch: Partial<AccountSettings>): Promise<AccountSettings> {
    const account = await this.request('settings:update', patch);
    this.update({ account });
    return account;
  }

  // ───────────────────────────── calls ─────────────────────────────

  async dial(target: { userId: string } | { username: string }): Promise<CallInfo> {
    const callId = globalThis.crypto.randomUUID();
    const { call } = await this.request('call:invite', { to: target, callId });
    return this.applyView(call);
  }

  async answer(callId: string): Promise<CallInfo> {
    const { call } = await this.request('call:accept', { callId });
    return this.applyView(call);
  }

  async decline(callId: string): Promise<void> {
    const { call } = await this.request('call:decline', { callId });
    const info = this.applyView(call);
    // Declined here: this device stops ringing even if others still ring.
    if (info.local === 'ringing-in') this.setCall({ ...info, local: 'elsewhere' });
  }

  async hangup(callId: string): Promise<void> {
    const current = this.findCall(callId);
    const event = current?.local === 'ringing-out' ? 'call:cancel' : 'call:hangup';
    try {
      const { call } = await this.request(event, { callId });
      this.applyView(call);
    } catch (err) {
      // Already over on the server: reflect that instead of failing the user's action.
      const final = err instanceof ProtocolError && err.code === 'gone' ? (err.details?.call as CallView | undefined) : undefined;
      if (final) this.applyView(final);
      else throw err;
    }
  }

  async hold(callId: string, held: boolean): Promise<void> {
    await this.sendSignal(callId, { type: 'hold', held });
    const c = this.findCall(callId);
    if (c) this.setCall({ ...c, held });
  }

  async dtmf(callId: string, digits: string): Promise<void> {
    await this.sendSignal(callId, { type: 'dtmf', digits });
  }

  async sendSignal(callId: string, signal: MediaSignal): Promise<void> {
    await this.request('call:signal', { callId, signal });
  }

  async iceServers(): Promise<IceServer[]> {
    if (!this.api) return [];
    const token = await this.validAccessToken();
    const turn = await this.api.turn(token);
    return turn.iceServers;
  }

  // ───────────────────────────── history ─────────────────────────────

  async historyPage(cursor?: string): Promise<{ items: HistoryRecord[]; nextCursor: string | null }> {
    return this.request('history:list', cursor ? { cursor, limit: 50 } : { limit: 50 });
  }

  async markHistorySeen(): Promise<void> {
    const res = await this.request('history:seen', {});
    this.update({
      missedCount: res.count,
      history: this.state.history.map((r) => ({ ...r, seen: r.seen || r.endedAt <= res.lastSeenAt })),
    });
  }

  // ───────────────────────────── connection ─────────────────────────────

  private start(): void {
    this.wantConnected = true;
    this.backoff.reset();
    this.connect();
  }

  private connect(): void {
    if (!this.wantConnected || !this.api) return;
    clearTimeout(this.reconnectTimer);
    if (!this.signaling) this.signaling = this.createSignaling(this.api.serverUrl);
    if (this.signaling.connected) return;
    this.update({ connection: this.stats.connects === 0 ? 'connecting' : 'reconnecting' });
    this.signaling.connect();
  }

  private createSignaling(serverUrl: string): Signaling {
    const s = new Signaling({
      serverUrl,
      requestTimeoutMs: this.requestTimeoutMs,
      auth: async () => ({
        token: await this.validAccessToken().catch(() => 'invalid-token-placeholder'),
        deviceId: this.opts.device.deviceId,
        deviceKind: this.opts.device.kind,
        deviceName: this.opts.device.name,
        appVersion: this.opts.device.appVersion,
      }),
    });
    s.socket.on('connect', () => void this.onConnected());
    s.socket.on('disconnect', (reason) => this.onDisconnected(reason));
    s.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => void this.onConnectError(err));
    const invalid = (event: string) => this.log.warn('dropped malformed server event', { event });
    s.on('call:incoming', ({ call }) => this.applyView(call), invalid);
    s.on('call:ringing', ({ call, ringingDevices }) => this.applyView(call, { ringingDevices }), invalid);
    s.on('call:outgoing-elsewhere', ({ call }) => this.applyView(call), invalid);
    s.on('call:answered', ({ call }) => this.applyView(call), invalid);
    s.on('call:answered-elsewhere', ({ call }) => this.applyView(call), invalid);
    s.on('call:ended', ({ call }) => this.applyView(call), invalid);
    s.on('call:signal', (msg) => this.onSignal(msg), invalid);
    s.on('presence:changed', (p) => this.emit('presence', p), invalid);
    s.on('status:changed', ({ status, presence }) => this.update({ status, presence }), invalid);
    s.on('settings:changed', (account) => this.update({ account }), invalid);
    s.on('history:added', ({ record, missedCount }) => this.onHistoryAdded(record, missedCount), invalid);
    s.on(
      'session:shutdown',
      ({ reconnectAfterMs }) => {
        // The server is draining: come back (to another node) soon, not at a backoff's pace.
        this.log.info('server is shutting down; reconnecting', { reconnectAfterMs });
        this.backoff.reset();
        this.restartRetry = {
          until: Date.now() + RESTART_RETRY_WINDOW_MS,
          backoff: new Backoff({ baseMs: Math.max(100, reconnectAfterMs), maxMs: Math.max(RESTART_MAX_DELAY_MS, reconnectAfterMs) }),
        };
      },
      invalid,
    );
    return s;
  }

  private async onConnected(): Promise<void> {
    this.stats.connects++;
    this.backoff.reset();
    this.restartRetry = null;
    this.clearRingLoss();
    this.update({ connection: 'connected', error: null });
    this.emit('connection', 'connected');
    this.startHeartbeat();
    try {
      await this.sync();
    } catch (err) {
      this.log.warn('sync after connect failed', { error: errorBody(err) });
    }
  }

  private onDisconnected(reason: string): void {
    this.stopHeartbeat();
    if (!this.wantConnected) return;
    this.log.info('signaling disconnected', { reason });
    this.update({ connection: 'reconnecting' });
    this.emit('connection', 'reconnecting');
    this.armRingLoss();
    if (reason === 'io client disconnect') return; // we initiated it (forced reconnect)
    this.scheduleReconnect();
  }

  private async onConnectError(err: Error & { data?: { code?: string } }): Promise<void> {
    if (!this.wantConnected) return;
    if (err.data?.code === 'unauthorized') {
      // The access token may have expired while we were away: refresh once, then retry.
      this.accessToken = null;
      try {
        await this.refreshTokens();
        this.scheduleReconnect(0);
      } catch (refreshErr) {
        if (refreshErr instanceof ProtocolError && refreshErr.code === 'unauthorized') {
          await this.signOutExpired();
          return;
        }
        this.scheduleReconnect();
      }
      return;
    }
    this.update({ connection: 'reconnecting' });
    this.armRingLoss();
    this.scheduleReconnect();
  }

  private nextReconnectDelay(): number {
    const restart = this.restartRetry;
    if (restart && Date.now() < restart.until) return restart.backoff.next();
    this.restartRetry = null;
    return this.backoff.next();
  }

  private scheduleReconnect(delay = this.nextReconnectDelay()): void {
    clearTimeout(this.reconnectTimer);
    if (!this.wantConnected) return;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private forceReconnect(): void {
    const s = this.signaling;
    if (s?.connected) s.disconnect();
    this.connect();
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(this.heartbeatMs), this.heartbeatMs);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.heartbeatInFlight = false;
  }

  /** One application-level ping; no answer within `timeoutMs` = a dead (zombie) connection. */
  private async heartbeat(timeoutMs: number): Promise<void> {
    const s = this.signaling;
    if (!s?.connected || this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    this.stats.heartbeats++;
    try {
      await s.request('session:ping', {}, timeoutMs);
    } catch (err) {
      if (s !== this.signaling || !this.wantConnected) return;
      if (err instanceof ProtocolError && err.details?.timeout) {
        this.stats.zombiesDetected++;
        this.log.warn('heartbeat unanswered: replacing the connection');
        this.forceReconnect();
      }
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /**
   * Signaling lost while calls ring: end them locally after a grace so nothing rings forever.
   * Armed once per loss: every failed reconnect attempt calls this again, and re-arming would
   * push the end back each time (with a short backoff, for as long as the server stays away).
   */
  private armRingLoss(): void {
    if (this.ringLossTimer !== undefined) return;
    if (!this.state.calls.some((c) => c.local === 'ringing-in' || c.local === 'ringing-out')) return;
    this.ringLossTimer = setTimeout(() => {
      this.ringLossTimer = undefined;
      if (this.connected) return;
      for (const c of this.state.calls) {
        if (c.local === 'ringing-in' || c.local === 'ringing-out') {
          this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'failed', endReason: 'device_lost' });
        }
      }
    }, this.ringLossGraceMs);
  }

  private clearRingLoss(): void {
    clearTimeout(this.ringLossTimer);
    this.ringLossTimer = undefined;
  }

  private async sync(): Promise<void> {
    const known = this.state.calls.filter((c) => c.local !== 'ended').map((c) => c.callId);
    const res = await this.request('session:sync', { calls: known });
    const inCall = res.calls.some((c) => c.state === 'answered' && (c.callerDeviceId === this.device.deviceId || c.answeredDeviceId === this.device.deviceId));
    this.update({
      user: res.user,
      status: res.status,
      presence: res.status === 'dnd' ? 'dnd' : inCall ? 'busy' : res.status,
      account: res.settings,
      missedCount: res.missedCount,
    });
    const seen = new Set<string>();
    for (const view of [...res.calls, ...res.ended]) {
      seen.add(view.callId);
      this.applyView(view);
    }
    // Calls we knew that the server has no trace of: end them locally.
    for (const id of known) {
      const c = this.findCall(id);
      if (!seen.has(id) && c && c.local !== 'ended') {
        this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'failed', endReason: 'server_restart' });
      }
    }
    if (this.watched.size > 0) {
      const { presence } = await this.request('presence:subscribe', { userIds: [...this.watched] });
      for (const [userId, p] of Object.entries(presence)) this.emit('presence', { userId, presence: p });
    }
    // The cached history is complete when it starts with the server's newest record
    // (records never change, except `seen`): no need to list 50 records after every reconnect.
    const cachedHead = this.state.history[0];
    const unchanged =
      res.historyHead !== undefined &&
      (res.historyHead === null
        ? cachedHead === undefined
        : cachedHead?.id === res.historyHead.id && cachedHead.endedAt === res.historyHead.endedAt);
    if (unchanged && res.lastSeenMissedAt !== undefined) {
      const seenUpTo = res.lastSeenMissedAt;
      if (this.state.history.some((r) => !r.seen && r.endedAt <= seenUpTo)) {
        this.update({ history: this.state.history.map((r) => ({ ...r, seen: r.seen || r.endedAt <= seenUpTo })) });
      }
    } else {
      const page = await this.historyPage();
      this.update({ history: page.items });
    }
    await this.persistSession();
  }

  // ───────────────────────────── tokens ─────────────────────────────

  private async adoptTokens(tokens: TokenResponse): Promise<void> {
    this.accessToken = tokens.accessToken;
    this.accessExpiresAt = Date.now() + tokens.expiresIn * 1000;
    this.refreshToken = tokens.refreshToken;
    await this.persistSession(tokens.user);
    // Refresh ahead of expiry, so reconnects never wait for a token.
    clearTimeout(this.refreshTimer);
    const inMs = Math.max(5_000, tokens.expiresIn * 1000 * 0.8);
    this.refreshTimer = setTimeout(() => {
      this.refreshTokens().catch((err: unknown) => {
        if (err instanceof ProtocolError && err.code === 'unauthorized') void this.signOutExpired();
      });
    }, inMs);
  }

  private async persistSession(user = this.state.user): Promise<void> {
    if (!this.api || !this.refreshToken || !user) return;
    await this.opts.store.set(SESSION_KEY, {
      serverUrl: this.api.serverUrl,
      refreshToken: this.refreshToken,
      user,
    } satisfies StoredSession);
  }

  private async validAccessToken(): Promise<string> {
    if (this.accessToken && this.accessExpiresAt - Date.now() > 15_000) return this.accessToken;
    await this.refreshTokens();
    return this.accessToken!;
  }

  private refreshTokens(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const api = this.api;
        if (!api || !this.refreshToken) throw new ProtocolError('unauthorized', 'not signed in');
        const rotate = async () => {
          // Another instance sharing the store (another tab) may have rotated the
          // token already: presenting our stale copy would look like theft.
          const saved = await this.opts.store.get<StoredSession>(SESSION_KEY);
          if (saved?.refreshToken && saved.serverUrl === api.serverUrl) this.refreshToken = saved.refreshToken;
          const fresh = await api.refresh(this.refreshToken!);
          await this.adoptTokens(fresh);
          return fresh;
        };
        const tokens = this.opts.exclusive ? await this.opts.exclusive('softphone-token-refresh', rotate) : await rotate();
        if (this.state.user?.displayName !== tokens.user.displayName) this.update({ user: tokens.user });
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async signOutExpired(): Promise<void> {
    await this.stop();
    await this.opts.store.delete(SESSION_KEY);
    this.resetState({
      error: { code: 'unauthorized', message: 'Your session has ended. Please sign in again.' },
    });
  }

  // ───────────────────────────── state ─────────────────────────────

  private async request<E extends ClientEventName>(
    event: E,
    payload: ClientRequest<E>,
    timeoutMs?: number,
  ): Promise<ClientResponse<E>> {
    const s = this.signaling;
    if (!s?.connected) throw new ProtocolError('internal', 'Not connected to the server. Reconnecting…', { offline: true });
    return s.request(event, payload, timeoutMs);
  }

  private findCall(callId: string): CallInfo | undefined {
    return this.state.calls.find((c) => c.callId === callId);
  }

  private applyView(view: CallView, overrides: Partial<CallInfo> = {}): CallInfo {
    const user = this.state.user;
    if (!user) throw new ProtocolError('unauthorized', 'not signed in');
    const previous = this.findCall(view.callId);
    // Never move a call backwards (a late "ringing" after "answered").
    if (previous?.local === 'ended') return previous;
    if (previous && view.state === 'ringing' && previous.state === 'answered') return previous;
    const info = toCallInfo(view, user.id, this.device.deviceId, previous, overrides);
    // A device that declined does not ring again for the same call.
    if (previous?.local === 'elsewhere' && info.local === 'ringing-in' && previous.state === 'ringing') {
      return previous;
    }
    this.setCall(info);
    return info;
  }

  private setCall(info: CallInfo): void {
    const previous = this.findCall(info.callId);
    const calls = previous
      ? this.state.calls.map((c) => (c.callId === info.callId ? info : c))
      : [...this.state.calls, info];
    const active = calls.some((c) => c.local === 'active');
    this.update({
      calls,
      presence: this.state.status === 'dnd' ? 'dnd' : active ? 'busy' : this.state.status,
    });
    if (info.local === 'ringing-in' && previous?.local !== 'ringing-in') {
      this.emit('ring', info);
      this.armCallTimer(info, info.ringDeadline - Date.now() + 5_000);
    }
    if (previous?.local === 'ringing-in' && info.local !== 'ringing-in') this.emit('ring-stopped', info);
    if (info.local === 'ended' && previous?.local !== 'ended') {
      this.armCallTimer(info, this.endedLingerMs);
    }
  }

  /** Ringing safety net (the server vanished) and removal of ended calls. */
  private armCallTimer(info: CallInfo, delayMs: number): void {
    clearTimeout(this.callTimers.get(info.callId));
    this.callTimers.set(
      info.callId,
      setTimeout(() => {
        this.callTimers.delete(info.callId);
        const c = this.findCall(info.callId);
        if (!c) return;
        if (c.local === 'ended') {
          this.update({ calls: this.state.calls.filter((x) => x.callId !== c.callId) });
        } else if (c.local === 'ringing-in' && Date.now() >= c.ringDeadline) {
          this.setCall({ ...c, state: 'ended', local: 'ended', outcome: 'missed', endReason: 'timeout' });
        }
      }, Math.max(0, delayMs)),
    );
  }

  private onSignal(msg: { callId: string; fromDeviceId: string; signal: MediaSignal }): void {
    const c = this.findCall(msg.callId);
    if (c && msg.signal.type === 'hold') this.setCall({ ...c, remoteHeld: msg.signal.held });
    if (c && msg.signal.type === 'dtmf') this.setCall({ ...c, receivedDigits: c.receivedDigits + msg.signal.digits });
    this.emit('signal', msg);
  }

  /** `missedCount` comes with records that change it (missed ones); otherwise it is unchanged. */
  private onHistoryAdded(record: HistoryRecord, count: number | undefined): void {
    const history = [record, ...this.state.history.filter((r) => r.id !== record.id)].slice(0, 50);
    const missedCount = count ?? this.state.missedCount;
    this.update({ history, missedCount });
    if (record.missed) this.emit('missed', { record, missedCount });
  }

  private resetState(patch: Partial<SessionState>): void {
    this.api = null;
    this.accessToken = null;
    this.refreshToken = null;
    this.watched.clear();
    this.stats.connects = 0;
    this.update({ ...SIGNED_OUT, ...patch });
  }

  private update(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    this.emit('state', this.snapshot());
  }
}

export function normalizeUrl(url: string): string {
  const u = new URL(url.trim());
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProtocolError('bad_request', 'The server address must start with http:// or https://');
  return u.origin;
}
