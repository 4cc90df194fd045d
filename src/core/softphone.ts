/**
 * The softphone core's facade: account session, signaling connection, call
 * state, presence and history cache, for every host (Electron's main process,
 * the web page, plain Node). It imports nothing from Electron, the DOM or
 * Node. The jobs live in their own modules, wired here:
 * token-session.ts (login, refresh, persistence), connection.ts (socket,
 * backoff, heartbeat, resume), call-registry.ts (calls, their timers, ring /
 * ring-stopped, ring-loss), call-policy.ts (answer holds the others, swap,
 * hang-up and hold act locally first, auto-answer), presence.ts (own status,
 * watched users), agent-desk.ts (the server-owned agent state, mirrored),
 * session-sync.ts (the resume sync after every connect), queue-waiting.ts (our
 * queue call's place in line) and history.ts. A guest of the call page
 * (`startGuest`) has a token for one call and no account.
 *
 * Media (getUserMedia, RTCPeerConnection) is not here: the renderer owns it,
 * starts and stops it on the `media-wanted` / `media-released` events and
 * exchanges media signaling through `sendSignal` and the `signal` event.
 */
import {
  ProtocolError,
  type AccountSettings,
  type HistoryRecord,
  type IceServer,
  type MediaSignal,
  type PresenceStatus,
  type SetStatus,
  type DirectoryEntry,
  type DirectoryQueue,
  type ClientEventName,
  type ClientRequest,
  type ClientResponse,
  type AgentStatus,
  type AgentView,
  type GuestResponse,
} from '../shared/protocol/index.js';
import { normalizeUsername, type CallInfo, type SessionState } from '../shared/contract.js';
import { normalizeUrl } from './api-client.js';
import { SIGNED_OUT } from './session-state.js';
import { AgentDesk, type WrapUpRequest } from './agent-desk.js';
import { CallPolicy } from './call-policy.js';
import { errorBody } from './errors.js';
import { HISTORY_PAGE, markSeen, withRecord } from './history.js';
import { PresenceTracker } from './presence.js';
import { CallRegistry, type MediaWanted } from './call-registry.js';
import { QueueWaits } from './queue-waiting.js';
import { syncSession, type SessionSyncDeps } from './session-sync.js';
import { Connection } from './connection.js';
import { TokenSession } from './token-session.js';
import { Emitter } from './emitter.js';
import { hostTimers, silentLogger, type CoreLogger, type Timers } from './ports.js';
import type { SignalingLink } from './signaling.js';
import type { DeviceIdentity, SoftphoneEvents, SoftphoneOptions } from './softphone-options.js';

export type { DeviceIdentity, SoftphoneEvents, SoftphoneOptions } from './softphone-options.js';

export { RESTART_MAX_DELAY_MS, RESTART_RETRY_WINDOW_MS } from './connection.js';

export { errorBody } from './errors.js';
export { normalizeUrl } from './api-client.js';

export class Softphone extends Emitter<SoftphoneEvents> {
  private state: SessionState = { ...SIGNED_OUT, serverUrl: '', error: null };

  private readonly tokens: TokenSession;
  private readonly conn: Connection;
  private readonly timers: Timers;
  private readonly calls: CallRegistry;
  private readonly presence: PresenceTracker;
  private readonly log: CoreLogger;
  private readonly now: () => number;
  private readonly policy: CallPolicy;
  private readonly desk: AgentDesk;
  private readonly waits: QueueWaits;
  private readonly syncDeps: SessionSyncDeps;
  /** Signed in as a guest of the call page (startGuest): one call, no account. */
  private guest = false;

