/**
 * The supervisors' wallboard (docs/support-line.md "Read the wallboard"): per queue and per
 * agent figures, computed on this node from shared sources only, so every node shows the same:
 * - the day's counts from the durable call records (storage.queues.dayCounts / handledSince,
 *   SQL on SQLite or PostgreSQL): they survive restarts and agree across nodes;
 * - the line from the queue engine's live view (QueueLiveView.waiting, the shared live state);
 * - agents from the live agent states (live.agents, Redis on several nodes) and the
 *   memberships (storage.queues.allMembers).
 *
 * Pushes (`wallboard:update`) go to this node's subscribed sockets only (each node serves its
 * own subscribers), at most 4 a second (wallboard-throttle.ts) and only when a figure changed.
 * A push is due after a local change (the line changed, an agent's state was committed here,
 * a call ended here) and, while anyone here subscribes, every `pollMs` (500 ms), so a change
 * made on another node shows within 1 s too. Nobody subscribed: no poll, no work.
 */
import type { QueueConfig, UserSummary, Wallboard } from '../../shared/protocol/index.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { QueueDayCounts } from '../store/queue-types.js';
import type { Storage } from '../store/types.js';
import type { QueueLiveView, WaitingCall } from './types.js';
import { buildWallboard, dayStartOf, sameFigures } from './wallboard-figures.js';
import { realTimers, UpdateThrottle, type ThrottleTimers } from './wallboard-throttle.js';

export interface WallboardDeps {
  storage: Pick<Storage, 'queues' | 'accounts'>;
  live: Pick<LiveState, 'agents'>;
  log: Pick<Logger, 'error'>;
  /** The queue engine's live line; without it no call is shown waiting. */
  line?: QueueLiveView;
  /** Sockets subscribed on this node. */
  subscribers(): number;
  /** Sends `wallboard:update` to this node's subscribed sockets. */
  send(wallboard: Wallboard): void;
  timers?: ThrottleTimers;
  /**
   * Defaults: 280 ms between pushes (4 a second even when the network bunches two of them up:
   * at 250 ms a device measured 5 in one second), 25 ms to gather one operation's events, a
   * 500 ms poll.
   */
  minIntervalMs?: number;
  delayMs?: number;
  pollMs?: number;
}

export class WallboardService {
  private readonly timers: ThrottleTimers;
  private readonly throttle: UpdateThrottle;
  private readonly pollMs: number;
  private poll: unknown = null;
  private last: Wallboard | null = null;
  /** The server is shutting down: no more reads of stores that are closing. */
  private closed = false;
  /** Display names of members with no live agent record (read once). */
  private readonly users = new Map<string, UserSummary>();

  constructor(private readonly d: WallboardDeps) {
    this.timers = d.timers ?? realTimers;
    this.pollMs = d.pollMs ?? 500;
    this.throttle = new UpdateThrottle(() => this.push(), {
      minIntervalMs: d.minIntervalMs ?? 280,
      delayMs: d.delayMs ?? 25,
      timers: this.timers,
      onError: (err) => d.log.error({ err }, 'wallboard update failed'),
    });
    if (d.line) this.watch(d.line);
  }

  /** The engine's line: its `changed` events make a push due. */
  watch(line: QueueLiveView): void {
    this.d.line = line;
    line.on('changed', () => this.changed());
  }

  /** Something the wallboard shows changed on this node (an agent state, a call, the line). */
  changed(): void {
    if (!this.closed && this.d.subscribers() > 0) this.throttle.poke();
  }

  /** A socket subscribed (it already joined the room): the wallboard now; polling runs. */
  async subscribed(): Promise<Wallboard> {
    this.startPolling();
    return this.compute();
  }

  /** A socket left the room: with nobody left, polling stops. */
  unsubscribed(): void {
    if (this.d.subscribers() === 0) this.stop();
  }

  stop(): void {
    if (this.poll !== null) this.timers.clearTimeout(this.poll);
    this.poll = null;
    this.throttle.cancel();
    this.last = null;
  }

  /** Shutdown: stops for good (a late event or subscriber starts nothing). */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private startPolling(): void {
    if (this.poll !== null || this.closed) return;
    const tick = () => {
      if (this.d.subscribers() === 0) {
        this.stop();
        return;
      }
      this.throttle.poke();
      this.poll = this.timers.setTimeout(tick, this.pollMs);
    };
    this.poll = this.timers.setTimeout(tick, this.pollMs);
  }

  private async push(): Promise<void> {
    if (this.closed || this.d.subscribers() === 0) return;
    const w = await this.compute();
    if (this.last && sameFigures(this.last, w)) return;
    this.last = w;
    this.d.send(w);
  }

  /** Reads every source once and builds the wallboard. */
  async compute(): Promise<Wallboard> {
    const now = this.timers.now();
    const dayStart = dayStartOf(now);
    const { storage, live, line } = this.d;
    const [queues, members, records, handled] = await Promise.all([
      storage.queues.list(),
      storage.queues.allMembers(),
      live.agents.list(),
      storage.queues.handledSince(dayStart),
    ]);
    const perQueue = await Promise.all(
      queues.map(async (q: QueueConfig) => {
        const [counts, waiting] = await Promise.all([
          storage.queues.dayCounts(q.id, dayStart, q.serviceLevelSec),
          line ? line.waiting(q.id) : Promise.resolve([] as WaitingCall[]),
        ]);
        return [q.id, counts, waiting] as const;
      }),
    );
    const agents = new Map<string, AgentRecord>(records.map((a) => [a.userId, a]));
    for (const m of members) {
      if (agents.has(m.userId) || this.users.has(m.userId)) continue;
      const u = await storage.accounts.getUserById(m.userId);
      if (u) this.users.set(u.id, { id: u.id, username: u.username, displayName: u.displayName });
    }
    return buildWallboard({
      now,
      dayStart,
      queues,
      counts: new Map<string, QueueDayCounts>(perQueue.map(([id, c]) => [id, c])),
      waiting: new Map(perQueue.map(([id, , w]) => [id, w])),
      agents,
      members,
      users: this.users,
      handled,
    });
  }
}
