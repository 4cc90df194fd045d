/**
 * Sizes per run mode:
 *   full   `npm run bench`              the numbers quoted in docs/performance.md
 *   quick  `npm run bench -- --quick`   same parts, smaller N and shorter windows (< 4 minutes)
 *   smoke  `--smoke`                    tiny N, seconds-long windows: checks the pipeline and the
 *                                      JSON shape only (npm test); its figures mean nothing
 */
import type { QueueLoadSizes } from './queue-load.js';

export type Mode = 'full' | 'quick' | 'smoke';

export interface Sizes {
  idle: {
    devices: number;
    /** Device counts at which memory is sampled (last = devices). */
    steps: number[];
    /** Idle CPU window after all devices are connected. */
    cpuWindowSec: number;
  };
  callSetup: {
    devices: number;
    rates: number[];
    windowSec: number;
    warmupSec: number;
  };
  storm: {
    devices: number;
    completedBefore: number;
    answeredAcross: number;
    ringingAtRestart: number;
    /** A device not back within this many seconds counts as lost. */
    timeoutSec: number;
  };
  idleCore: { windowSec: number };
  /** Part 4: measured calls between the desktop and the web softphone, after unmeasured warm-up calls. */
  ring: { calls: number; warmupCalls: number };
  /** Part 6: invites per push provider (one at a time), after unmeasured warm-up invites. */
  push: { invites: number; warmupInvites: number };
  /** Part 9: agents in `queues` queues, changing state `rate` times a second for the window, one supervisor watching. */
  wallboard: { agents: number; queues: number; rate: number; windowSec: number };
  /** Part 7: agents in one queue, and rounds of N simultaneous missed offers + N wrap-ups. */
  agents: { agents: number; rounds: number };
  /** Part 8: a queue on two nodes, one killed halfway (full = the figures of issue 14). */
  queueLoad: QueueLoadSizes;
}

/**
 * One process cannot hold more sockets than its open-file limit; this machine's
 * hard limit is 20 000 and cannot be raised without CAP_SYS_RESOURCE, so the
 * full idle run keeps a margin for the database, logs and listening socket.
 */
export function maxDevicesPerProcess(nofileLimit: number): number {
  return Math.max(1_000, Math.floor((nofileLimit - 1_000) / 1_000) * 1_000);
}

export function sizesFor(mode: Mode, nofileLimit: number): Sizes {
  switch (mode) {
    case 'smoke':
      return {
        idle: { devices: 40, steps: [0, 20, 40], cpuWindowSec: 1 },
        callSetup: { devices: 40, rates: [50, 200], windowSec: 1, warmupSec: 0.3 },
        storm: { devices: 16, completedBefore: 2, answeredAcross: 2, ringingAtRestart: 1, timeoutSec: 20 },
        idleCore: { windowSec: 2 },
        ring: { calls: 2, warmupCalls: 0 },
        push: { invites: 10, warmupInvites: 1 },
        wallboard: { agents: 4, queues: 1, rate: 10, windowSec: 1 },
        agents: { agents: 3, rounds: 1 },
        queueLoad: { agents: 10, callers: 90, rate: 5, durationSec: 4, killAtSec: 2, baselineRate: 2, baselineDevices: 4 },
      };
    case 'quick':
      return {
        idle: { devices: 2_000, steps: [0, 500, 1_000, 2_000], cpuWindowSec: 15 },
        callSetup: { devices: 1_000, rates: [50, 200, 500, 1_000, 2_000], windowSec: 4, warmupSec: 1 },
        storm: { devices: 2_000, completedBefore: 50, answeredAcross: 50, ringingAtRestart: 20, timeoutSec: 60 },
        idleCore: { windowSec: 30 },
        ring: { calls: 10, warmupCalls: 1 },
        push: { invites: 200, warmupInvites: 5 },
        wallboard: { agents: 50, queues: 3, rate: 20, windowSec: 10 },
        agents: { agents: 20, rounds: 5 },
        queueLoad: { agents: 100, callers: 450, rate: 25, durationSec: 20, killAtSec: 10, baselineRate: 5, baselineDevices: 10 },
      };
    case 'full': {
      const devices = Math.min(20_000, maxDevicesPerProcess(nofileLimit));
      const steps = [0, 0.125, 0.25, 0.5, 0.75, 1].map((f) => Math.round(devices * f));
      return {
        idle: { devices, steps, cpuWindowSec: 60 },
        callSetup: { devices: 2_000, rates: [50, 100, 200, 500, 750, 1_000, 1_500, 2_000], windowSec: 10, warmupSec: 2 },
        storm: { devices: 2_000, completedBefore: 200, answeredAcross: 200, ringingAtRestart: 50, timeoutSec: 90 },
        idleCore: { windowSec: 120 },
        ring: { calls: 20, warmupCalls: 1 },
        push: { invites: 1_000, warmupInvites: 5 },
        wallboard: { agents: 200, queues: 5, rate: 50, windowSec: 30 },
        agents: { agents: 50, rounds: 10 },
        queueLoad: { agents: 200, callers: 900, rate: 50, durationSec: 60, killAtSec: 30, baselineRate: 5, baselineDevices: 20 },
      };
    }
  }
}
