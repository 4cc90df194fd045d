/**
 * The supervisor's wallboard as this device last heard it (docs/support-line.md "Read the
 * wallboard"), and the supervisor actions on it. The server computes every figure and pushes
 * `wallboard:update`; this module only subscribes while the page is open, keeps the newest
 * wallboard and asks for changes. Nothing here computes a figure or runs a timer.
 *
 * - Nothing is asked until a renderer wants the feed (`interest()`: the main window's shell
 *   does; the guest call page never does, so a guest's socket sends nothing of this).
 * - Then, and after every (re)connect, `connected()` asks the server: while the page is open
 *   it subscribes again (a new socket has no subscription); otherwise it sends
 *   `wallboard:unsubscribe`, which has no effect but answers `forbidden` to a
 *   non-supervisor: that is how the UI knows whether to offer the page (`available`).
 *   Roles are the server's (read from its store), never guessed from the token.
 * - A push or an ack older than what we have (its `at`) is dropped: an ack computed before
 *   a push may arrive after it.
 */
import { ProtocolError, type AgentStatus, type AgentView, type ClientEventName, type ClientRequest, type ClientResponse, type Wallboard } from '../shared/protocol/index.js';
import type { WallboardFeedState } from '../shared/contract.js';
import { errorBody } from './errors.js';
import type { CoreLogger } from './ports.js';

export type { WallboardFeedState } from '../shared/contract.js';

export interface WallboardFeedDeps {
  /** This device's clock (epoch ms). */
  now(): number;
  request<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResponse<E>>;
  connected(): boolean;
  changed(state: WallboardFeedState): void;
  log: CoreLogger;
}

export const NO_WALLBOARD: WallboardFeedState = {
  available: false,
  watching: false,
  live: false,
  wallboard: null,
  reasons: [],
  clockOffsetMs: 0,
  error: null,
};

const isOffline = (err: unknown) => err instanceof ProtocolError && (err.details?.offline === true || err.details?.timeout === true);

export class WallboardFeed {
  private state: WallboardFeedState = NO_WALLBOARD;
  /** Bumped by every subscribe / unsubscribe / clear: a late answer of an older one is ignored. */
  private epoch = 0;
  /** A renderer asked for the feed: from then on every connect asks the server. */
  private interested = false;

  constructor(private readonly d: WallboardFeedDeps) {}

  get current(): WallboardFeedState {
    return this.state;
  }

  /** A renderer wants the feed (to offer the page): learn now whether we may, if connected. */
  async interest(): Promise<WallboardFeedState> {
    if (!this.interested) {
      this.interested = true;
      if (this.d.connected()) await this.sync();
    }
    return this.state;
  }

  /** The page opened (true) or closed (false). */
  async watch(on: boolean): Promise<WallboardFeedState> {
    this.interested = true;
    if (on === this.state.watching && (!on || this.state.live)) return this.state;
    this.set({ watching: on, live: false, error: null });
    if (this.d.connected()) await this.sync();
    return this.state;
  }

  /** The link is up again (or for the first time): re-subscribe, or learn whether we may. */
  async connected(): Promise<void> {
    if (this.interested) await this.sync();
  }

  /** The link dropped: the figures stay on screen, marked not live. */
  disconnected(): void {
    if (this.state.live) this.set({ live: false });
  }

  /** `wallboard:update` from the server. */
  update(wallboard: Wallboard): void {
    if (!this.state.watching) return;
    if (this.state.wallboard && wallboard.at < this.state.wallboard.at) return;
    this.set({ wallboard, live: true, error: null });
  }

  /** Supervisor: set an agent's state (force not-ready with a reason, or ready). */
  async setAgent(userId: string, status: AgentStatus): Promise<AgentView> {
    return (await this.d.request('agent:set', { userId, status })).agent;
  }

  /** Supervisor: log an agent out of the queues (not-ready, reason `logged-out`), audited. */
  async logOut(userId: string): Promise<AgentView> {
    return (await this.d.request('supervisor:logout', { userId })).agent;
  }

  /** Signed out. */
  clear(): void {
    this.epoch++;
    if (this.state !== NO_WALLBOARD) {
      this.state = NO_WALLBOARD;
      this.d.changed(this.state);
    }
  }

  private async sync(): Promise<void> {
    const epoch = ++this.epoch;
    const watching = this.state.watching;
    try {
      if (watching) {
        const sent = this.d.now();
        const { wallboard } = await this.d.request('wallboard:subscribe', {});
        if (epoch !== this.epoch) return;
        const clockOffsetMs = Math.round(wallboard.at - (sent + this.d.now()) / 2);
        if (!this.state.available) void this.loadReasons();
        const newer = !this.state.wallboard || wallboard.at >= this.state.wallboard.at;
        this.set({ available: true, live: true, error: null, clockOffsetMs, ...(newer ? { wallboard } : {}) });
      } else {
        await this.d.request('wallboard:unsubscribe', {});
        if (epoch !== this.epoch) return;
        if (!this.state.available) void this.loadReasons();
        this.set({ available: true, live: false, wallboard: null });
      }
    } catch (err) {
      if (epoch !== this.epoch) return;
      if (isOffline(err)) return; // tried again on the next connect
      const forbidden = err instanceof ProtocolError && (err.code === 'forbidden' || err.code === 'not_found');
      if (!forbidden) this.d.log.warn('wallboard request failed', { error: errorBody(err) });
      this.set(forbidden ? { available: false, live: false, wallboard: null, error: watching ? errorBody(err) : null } : { live: false, error: errorBody(err) });
    }
  }

  /** The reason codes a supervisor may force (agent:reasons answers supervisors too). */
  private async loadReasons(): Promise<void> {
    const epoch = this.epoch;
    try {
      const { reasons } = await this.d.request('agent:reasons', {});
      if (this.state.available || epoch === this.epoch) this.set({ reasons });
    } catch (err) {
      this.d.log.warn('reason codes could not be read', { error: errorBody(err) });
    }
  }

  private set(patch: Partial<WallboardFeedState>): void {
    this.state = { ...this.state, ...patch };
    this.d.changed(this.state);
  }
}
