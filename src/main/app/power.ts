/**
 * Staying reachable across sleep, screen lock and network changes, and
 * keeping a call alive while it is up.
 *
 * - resume / unlock-screen: the signaling socket may be a zombie after
 *   sleep (the server dropped it long ago, no FIN reached us); the core's
 *   `wake()` replaces it at once instead of waiting for a heartbeat.
 * - network change: `networkOnline()` reconnects if disconnected, or checks
 *   the current link with a quick heartbeat (a new network means the old
 *   TCP connection is likely dead even though nothing said so).
 * - while a call rings or is up: prevent app suspension (not the display).
 */
import type { Softphone } from '../../core/softphone.js';
import type { CoreLogger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { SessionState } from '../../shared/contract.js';
import type { NetworkPort, PowerPort } from './ports.js';

export class PowerWatch {
  private offs: (() => void)[] = [];
  private readonly log: CoreLogger;

  constructor(
    private readonly phone: Softphone,
    private readonly power: PowerPort,
    private readonly network: NetworkPort,
    log?: CoreLogger,
  ) {
    this.log = log ?? silentLogger;
  }

  start(): void {
    const wake = (reason: string) => () => {
      this.log.info('power event: waking the connection', { reason });
      this.phone.wake(reason);
    };
    this.offs.push(
      this.power.on('resume', wake('resume')),
      this.power.on('unlock-screen', wake('unlock-screen')),
      this.network.onChange((online) => {
        this.log.info('network changed', { online });
        if (online) this.phone.networkOnline();
      }),
    );
  }

  stop(): void {
    for (const off of this.offs) off();
    this.offs = [];
  }
}

/** True while a call rings here, is being placed from here, or is up on this device. */
export function callIsUp(s: SessionState): boolean {
  return s.calls.some((c) => c.local === 'ringing-in' || c.local === 'ringing-out' || c.local === 'active');
}

export class CallSleepGuard {
  private release: (() => void) | null = null;

  constructor(private readonly power: PowerPort) {}

  update(s: SessionState): void {
    const up = callIsUp(s);
    if (up && !this.release) this.release = this.power.preventAppSuspension();
    else if (!up) this.stop();
  }

  get active(): boolean {
    return this.release !== null;
  }

  stop(): void {
    const r = this.release;
    this.release = null;
    r?.();
  }
}
