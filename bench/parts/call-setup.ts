/**
 * Part 2 — call setup under load. Calls are offered at increasing rates
 * between random free device pairs (open loop, two generator processes);
 * each is answered at once and hung up, so every call writes its journal rows
 * and two history records (durable, fsync'd). Measured per rate:
 * invite → callee's `call:incoming`, accept → caller's `call:answered`.
 * Baseline: a bare socket.io request/ack round trip at the same rate, from
 * the same number of devices in the same generator processes.
 */
import path from 'node:path';
import { seedUsers, type SeededDevice } from '../lib/seed.js';
import { cpuMs } from '../lib/proc.js';
import { freePort, ServerUnderTest, type ServerKind } from '../lib/server-process.js';
import { round, sleep, summarize } from '../lib/stats.js';
import type { BenchPart, CallRate, LatencySummary, PartContext } from '../lib/types.js';
import { chunk, WorkerHost } from '../lib/worker-host.js';

const GENERATORS = 2;
export const P99_LIMIT_MS = 50;

interface RunResult {
  placed: number;
  skipped: number;
  offeredMs: number;
  errors: number;
  errorCodes: Record<string, number>;
  unfinished: number;
  ring: number[];
  answer: number[];
  hangup: number[];
  rtt: number[];
  loopDelayP99Ms: number;
}

interface RateOutcome {
  rate: number;
  achievedRate: number;
  ring: LatencySummary;
  answer: LatencySummary;
  hangup: LatencySummary;
  rtt: LatencySummary;
  errors: number;
  errorCodes: Record<string, number>;
  unfinished: number;
  skipped: number;
  cpuPercent: number;
  cpuMs: number;
  generatorCpuMs: number;
  generatorLoopDelayP99Ms: number;
}

/** A rate is saturated when the server clearly cannot keep up; higher rates are not worth running. */
function saturated(o: RateOutcome, kind: ServerKind): boolean {
  const p99 = kind === 'app' ? Math.max(o.ring.p99Ms, o.answer.p99Ms) : o.rtt.p99Ms;
  return p99 > 1_000 || o.unfinished > 0 || o.skipped > 0;
}

