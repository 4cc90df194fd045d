/**
 * Desktop auto-away for agents (docs/agents.md): the screen locked, or no input for the
 * idle threshold, means the agent is away; unlocking or any input means back. This only
 * tells the core (`autoAway(true/false)`, once per change); the SERVER decides what it
 * means — it sets not-ready(Away) only from ready, and restores only an away it set
 * automatically, so a manual Break survives an unlock.
 */
import type { CoreLogger, Timers } from '../../core/ports.js';
import { hostTimers, silentLogger } from '../../core/ports.js';
import { errorBody } from '../../core/errors.js';
import type { ScreenLockPort } from './ports.js';

export interface AutoAwayOptions {
  phone: { autoAway(away: boolean): Promise<void> };
  lock: ScreenLockPort;
  /** No input for this long counts as away (0 = never from idleness). */
  idleAfterSec: number;
  /** How often the idle time is read. */
  pollMs: number;
  timers?: Timers;
  log?: CoreLogger;
}

export class AutoAway {
  private locked = false;
  private idle = false;
  /** What the core was last told (null: nothing yet, i.e. present). */
  private told: boolean | null = null;
  private offs: (() => void)[] = [];
  /** Requests go one after the other, so the server sees lock and unlock in their order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly timers: Timers;
  private readonly log: CoreLogger;
  private idleAfterSec: number;
  private started = false;
  private pollTimer: unknown = null;

  constructor(private readonly o: AutoAwayOptions) {
    this.timers = o.timers ?? hostTimers;
    this.log = o.log ?? silentLogger;
    this.idleAfterSec = o.idleAfterSec;
  }

  get away(): boolean {
    return this.locked || this.idle;
  }

  start(): void {
    this.offs.push(
      this.o.lock.onLockChange((locked) => {
        this.locked = locked;
        // Unlocking is input: whatever the idle counter said, the user is back.
        if (!locked) this.idle = false;
        this.apply(locked ? 'lock' : 'unlock');
      }),
    );
    this.started = true;
    this.schedulePoll();
  }

  stop(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.started = false;
    this.schedulePoll();
  }

  /** The user changed the idle threshold (Settings): it applies from the next poll; 0 = never. */
  setIdleAfterSec(seconds: number): void {
    if (seconds === this.idleAfterSec) return;
    this.idleAfterSec = seconds;
    this.schedulePoll();
    if (seconds <= 0 && this.idle) {
      this.idle = false;
      this.apply('idle-off');
    }
  }

  /** Polls the idle time only while started with a threshold (no wake-ups otherwise). */
  private schedulePoll(): void {
    if (this.pollTimer !== null) this.timers.clearInterval(this.pollTimer);
    this.pollTimer = this.started && this.idleAfterSec > 0 ? this.timers.setInterval(() => this.poll(), this.o.pollMs) : null;
  }

  /** Reads the system idle time now (also run by the poll timer). */
  poll(): void {
    let seconds: number;
    try {
      seconds = this.o.lock.idleSeconds();
    } catch (err) {
      this.log.warn('could not read the system idle time', { error: errorBody(err) });
      return;
    }
    if (this.idleAfterSec <= 0) return;
    this.idle = seconds >= this.idleAfterSec;
    this.apply(this.idle ? 'idle' : 'active');
  }

  private apply(cause: string): void {
    const away = this.away;
    // "Present" is only worth telling after an away was told.
    if (away === (this.told ?? false)) return;
    this.told = away;
    this.log.info('auto-away', { away, cause });
    this.queue = this.queue
      .then(() => this.o.phone.autoAway(away))
      .catch((err: unknown) => this.log.warn('auto-away request failed', { away, error: errorBody(err) }));
  }

  /** Resolves once every change so far was answered by the server (or failed). */
  settled(): Promise<void> {
    return this.queue;
  }
}
