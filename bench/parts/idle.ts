/**
 * Part 1 — idle devices. N authenticated devices connected to our server,
 * heartbeats running; then the same N on a bare socket.io server with the
 * same ping interval, same traffic and the same memory probe. Memory is
 * sampled (after gc) at several device counts; per-device cost is the slope
 * of the line through those samples, so the fixed cost of the process cancels
 * out. Idle CPU is read from /proc/<pid>/stat over a window once all are connected.
 */
import path from 'node:path';
import { seedUsers, type SeededDevice } from '../lib/seed.js';
import { freePort, ServerUnderTest, type ServerKind } from '../lib/server-process.js';
import { round, sleep, slope } from '../lib/stats.js';
import type { BenchPart, MemoryPoint, PartContext } from '../lib/types.js';
import { chunk, WorkerHost } from '../lib/worker-host.js';

/** The core's default application heartbeat (src/core/softphone.ts). */
export const CORE_HEARTBEAT_MS = 30_000;
/** The server's default socket.io ping interval (src/server/config.ts). */
export const SERVER_PING_INTERVAL_MS = 25_000;

interface Measured {
  memory: MemoryPoint[];
  cpuPercent: number;
  connectSeconds: number;
}

async function measure(ctx: PartContext, kind: ServerKind, dataDir: string, seeded: SeededDevice[]): Promise<Measured> {
  const { steps, cpuWindowSec } = ctx.sizes.idle;
  const server = await ServerUnderTest.start(ctx.build, {
    kind,
    port: await freePort(),
    dataDir: kind === 'app' ? dataDir : undefined,
    env: { ...ctx.serverEnv, PING_INTERVAL_MS: String(SERVER_PING_INTERVAL_MS) },
    logFile: path.join(ctx.runDir, `idle-${kind}.log`),
  });
  // Two generator processes: spreads the sockets below each process's open-file limit.
  const workers = Array.from({ length: seeded.length > 500 ? 2 : 1 }, (_, i) =>
    WorkerHost.start(`idle-${kind}-${i}`, ctx.build.workers.leanDevices),
  );
  const memory: MemoryPoint[] = [];
  let connectMs = 0;
  try {
    let connected = 0;
    for (const step of steps) {
      if (step > connected) {
        const batch = seeded.slice(connected, step);
        const t = performance.now();
        const results = await Promise.all(
          chunk(batch, workers.length).map((devices, i) =>
            workers[i]!.request<{ connected: number; failed: number }>('connect', {
              url: server.url,
              devices,
              heartbeatMs: CORE_HEARTBEAT_MS,
              concurrency: 100,
              reconnect: false,
            }),
          ),
        );
        connectMs += performance.now() - t;
        const failed = results.reduce((s, r) => s + r.failed, 0);
        if (failed > 0) throw new Error(`${failed} of ${batch.length} devices could not connect to the ${kind} server`);
        connected = step;
      }
      // Let post-connect requests finish before sampling.
      await sleep(ctx.mode === 'smoke' ? 200 : 1_000);
      const m = await server.mem();
      memory.push({ devices: connected, rssBytes: m.rssBytes, heapUsedBytes: m.heapUsedBytes });
      ctx.log(`idle/${kind}: ${connected} devices, rss ${(m.rssBytes / 2 ** 20).toFixed(1)} MiB, heap ${(m.heapUsedBytes / 2 ** 20).toFixed(1)} MiB`);
    }
    const cpu = server.cpuWindow();
    await sleep(cpuWindowSec * 1_000);
    const cpuPercent = cpu.percent();
    ctx.log(`idle/${kind}: cpu ${cpuPercent.toFixed(2)} % over ${cpuWindowSec} s`);
    return { memory, cpuPercent, connectSeconds: connectMs / 1_000 };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
}

const perDevice = (points: MemoryPoint[], key: 'rssBytes' | 'heapUsedBytes') =>
  slope(points.map((p) => ({ x: p.devices, y: p[key] })));

export const idlePart: BenchPart<'idle'> = {
  name: 'idle',
  keys: ['idle'],
  async run(ctx) {
    const { devices } = ctx.sizes.idle;
    const dataDir = path.join(ctx.runDir, 'idle-data');
    const seeded = await seedUsers(dataDir, devices, 'i');
    const app = await measure(ctx, 'app', dataDir, seeded);
    const bare = await measure(ctx, 'bare', dataDir, seeded);
    const bytes = perDevice(app.memory, 'rssBytes');
    const baseBytes = perDevice(bare.memory, 'rssBytes');
    const heap = perDevice(app.memory, 'heapUsedBytes');
    const baseHeap = perDevice(bare.memory, 'heapUsedBytes');
    return {
      idle: {
        status: 'ok',
        devices,
        bytesPerDevice: Math.round(bytes),
        baselineBytesPerDevice: Math.round(baseBytes),
        ratio: round(bytes / baseBytes, 3),
        heapBytesPerDevice: Math.round(heap),
        baselineHeapBytesPerDevice: Math.round(baseHeap),
        heapRatio: round(heap / baseHeap, 3),
        idleCpuPercent: round(app.cpuPercent, 3),
        baselineIdleCpuPercent: round(bare.cpuPercent, 3),
        idleWindowSec: ctx.sizes.idle.cpuWindowSec,
        heartbeatIntervalMs: CORE_HEARTBEAT_MS,
        pingIntervalMs: SERVER_PING_INTERVAL_MS,
        memory: app.memory,
        baselineMemory: bare.memory,
        connectSeconds: round(app.connectSeconds, 2),
        baselineConnectSeconds: round(bare.connectSeconds, 2),
      },
    };
  },
};
