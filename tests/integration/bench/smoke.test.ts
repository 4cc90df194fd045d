/**
 * Smoke test of the benchmark pipeline (not a benchmark): `bench/run.ts --smoke`
 * with tiny sizes and short windows, output to a temp dir. Checks that every
 * part runs against real servers and real clients and that latest.json has
 * the agreed shape (docs/performance.md), including part 4 (real Chromium
 * calls between the desktop harness and the web softphone, with audio both
 * ways) and part 6 (pushes through the APNs and FCM stand-ins).
 * The figures of a smoke run mean nothing and are not checked.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../../helpers/server.js';

const num = z.number();
const milestone = z.object({ step: z.string().min(1), medianMs: num, p95Ms: num, count: z.number().int().positive() });
/** Part 4's figures: every measured call completed (ring and audio both ways). */
const callPercentiles = z.object({
  status: z.literal('ok'),
  medianMs: num.positive(),
  p95Ms: num.positive(),
  calls: z.number().int().positive(),
  samplesMs: z.array(num.positive()).min(1),
  breakdown: z.array(milestone).min(3),
});
const memoryPoint = z.object({ devices: num, rssBytes: num, heapUsedBytes: num });
const latency = z.object({ count: num, p50Ms: num, p99Ms: num, cdf: z.array(z.tuple([num, num])) });

/** One provider of part 6: every push arrived. */
const pushProvider = z.object({ invites: z.number().int().positive(), p50Ms: num, p99Ms: num, missing: z.literal(0), latency });

/** The shape named in the task; parts may add fields. */
const LatestJson = z.object({
  machine: z.object({ cpus: z.number().int().positive(), node: z.string().regex(/^v\d+\./) }),
  quick: z.boolean(),
  idle: z.object({
    status: z.literal('ok'),
    devices: z.number().int().positive(),
    bytesPerDevice: num,
    baselineBytesPerDevice: num,
    ratio: num,
    idleCpuPercent: num,
    memory: z.array(memoryPoint).min(2),
    baselineMemory: z.array(memoryPoint).min(2),
  }),
  callSetup: z.object({
    status: z.literal('ok'),
    rates: z
      .array(
        z.object({ rate: num, p50Ms: num, p99Ms: num, baselineP99Ms: num, answerP99Ms: num, ring: latency, baseline: latency }),
      )
      .min(1),
    maxRateP99Under50Ms: num,
    p99RatioAt200: num,
  }),
  reconnectStorm: z.object({
    status: z.literal('ok'),
    devices: z.number().int().positive(),
    seconds: num,
    lostDevices: z.number().int().nonnegative(),
    lostRecords: z.number().int().nonnegative(),
    baselineSeconds: num,
  }),
  timeToRing: callPercentiles.extend({ failedCalls: z.literal(0), fromClickMedianMs: num.positive() }),
  timeToAudio: callPercentiles.extend({ calleeMedianMs: num.positive() }),
  idleCore: z.object({ status: z.literal('ok'), wakeupsPerMin: num, cpuMsPerMin: num, baselineWakeupsPerMin: num }),
  push: z.object({
    status: z.literal('ok'),
    p99Ms: num.positive(),
    p50Ms: num.positive(),
    apns: pushProvider.extend({ provider: z.literal('apns') }),
    fcm: pushProvider.extend({ provider: z.literal('fcm') }),
  }),
  agentTimers: z.object({
    status: z.literal('ok'),
    agents: z.number().int().positive(),
    rona: z.object({ count: z.number().int().positive(), p50Ms: num, maxMs: num }),
    wrapUp: z.object({ count: z.number().int().positive(), p50Ms: num, maxMs: num }),
    pingP50Ms: num,
  }),
  queueLoad: z.object({
    status: z.literal('ok'),
    agents: z.number().int().positive(),
    counts: z.object({ placed: z.number().int().positive(), answered: z.number().int().nonnegative() }),
    offerSurvivor: latency,
    baseline: latency,
    invariantsHeld: z.boolean(),
  }),
  targets: z.array(z.object({ id: z.string(), met: z.boolean().nullable() })).min(5),
});

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench (smoke mode)', () => {
  it('runs every part against real servers and writes latest.json of the agreed shape, latest.md and PNG plots', async () => {
    const out = tempDir('softphone-bench-smoke-');
    const { code, output } = await runBench(['--smoke', '--out', out]);
    expect(code, output).toBe(0);

    const json: unknown = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
    const parsed = LatestJson.safeParse(json);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 5), null, 2)).toBe(true);
    const r = parsed.data!;
    expect(r.quick).toBe(true);
    // Nothing may be lost, whatever the size: every call of the storm has both records.
    expect(r.reconnectStorm.lostDevices).toBe(0);
    expect(r.reconnectStorm.lostRecords).toBe(0);

    const md = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
    expect(md).toContain('| Part | Measure | Ours | Baseline (same run) |');
    for (const png of ['memory-vs-devices', 'call-latency-cdf', 'call-latency-vs-rate', 'reconnect-storm', 'ring-audio-push-latency']) {
      const bytes = fs.readFileSync(path.join(out, `${png}.png`));
      // A real PNG (signature), not an empty file.
      expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(bytes.length).toBeGreaterThan(5_000);
    }
    fs.rmSync(out, { recursive: true, force: true });
    // Part 8 starts Redis, PostgreSQL and two nodes, and kills one (about 20 s of the budget).
  }, 240_000);
});