  constructor(private readonly opts: SoftphoneOptions) {
    super(opts.log);
    this.log = opts.log ?? silentLogger;
    this.timers = opts.timers ?? hostTimers;
    this.now = opts.now ?? (() => this.timers.now());
    this.calls = new CallRegistry(
      {
        deviceId: opts.device.deviceId,
        timers: this.timers,
        endedLingerMs: opts.endedCallLingerMs ?? 4_000,
        ringLossGraceMs: opts.ringingLossGraceMs ?? 8_000,
      },
      {
        state: () => this.state,
        update: (patch) => this.update(patch),
        emit: (event, payload) => {
          if (event === 'ring') this.policy.ringing(payload as CallInfo);
          if (event === 'ring-stopped') this.policy.ringStopped((payload as CallInfo).callId);
          this.emit(event, payload as never);
        },
        connected: () => this.connected,
        hungUpHere: (callId) => this.policy.hungUpHere(callId),
      },
    );
    this.waits = new QueueWaits(this.calls);
    this.policy = new CallPolicy({
      calls: this.calls,
      request: (event, payload) => this.request(event, payload),
      connected: () => this.connected,
      now: this.now,
      emit: (event, payload) => this.emit(event, payload),
      timers: this.timers,
      log: this.log,
    });
    this.desk = new AgentDesk({
      now: this.now,
      request: (event, payload) => this.request(event, payload),
      userId: () => this.state.user?.id ?? null,
      changed: (desk) => {
        this.update({ agent: desk.agent, agentReasons: desk.reasons, agentClockOffsetMs: desk.clockOffsetMs });
        this.emit('agent', desk);
      },
      wrapUpSaved: () => void this.historyPage().then(({ items }) => this.update({ history: items }), () => undefined),
      log: this.log,
    });
    this.presence = new PresenceTracker({
      request: (event, payload) => this.request(event, payload),
      emit: (p) => this.emit('presence', p),
      setOwn: (own) => this.update(own),
    });
    this.tokens = new TokenSession({
      store: opts.store,
      fetch: opts.fetch,
      timers: this.timers,
      exclusive: opts.exclusive,
      onTokens: (user) => {
        if (this.state.user?.displayName !== user.displayName) this.update({ user });
        void this.renewSocketToken();
      },
      onExpired: () => void this.signOutExpired(),
    });
    this.syncDeps = {
      deviceId: opts.device.deviceId,
      calls: this.calls,
      presence: this.presence,
      desk: this.desk,
      tokens: this.tokens,
      log: this.log,
      state: () => this.state,
      update: (patch) => this.update(patch),
      request: (event, payload) => this.request(event, payload),
      historyPage: () => this.historyPage(),
    };
    this.conn = new Connection({
      serverUrl: () => this.tokens.serverUrl,
      auth: async () => ({
        token: await this.tokens.validAccessToken().catch(() => 'invalid-token-placeholder'),
        deviceId: this.opts.device.deviceId,
        deviceKind: this.opts.device.kind,
        deviceName: this.opts.device.name,
        appVersion: this.opts.device.appVersion,
      }),
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      heartbeatMs: opts.heartbeatIntervalMs ?? 30_000,
      reconnectBaseMs: opts.reconnectBaseMs ?? 500,
      reconnectMaxMs: opts.reconnectMaxMs ?? 10_000,
      timers: this.timers,
      log: this.log,
      createSignaling: opts.createSignaling,
      random: opts.random,
      bind: (link) => this.bind(link),
      hooks: {
        connecting: (first) => this.update({ connection: first ? 'connecting' : 'reconnecting' }),
        connected: () => void this.onConnected(),
        lost: (disconnected) => this.onLost(disconnected),
        unauthorized: () => this.onUnauthorized(),
      },
    });
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

  /** Connection counters (connects, zombies detected, heartbeats) for diagnostics and tests. */
  get stats(): Connection['stats'] {
    return this.conn.stats;
  }

  // ───────────────────────────── session ─────────────────────────────

  async login(serverUrl: string, username: string, password: string): Promise<SessionState> {
    await this.stop();
    const url = normalizeUrl(serverUrl);
    this.guest = false;
    this.update({ phase: 'signing-in', serverUrl: url, error: null });
    try {
      const tokens = await this.tokens.login(url, normalizeUsername(username), password);
      this.update({ phase: 'signed-in', user: tokens.user });
      this.start();
      return this.snapshot();
    } catch (err) {
      this.update({ phase: 'signed-out', error: errorBody(err) });
      throw err;
    }
  }

  /** A guest of the call page (POST /api/guest): its token, one call, no account, nothing remembered. */
  async startGuest(serverUrl: string, guest: Pick<GuestResponse, 'token' | 'expiresIn' | 'user'>): Promise<void> {
    await this.stop();
    const url = normalizeUrl(serverUrl);
    this.tokens.adoptGuest(url, guest.token, guest.expiresIn);
    this.guest = true;
    this.update({ phase: 'signed-in', serverUrl: url, user: guest.user, error: null });
    this.start();
  }

  /** Resumes the remembered session (refresh token) if there is one. */
  async restore(): Promise<boolean> {
    const saved = await this.tokens.restore();
    if (!saved) return false;
    this.update({ phase: 'signed-in', serverUrl: saved.serverUrl, user: saved.user, error: null });
    this.start();
    return true;
  }

  async logout(): Promise<void> {
    await this.stop();
    await this.tokens.logout();
    this.resetState({ error: null });
  }

  /** Disconnects without forgetting the session (app quitting). */
  async stop(): Promise<void> {
    this.conn.stop();
    this.tokens.stop();
    this.calls.stop();
    if (this.state.connection !== 'offline') this.update({ connection: 'offline' });
  }

  /**
   * The machine woke up, was unlocked or regained network: do not wait for
   * timers. A connection that looks alive may be a zombie after sleep, so
   * it is replaced at once.
   */
  wake(reason: string): void {
    if (!this.conn.wanted) return;
    this.log.info('wake: reconnecting now', { reason });
    this.conn.wake();
  }

  /** Network came back: reconnect now if disconnected, else verify the link. */
  networkOnline(): void {
    this.conn.networkOnline();
  }

  /** Rotates the tokens now (normally done by a timer ahead of the access token's expiry). */
  refreshSession(): Promise<void> {
    return this.tokens.refresh();
  }

  // ───────────────────────────── presence & directory ─────────────────────────────

  setStatus(status: SetStatus): Promise<void> {
    return this.presence.setStatus(status);
  }

  /** Presence values here and from `search` are merged with the events (presence.ts). */
  watchPresence(userIds: string[]): Promise<Record<string, PresenceStatus>> {
    return this.presence.watch(userIds);
  }

  search(query: string): Promise<DirectoryEntry[]> {
    return this.presence.search(query);
  }

  /** People and queues (a queue is dialled with `dial({queue})`, like anyone). */
  directory(query: string): Promise<{ users: DirectoryEntry[]; queues: DirectoryQueue[] }> {
    return this.presence.directory(query);
  }

  async setAccount(patch: Partial<AccountSettings>): Promise<AccountSettings> {
    const account = await this.request('settings:update', patch);
    this.update({ account });
    return account;
  }

  // ───────────────────────────── calls ─────────────────────────────

  /** Calls a user (or, with the server's queues, a queue: the server offers it to an agent). */
  async dial(target: ClientRequest<'call:invite'>['to']): Promise<CallInfo> {
    const callId = globalThis.crypto.randomUUID();
    const { call } = await this.request('call:invite', { to: target, callId });
    return this.waits.known(this.calls.applyView(call));
  }

  /**
   * Answers a call on this device. Call waiting is decided in the core, for every surface
   * (main window, ringing window, notification, shortcut, web page): every other call
   * running on this device goes on hold first.
   */
  answer(callId: string): Promise<CallInfo> {
    return this.policy.answer(callId);
  }

  /** The media this device should run now (a renderer that starts or reloads asks once). */
  mediaWanted(): MediaWanted[] {
    return this.calls.mediaWanted();
  }

  /** Switches to a call of this device: every other one goes on hold, this one resumes. */
  swap(callId: string): Promise<void> {
    return this.policy.swap(callId);
  }

  decline(callId: string): Promise<void> {
    return this.policy.decline(callId);
  }

  /** Ends the call here at once; the server is told now or, when unreachable, on reconnect. */
  hangup(callId: string): Promise<void> {
    return this.policy.hangup(callId);
  }

  /** Holds or resumes a call here at once; the far end is told now or on reconnect. */
  hold(callId: string, held: boolean): Promise<void> {
    return this.policy.hold(callId, held);
  }

  async dtmf(callId: string, digits: string): Promise<void> {
    await this.sendSignal(callId, { type: 'dtmf', digits });
  }

  async sendSignal(callId: string, signal: MediaSignal): Promise<void> {
    await this.request('call:signal', { callId, signal });
  }

  async iceServers(): Promise<IceServer[]> {
    const api = this.tokens.client;
    if (!api) return [];
    const token = await this.tokens.validAccessToken();
    const turn = await api.turn(token);
    return turn.iceServers;
  }

  // ─────────── agent desk (agent-desk.ts): the server owns the state; these only ask ───────────

  /** Ready / not-ready(reason); the pending next status while busy; null cancels it. */
  setAgentStatus(status: AgentStatus | null): Promise<AgentView> { return this.desk.setStatus(status); }
  wrapUp(req: WrapUpRequest): Promise<AgentView> { return this.desk.wrapUp(req); }
  extendWrapUp(callId: string): Promise<AgentView> { return this.desk.extendWrapUp(callId); }
  setAutoAnswer(patch: Parameters<AgentDesk['setAutoAnswer']>[0]): Promise<AgentView> { return this.desk.setAutoAnswer(patch); }
  /** Desktop auto-away (screen locked / idle): the server decides what it changes. */
  autoAway(away: boolean): Promise<void> { return this.desk.autoAway(away); }

  // ───────────────────────────── history ─────────────────────────────

  async historyPage(cursor?: string): Promise<{ items: HistoryRecord[]; nextCursor: string | null }> {
    return this.request('history:list', cursor ? { cursor, limit: HISTORY_PAGE } : { limit: HISTORY_PAGE });
  }

  async markHistorySeen(): Promise<void> {
    const res = await this.request('history:seen', {});
    this.update({
      missedCount: res.count,
      history: markSeen(this.state.history, res.lastSeenAt),
    });
  }

  // ───────────────────────────── connection ─────────────────────────────

  private start(): void {
    this.conn.start();
  }

  /** Subscribes the core's handlers on a new signaling link. */
  private bind(s: SignalingLink): void {
    const invalid = (event: string) => this.log.warn('dropped malformed server event', { event });
    s.on('call:incoming', ({ call }) => this.calls.applyView(call), invalid);
    s.on('call:ringing', ({ call, ringingDevices }) => this.waits.known(this.calls.applyView(call, { ringingDevices })), invalid);
    s.on('queue:waiting', (w) => this.waits.waiting(w), invalid);
    s.on('call:outgoing-elsewhere', ({ call }) => this.calls.applyView(call), invalid);
    s.on('call:answered', ({ call }) => this.calls.applyView(call), invalid);
    s.on('call:answered-elsewhere', ({ call }) => this.calls.applyView(call), invalid);
    s.on('call:ended', ({ call }) => this.calls.applyView(call), invalid);
    s.on('call:offer-ended', (ended) => this.calls.offerEnded(ended), invalid);
    s.on('call:signal', (msg) => this.onSignal(msg), invalid);
    s.on('presence:changed', ({ userId, presence }) => this.presence.changed(userId, presence), invalid);
    s.on('status:changed', ({ status, presence }) => this.presence.ownChanged(status, presence), invalid);
    s.on('settings:changed', (account) => this.update({ account }), invalid);
    s.on('history:added', ({ record, missedCount }) => this.onHistoryAdded(record, missedCount), invalid);
    s.on('agent:changed', ({ agent }) => this.desk.apply(agent), invalid);
    s.on('wallboard:update', ({ wallboard }) => this.emit('wallboard', wallboard), invalid);
    s.on(
      'session:shutdown',
      ({ reconnectAfterMs }) => {
        this.log.info('server is shutting down; reconnecting', { reconnectAfterMs });
        this.conn.restartSoon(reconnectAfterMs);
      },
      invalid,
    );
  }

  private async onConnected(): Promise<void> {
    this.calls.clearRingLoss();
    this.update({ connection: 'connected', error: null });
    this.emit('connection', 'connected');
    try {
      await this.policy.flushOutbox();
      await syncSession(this.syncDeps, { guest: this.guest });
    } catch (err) {
      this.log.warn('sync after connect failed', { error: errorBody(err) });
    }
  }

  private onLost(disconnected: boolean): void {
    this.update({ connection: 'reconnecting' });
    if (disconnected) this.emit('connection', 'reconnecting');
    this.calls.armRingLoss();
  }

  /** The server refused the access token: refresh once (true = retry now); sign out if the session is over. */
  private async onUnauthorized(): Promise<boolean> {
    this.tokens.dropAccessToken();
    try {
      await this.tokens.refresh();
      return true;
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'unauthorized') await this.signOutExpired();
      return false;
    }
  }