async function runRates(
  ctx: PartContext,
  kind: ServerKind,
  dataDir: string,
  seeded: SeededDevice[],
  rates: number[],
): Promise<RateOutcome[]> {
  const { windowSec, warmupSec } = ctx.sizes.callSetup;
  const server = await ServerUnderTest.start(ctx.build, {
    kind,
    port: await freePort(),
    dataDir: kind === 'app' ? dataDir : undefined,
    env: ctx.serverEnv,
    logFile: path.join(ctx.runDir, `calls-${kind}.log`),
    cpuProfDir: ctx.profile && kind === 'app' ? ctx.profileDir : undefined,
  });
  const workers = Array.from({ length: GENERATORS }, (_, i) => WorkerHost.start(`calls-${kind}-${i}`, ctx.build.workers.callLoad));
  const out: RateOutcome[] = [];
  try {
    await Promise.all(
      chunk(seeded, GENERATORS).map((devices, i) => workers[i]!.request('connect', { url: server.url, devices, mode: kind })),
    );
    const runAll = (rate: number, durationMs: number, record: boolean) =>
      Promise.all(
        workers.map((w) =>
          w.request<RunResult>('run', { rate: rate / GENERATORS, durationMs, drainMs: ctx.mode === 'smoke' ? 3_000 : 10_000, record }),
        ),
      );
    await runAll(rates[0]!, warmupSec * 1_000, false);
    for (const rate of rates) {
      await sleep(ctx.mode === 'smoke' ? 100 : 750);
      const cpu = server.cpuWindow();
      const gen0 = workers.reduce((a, w) => a + cpuMs(w.pid), 0);
      const results = await runAll(rate, windowSec * 1_000, true);
      const generatorCpuMs = workers.reduce((a, w) => a + cpuMs(w.pid), 0) - gen0;
      const cpuPercent = cpu.percent();
      const cpuUsedMs = cpu.usedMs();
      const merged = (k: 'ring' | 'answer' | 'hangup' | 'rtt') => results.flatMap((r) => r[k]);
      const errorCodes: Record<string, number> = {};
      for (const r of results) for (const [k, v] of Object.entries(r.errorCodes)) errorCodes[k] = (errorCodes[k] ?? 0) + v;
      const placed = results.reduce((s, r) => s + r.placed, 0);
      const o: RateOutcome = {
        rate,
        achievedRate: round(placed / windowSec, 1),
        ring: summarize(merged('ring')),
        answer: summarize(merged('answer')),
        hangup: summarize(merged('hangup')),
        rtt: summarize(merged('rtt')),
        errors: results.reduce((s, r) => s + r.errors, 0),
        errorCodes,
        unfinished: results.reduce((s, r) => s + r.unfinished, 0),
        skipped: results.reduce((s, r) => s + r.skipped, 0),
        cpuPercent: round(cpuPercent, 1),
        cpuMs: cpuUsedMs,
        generatorCpuMs,
        generatorLoopDelayP99Ms: round(Math.max(...results.map((r) => r.loopDelayP99Ms)), 1),
      };
      out.push(o);
      const lat = kind === 'app' ? `ring p50 ${o.ring.p50Ms} p99 ${o.ring.p99Ms} ms, answer p99 ${o.answer.p99Ms} ms` : `rtt p50 ${o.rtt.p50Ms} p99 ${o.rtt.p99Ms} ms`;
      ctx.log(
        `calls/${kind}: ${rate}/s offered, ${o.achievedRate}/s placed: ${lat}, cpu ${o.cpuPercent} %, errors ${o.errors}, unfinished ${o.unfinished}, skipped ${o.skipped}`,
      );
      if (saturated(o, kind)) break;
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
  return out;
}

export const callSetupPart: BenchPart<'callSetup'> = {
  name: 'calls',
  keys: ['callSetup'],
  async run(ctx) {
    const { devices, rates, windowSec } = ctx.sizes.callSetup;
    const dataDir = path.join(ctx.runDir, 'calls-data');
    const seeded = await seedUsers(dataDir, devices, 'c');
    const app = await runRates(ctx, 'app', dataDir, seeded, rates);
    const bare = await runRates(ctx, 'bare', dataDir, seeded, app.map((o) => o.rate));
    const rows: CallRate[] = app.map((o) => {
      const b = bare.find((x) => x.rate === o.rate);
      return {
        rate: o.rate,
        achievedRate: o.achievedRate,
        p50Ms: o.ring.p50Ms,
        p99Ms: o.ring.p99Ms,
        baselineP50Ms: b?.rtt.p50Ms ?? NaN,
        baselineP99Ms: b?.rtt.p99Ms ?? NaN,
        answerP50Ms: o.answer.p50Ms,
        answerP99Ms: o.answer.p99Ms,
        hangupP99Ms: o.hangup.p99Ms,
        errors: o.errors,
        errorCodes: o.errorCodes,
        unfinished: o.unfinished,
        skipped: o.skipped,
        serverCpuPercent: o.cpuPercent,
        baselineServerCpuPercent: b?.cpuPercent ?? NaN,
        serverCpuMsPerCall: round(o.cpuMs / Math.max(1, o.ring.count), 3),
        baselineCpuMsPerRoundTrip: b ? round(b.cpuMs / Math.max(1, b.rtt.count), 3) : NaN,
        generatorCpuMsPerCall: round(o.generatorCpuMs / Math.max(1, o.ring.count), 3),
        generatorLoopDelayP99Ms: o.generatorLoopDelayP99Ms,
        ring: o.ring,
        answer: o.answer,
        baseline: b?.rtt ?? summarize([]),
      };
    });
    const healthy = (r: CallRate) =>
      r.p99Ms < P99_LIMIT_MS && r.answerP99Ms < P99_LIMIT_MS && r.unfinished === 0 && r.skipped === 0 && r.errors === 0;
    const under = rows.filter(healthy).map((r) => r.rate);
    const at200 = rows.find((r) => r.rate === 200);
    const lastRun = app[app.length - 1]?.rate ?? null;
    return {
      callSetup: {
        status: 'ok',
        devices,
        windowSec,
        rates: rows,
        maxRateP99Under50Ms: under.length > 0 ? Math.max(...under) : 0,
        p99RatioAt200: at200 ? round(at200.p99Ms / at200.baselineP99Ms, 3) : NaN,
        stoppedAfterRate: lastRun !== null && lastRun !== rates[rates.length - 1] ? lastRun : null,
        calls: rows.reduce((s, r) => s + r.ring.count, 0),
      },
    };
  },
};
