/**
 * Keeping a call's audio path alive: the grace period after a drop, the
 * recovery attempts (ICE restart first, then a fresh peer connection), their
 * retry interval, and the deadline after which the call is hung up so nobody
 * sits in a silent call. It owns those timers; `CallMedia` tells it what the
 * peer connection does and carries out the attempts it asks for.
 *
 * Recovery:
 * - The connection drops (network change, sleep): the offerer restarts ICE;
 *   the other side sends `restart-request`. A second attempt replaces the
 *   whole peer connection (`fresh`), which also heals a dead DTLS session.
 * - This renderer started while the call was already up (window reloaded):
 *   it has no media session, so the offerer sends a `fresh` offer and the
 *   other side sends `restart-request {fresh}`; whoever receives `fresh`
 *   replaces its peer connection.
 * - Signaling dropped too (this device lost its network): what was sent
 *   meanwhile may be lost, so once it is back the recovery tries again at
 *   once and gets a full deadline; so does the far end's once it hears
 *   from this side again (an offer or a restart request).
 * - No audio path within the deadline: the call is hung up with a reason,
 *   so nobody sits in a silent call.
 */
import { DISCONNECT_GRACE_MS, LOST_REASON, RECOVERY_RETRY_MS, RECOVERY_TIMEOUT_MS } from './call-media-types.js';
import type { MediaClock, TimerId } from './media-edges.js';

export interface RecoveryHost {
  readonly clock: MediaClock;
  /** The current peer connection's state (undefined: none). */
  connectionState(): RTCPeerConnectionState | undefined;
  /** When the current peer connection was created (clock.now()). */
  pcCreatedAt(): number;
  ended(): boolean;
  reconnecting(): boolean;
  /** Moves the state to reconnecting; false when it cannot (not started, ended, already recovering). */
  enterReconnecting(): boolean;
  /** The audio path works (again). */
  connected(): void;
  /** One recovery attempt: `fresh` replaces the whole peer connection. */
  attempt(fresh: boolean): void;
  hangup(reason: string): void;
}

export class Recovery {
  private attempts = 0;
  /** The far end was heard from during the current recovery (see farEndIsBack). */
  private farEndHeard = false;
  private watchdog: TimerId | undefined;
  private disconnectTimer: TimerId | undefined;
  private retryTimer: TimerId | undefined;

  constructor(private readonly host: RecoveryHost) {}

  private get clock(): MediaClock {
    return this.host.clock;
  }

  onConnectionState(state: RTCPeerConnectionState): void {
    if (this.host.ended()) return;
    if (state === 'connected') {
      this.clock.clearTimeout(this.watchdog);
      this.clock.clearTimeout(this.disconnectTimer);
      this.clock.clearInterval(this.retryTimer);
      this.disconnectTimer = undefined;
      this.attempts = 0;
      this.host.connected();
    } else if (state === 'disconnected') {
      this.disconnectTimer ??= this.clock.setTimeout(() => {
        this.disconnectTimer = undefined;
        if (this.host.connectionState() !== 'connected') this.start();
      }, DISCONNECT_GRACE_MS);
    } else if (state === 'failed') {
      this.start();
    }
  }

  /** Starts a recovery (a drop, or a renderer that reloaded during the call). */
  start(): void {
    if (!this.host.enterReconnecting()) return;
    this.farEndHeard = false;
    this.armWatchdog(RECOVERY_TIMEOUT_MS, LOST_REASON);
    this.attempt();
    this.clock.clearInterval(this.retryTimer);
    this.retryTimer = this.clock.setInterval(() => this.attempt(), RECOVERY_RETRY_MS);
  }

  /** Signaling came back: what was sent meanwhile may be lost, so try again now, with a full deadline. */
  signalingRestored(): void {
    if (!this.host.reconnecting()) return;
    this.armWatchdog(RECOVERY_TIMEOUT_MS, LOST_REASON);
    this.attempt();
  }

  /**
   * The far end is heard through signaling during a recovery (it may have been
   * offline until now): the recovery gets a full deadline from now. Once per
   * recovery, so two sides that keep signaling without ever getting audio
   * through still give up.
   */
  farEndIsBack(): void {
    if (!this.host.reconnecting() || this.farEndHeard) return;
    this.farEndHeard = true;
    this.armWatchdog(RECOVERY_TIMEOUT_MS, LOST_REASON);
  }

  /** The call must have audio within `ms`, or it is hung up with `reason`. */
  armWatchdog(ms: number, reason: string): void {
    this.clock.clearTimeout(this.watchdog);
    this.watchdog = this.clock.setTimeout(() => {
      if (this.host.ended() || this.host.connectionState() === 'connected') return;
      this.host.hangup(reason);
      // Signaling may be down too, so the hang-up may not get through: keep asking until the call is over.
      this.armWatchdog(RECOVERY_RETRY_MS, reason);
    }, ms);
  }

  stop(): void {
    this.clock.clearTimeout(this.watchdog);
    this.clock.clearTimeout(this.disconnectTimer);
    this.clock.clearInterval(this.retryTimer);
  }

  private attempt(): void {
    if (this.host.ended()) return;
    // A session set up moments ago is still connecting: give it time instead of replacing it again.
    const state = this.host.connectionState();
    if ((state === 'new' || state === 'connecting') && this.clock.now() - this.host.pcCreatedAt() < RECOVERY_RETRY_MS * 1.5) return;
    const attempt = this.attempts++;
    // First try an ICE restart (keeps the session); then rebuild the peer connection.
    this.host.attempt(!state || attempt > 0 || state === 'closed');
  }
}