  /** A refreshed access token renews the open socket's authorization (no reconnect needed). */
  private async renewSocketToken(): Promise<void> {
    if (!this.connected) return; // the next handshake carries the fresh token anyway
    try {
      await this.request('session:token', { token: await this.tokens.validAccessToken() });
    } catch (err) {
      this.log.warn('could not renew the socket token; the next reconnect will', { error: errorBody(err) });
    }
  }

  private async signOutExpired(): Promise<void> {
    await this.stop();
    await this.tokens.expire();
    this.resetState({
      error: { code: 'unauthorized', message: 'Your session has ended. Please sign in again.' },
    });
  }

  // ───────────────────────────── state ─────────────────────────────

  request<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResponse<E>> {
    return this.conn.request(event, payload);
  }

  private onSignal(msg: { callId: string; fromDeviceId: string; signal: MediaSignal }): void {
    this.calls.remoteSignal(msg.callId, msg.signal);
    this.emit('signal', msg);
  }

  /** `missedCount` comes with records that change it (missed ones); otherwise it is unchanged. */
  private onHistoryAdded(record: HistoryRecord, count: number | undefined): void {
    const history = withRecord(this.state.history, record);
    const missedCount = count ?? this.state.missedCount;
    this.update({ history, missedCount });
    if (record.missed) this.emit('missed', { record, missedCount });
  }

  private resetState(patch: Partial<SessionState>): void {
    this.calls.releaseAll();
    this.tokens.clear();
    this.presence.clear();
    this.policy.clear();
    this.desk.clear();
    this.waits.clear();
    this.guest = false;
    this.conn.resetStats();
    this.update({ ...SIGNED_OUT, ...patch });
  }

  private update(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    this.emit('state', this.snapshot());
  }
}
