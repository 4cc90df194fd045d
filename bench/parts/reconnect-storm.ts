/**
 * Part 3 — reconnect storm. N real softphone cores (two generator processes)
 * are connected; some calls are completed, some answered and kept up, some
 * left ringing. The server gets SIGTERM (graceful drain) and a new process
 * starts on the same port and data dir. Measured: seconds from SIGTERM until
 * every core is connected and synced again, devices that never came back,
 * and — after the kept calls are hung up and the server has stopped — history
 * records missing from the database (every call must have exactly one record
 * per participant).
 * Baseline: N bare socket.io clients with the core's backoff policy against a
 * bare socket.io server restarted the same way (what the backoff alone costs).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { seedUsers, type SeededDevice } from '../lib/seed.js';
import { cpuMs } from '../lib/proc.js';
import { freePort, ServerUnderTest, type ServerKind } from '../lib/server-process.js';
import { round, sleep } from '../lib/stats.js';
import type { BenchPart, PartContext, StormCurvePoint } from '../lib/types.js';
import { chunk, WorkerHost } from '../lib/worker-host.js';

type Kind = 'complete' | 'keep' | 'ring';
interface PlacedCall {
  callId: string;
  caller: number;
  callee: number;
}

const GENERATORS = 2;

interface Storm {
  seconds: number;
  secondsAfterReady: number;
  restartSeconds: number;
  /** SIGTERM → old process exited (graceful drain). */
  drainSeconds: number;
  /** New process spawned → answering its health check. */
  startupSeconds: number;
  lost: number;
  curve: StormCurvePoint[];
  /** CPU the new server process spent from its start until the last device was back (s). */
  serverCpuSeconds: number;
  /** CPU the generator processes spent from SIGTERM until the last device was back (s). */
  generatorCpuSeconds: number;
}

/** Cumulative re-registrations over time (at most ~60 points). */
function curveOf(times: number[], t0: number): StormCurvePoint[] {
  const rel = times.map((t) => (t - t0) / 1_000).sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(rel.length / 60));
  const out: StormCurvePoint[] = [{ t: 0, registered: 0 }];
  if (rel.length > 0) out.push({ t: round(rel[0]!, 3), registered: 0 });
  for (let i = step - 1; i < rel.length; i += step) out.push({ t: round(rel[i]!, 3), registered: i + 1 });
  if (rel.length > 0 && out[out.length - 1]!.registered !== rel.length) out.push({ t: round(rel[rel.length - 1]!, 3), registered: rel.length });
  return out;
}

/** SIGTERM, wait for the exit, start a new process on the same port; then wait until all are back. */
async function restartAndWait(
  ctx: PartContext,
  server: ServerUnderTest,
  workers: WorkerHost[],
  total: number,
  start: () => Promise<ServerUnderTest>,
): Promise<Storm & { server: ServerUnderTest }> {
  await Promise.all(workers.map((w) => w.request('arm')));
  const genCpu0 = workers.reduce((a, w) => a + cpuMs(w.pid), 0);
  const t0 = Date.now();
  await server.stop();
  const tExit = Date.now();
  const next = await start();
  const deadline = Date.now() + ctx.sizes.storm.timeoutSec * 1_000;
  let times: number[] = [];
  for (;;) {
    const statuses = await Promise.all(workers.map((w) => w.request<{ reregisteredAt: number[] }>('status')));
    times = statuses.flatMap((s) => s.reregisteredAt);
    if (times.length >= total || Date.now() > deadline) break;
    await sleep(50);
  }
  const serverCpuSeconds = cpuMs(next.pid) / 1_000;
  const generatorCpuSeconds = (workers.reduce((a, w) => a + cpuMs(w.pid), 0) - genCpu0) / 1_000;
  const last = times.length > 0 ? Math.max(...times) : NaN;
  const startupMs = Number.isFinite(next.listeningMs) ? next.listeningMs : next.startupMs;
  return {
    server: next,
    seconds: round((last - t0) / 1_000, 3),
    secondsAfterReady: round((last - (tExit + startupMs)) / 1_000, 3),
    restartSeconds: round((tExit - t0 + startupMs) / 1_000, 3),
    drainSeconds: round((tExit - t0) / 1_000, 3),
    startupSeconds: round(startupMs / 1_000, 3),
    lost: total - times.length,
    curve: curveOf(times, t0),
    serverCpuSeconds: round(serverCpuSeconds, 2),
    generatorCpuSeconds: round(generatorCpuSeconds, 2),
  };
}

