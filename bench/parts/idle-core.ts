/**
 * Part 5 — idle cost of the softphone core. One real core (restore() from a
 * stored session, production defaults) in its own Node process, connected to
 * our server, nothing happening. Counted in that process: timer callbacks
 * that fire (async_hooks) and CPU time (process.cpuUsage), per minute.
 * Baseline, at the same time in another process: a bare socket.io-client
 * socket on the same server (transport pings only).
 */
import path from 'node:path';
import { seedUsers } from '../lib/seed.js';
import { freePort, ServerUnderTest } from '../lib/server-process.js';
import { round, sleep } from '../lib/stats.js';
import type { BenchPart } from '../lib/types.js';
import { WorkerHost } from '../lib/worker-host.js';
import { CORE_HEARTBEAT_MS } from './idle.js';

interface Window {
  windowMs: number;
  wakeups: number;
  cpuMs: number;
  sources: { source: string; count: number }[];
  heartbeats: number;
  gc: { count: number; ms: number };
}

/** The window opens at least this long after connecting… */
const SETTLE_MS = 15_000;
/** …and no garbage collection for this long in either process… */
const QUIET_GC_MS = 10_000;
/** …but no longer than this after connecting. */
const SETTLE_MAX_MS = 30_000;

export const TARGET_WAKEUPS_PER_MIN = 3;
export const TARGET_CPU_MS_PER_MIN = 20;

export const idleCorePart: BenchPart<'idleCore'> = {
  name: 'core',
  keys: ['idleCore'],
  async run(ctx) {
    const dataDir = path.join(ctx.runDir, 'core-data');
    const [coreUser, bareUser] = await seedUsers(dataDir, 2, 'k');
    const server = await ServerUnderTest.start(ctx.build, {
      kind: 'app',
      port: await freePort(),
      dataDir,
      env: ctx.serverEnv,
      logFile: path.join(ctx.runDir, 'core-app.log'),
    });
    const core = WorkerHost.start('idle-core', ctx.build.workers.idleCore, {}, process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []);
    const bare = WorkerHost.start('idle-bare-client', ctx.build.workers.idleCore);
    try {
      const args = (u: typeof coreUser, mode: 'core' | 'bare') => ({
        url: server.url,
        mode,
        user: { id: u!.userId, username: u!.username, displayName: u!.displayName },
        deviceId: u!.deviceId,
        refreshToken: u!.refreshToken,
        accessToken: u!.accessToken,
      });
      await Promise.all([core.request('connect', args(coreUser, 'core')), bare.request('connect', args(bareUser, 'bare'))]);
      // Let the aftermath of connecting pass before the window opens: short-lived timers (HTTP
      // keep-alive of the token refresh) and V8's memory reducer, which runs a few full GCs
      // ~8–10 s after activity stops (~80 ms of CPU, once). A core idle for hours has had both.
      // SETTLE_MS at least, then until neither process has collected garbage for QUIET_GC_MS
      // (the reducer's GCs come later when the machine is busy), at most SETTLE_MAX_MS.
      await sleep(ctx.mode === 'smoke' ? 500 : SETTLE_MS);
      const settleUntil = Date.now() + (ctx.mode === 'smoke' ? 0 : SETTLE_MAX_MS - SETTLE_MS);
      while (Date.now() < settleUntil) {
        const since = await Promise.all([core.request<number>('sinceGc'), bare.request<number>('sinceGc')]);
        if (Math.min(...since) >= QUIET_GC_MS) break;
        await sleep(1_000);
      }
      await Promise.all([core.request('start'), bare.request('start')]);
      await sleep(ctx.sizes.idleCore.windowSec * 1_000);
      const [c, b] = await Promise.all([core.request<Window>('stop'), bare.request<Window>('stop')]);
      const perMin = (v: number, w: Window) => (v * 60_000) / w.windowMs;
      ctx.log(`core: ${c.wakeups} wake-ups, ${c.cpuMs.toFixed(1)} ms CPU in ${(c.windowMs / 1000).toFixed(0)} s; sources ${JSON.stringify(c.sources)}`);
      return {
        idleCore: {
          status: 'ok',
          windowSec: round(c.windowMs / 1_000, 1),
          wakeupsPerMin: round(perMin(c.wakeups, c), 2),
          cpuMsPerMin: round(perMin(c.cpuMs, c), 2),
          baselineWakeupsPerMin: round(perMin(b.wakeups, b), 2),
          baselineCpuMsPerMin: round(perMin(b.cpuMs, b), 2),
          wakeupSources: c.sources,
          gcInWindow: { count: c.gc.count, ms: round(c.gc.ms, 1) },
          heartbeatIntervalMs: CORE_HEARTBEAT_MS,
        },
      };
    } finally {
      await Promise.all([core.stop(), bare.stop()]);
      await server.stop();
    }
  },
};