async function stormOfCores(ctx: PartContext, dataDir: string, seeded: SeededDevice[]) {
  const s = ctx.sizes.storm;
  const port = await freePort();
  const startServer = (label: string) =>
    ServerUnderTest.start(ctx.build, {
      kind: 'app',
      port,
      dataDir,
      env: ctx.serverEnv,
      logFile: path.join(ctx.runDir, `storm-app-${label}.log`),
      // --profile: the restarted server's profile shows what re-registering everyone costs.
      cpuProfDir: ctx.profile && label === '2' ? path.join(ctx.profileDir, 'storm') : undefined,
    });
  let server = await startServer('1');
  const groups = chunk(seeded, GENERATORS);
  const workers = groups.map((_, i) => WorkerHost.start(`storm-phones-${i}`, ctx.build.workers.phones));
  const placed: { worker: number; kind: Kind; call: PlacedCall }[] = [];
  let result: Storm | undefined;
  try {
    const t = performance.now();
    const started = await Promise.all(
      groups.map((phones, i) =>
        workers[i]!.request<{ registered: number }>('start', { url: server.url, phones, concurrency: 50, timeoutMs: 60_000 }),
      ),
    );
    const up = started.reduce((a, r) => a + r.registered, 0);
    if (up !== seeded.length) throw new Error(`only ${up} of ${seeded.length} cores registered before the storm`);
    ctx.log(`storm: ${up} cores connected and synced in ${((performance.now() - t) / 1_000).toFixed(1)} s`);

    // Calls: consecutive phone pairs (2i, 2i+1) of each generator, split over the generators.
    const want: Kind[] = [
      ...Array<Kind>(s.completedBefore).fill('complete'),
      ...Array<Kind>(s.answeredAcross).fill('keep'),
      ...Array<Kind>(s.ringingAtRestart).fill('ring'),
    ];
    const pairsPer: [number, number, Kind][][] = groups.map(() => []);
    want.forEach((kind, i) => {
      const g = i % groups.length;
      const n = pairsPer[g]!.length;
      if (2 * n + 1 >= groups[g]!.length) throw new Error('not enough devices for the storm calls');
      pairsPer[g]!.push([2 * n, 2 * n + 1, kind]);
    });
    // Completed calls first (their records must already be durable), then the ones that stay open.
    for (const kinds of [['complete'], ['keep', 'ring']] as Kind[][]) {
      const res = await Promise.all(
        workers.map((w, g) =>
          w.request<Record<Kind, PlacedCall[]>>('calls', { pairs: pairsPer[g]!.filter((p) => kinds.includes(p[2])), timeoutMs: 30_000 }),
        ),
      );
      res.forEach((r, g) => {
        for (const kind of kinds) for (const call of r[kind]) placed.push({ worker: g, kind, call });
      });
    }
    ctx.log(`storm: ${placed.length} calls placed (${want.length} wanted); restarting the server`);

    const storm = await restartAndWait(ctx, server, workers, seeded.length, () => startServer('2'));
    server = storm.server;
    result = storm;
    ctx.log(`storm: ${seeded.length - storm.lost} of ${seeded.length} back in ${storm.seconds} s (server restart ${storm.restartSeconds} s)`);

    const kept = placed.filter((p) => p.kind === 'keep');
    const hung = await Promise.all(
      workers.map((w, g) =>
        w.request<{ ok: number; failures: string[] }>('hangup', { calls: kept.filter((p) => p.worker === g).map((p) => p.call), timeoutMs: 30_000 }),
      ),
    );
    const hungUp = hung.reduce((a, h) => a + h.ok, 0);
    if (hungUp !== kept.length) ctx.log(`storm: only ${hungUp} of ${kept.length} kept calls hung up: ${hung.flatMap((h) => h.failures).join('; ')}`);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
  if (!result) throw new Error('the storm did not run');
  return { storm: result, placed, groups };
}

/** Reads the database of the stopped server: records per call, and their outcomes. */
function verifyRecords(dataDir: string, placed: { worker: number; kind: Kind; call: PlacedCall }[], groups: SeededDevice[][]) {
  const db = new Database(path.join(dataDir, 'softphone.db'), { readonly: true });
  try {
    const q = db.prepare('SELECT user_id, outcome FROM history WHERE call_id = ?');
    let lost = 0;
    let wrong = 0;
    for (const p of placed) {
      const caller = groups[p.worker]![p.call.caller]!;
      const callee = groups[p.worker]![p.call.callee]!;
      const rows = q.all(p.call.callId) as { user_id: string; outcome: string }[];
      const expected = p.kind === 'ring' ? 'failed' : 'completed';
      for (const u of [caller.userId, callee.userId]) {
        const mine = rows.filter((r) => r.user_id === u);
        if (mine.length === 0) lost++;
        else if (mine.length > 1 || mine[0]!.outcome !== expected) wrong++;
      }
      if (rows.length > 2) wrong++;
    }
    return { lost, wrong };
  } finally {
    db.close();
  }
}

async function stormOfBareClients(ctx: PartContext, seeded: SeededDevice[]) {
  const port = await freePort();
  const kind: ServerKind = 'bare';
  const startServer = (label: string) =>
    ServerUnderTest.start(ctx.build, { kind, port, env: ctx.serverEnv, logFile: path.join(ctx.runDir, `storm-bare-${label}.log`) });
  let server = await startServer('1');
  const groups = chunk(seeded, GENERATORS);
  const workers = groups.map((_, i) => WorkerHost.start(`storm-bare-${i}`, ctx.build.workers.leanDevices));
  try {
    await Promise.all(
      groups.map((devices, i) =>
        workers[i]!.request('connect', { url: server.url, devices, heartbeatMs: 30_000, concurrency: 100, reconnect: true }),
      ),
    );
    const storm = await restartAndWait(ctx, server, workers, seeded.length, () => startServer('2'));
    server = storm.server;
    ctx.log(`storm/bare: ${seeded.length - storm.lost} of ${seeded.length} back in ${storm.seconds} s`);
    return storm;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
}

export const reconnectStormPart: BenchPart<'reconnectStorm'> = {
  name: 'storm',
  keys: ['reconnectStorm'],
  async run(ctx) {
    const s = ctx.sizes.storm;
    const dataDir = path.join(ctx.runDir, 'storm-data');
    const seeded = await seedUsers(dataDir, s.devices, 's');
    const { storm, placed, groups } = await stormOfCores(ctx, dataDir, seeded);
    // The server has stopped (database closed, WAL checkpointed): count what is on disk.
    const records = verifyRecords(dataDir, placed, groups);
    ctx.log(`storm: ${placed.length} calls checked in the database: ${records.lost} records missing, ${records.wrong} wrong`);
    const bare = await stormOfBareClients(ctx, seeded);
    const count = (k: Kind) => placed.filter((p) => p.kind === k).length;
    return {
      reconnectStorm: {
        status: 'ok',
        devices: s.devices,
        seconds: storm.seconds,
        secondsAfterReady: storm.secondsAfterReady,
        restartSeconds: storm.restartSeconds,
        drainSeconds: storm.drainSeconds,
        startupSeconds: storm.startupSeconds,
        lostDevices: storm.lost,
        lostRecords: records.lost,
        callsChecked: { completedBefore: count('complete'), answeredAcross: count('keep'), ringingAtRestart: count('ring') },
        wrongOutcomes: records.wrong,
        serverCpuSeconds: storm.serverCpuSeconds,
        generatorCpuSeconds: storm.generatorCpuSeconds,
        baselineSeconds: bare.seconds,
        baselineServerCpuSeconds: bare.serverCpuSeconds,
        baselineLost: bare.lost,
        curve: storm.curve,
        baselineCurve: bare.curve,
      },
    };
  },
};
