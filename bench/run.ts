/**
 * Benchmark runner.
 *   npm run bench                    full run (numbers for docs/performance.md)
 *   npm run bench -- --quick         the same parts, smaller, under 4 minutes
 *   npm run bench -- --smoke --out <dir>   tiny sizes; checks the pipeline (npm test)
 * Other flags: --only idle,calls,storm,ring,core,push,agents,queue · --profile (V8 CPU profiles of the
 * server during call setup and of the restarted server in the storm, with the server bundle
 * they refer to, into dist/bench/profiles or <out>/profiles) ·
 * --keep (keep the scratch folder) · --server-entry <file> (build the server under test
 * from another entry, e.g. a patched copy of src/, to A/B a change).
 * Environment: BENCH_TRACE_GC=1 prints the idle core's garbage collections (--trace-gc).
 *
 * Writes <out>/latest.json, <out>/latest.md and PNG plots; with the default output
 * folder (bench/results) and not in smoke mode it also refreshes the generated block
 * of docs/performance.md. Exit code 1 when a part failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBench, removeBuild, REPO_ROOT } from './lib/build.js';
import { installCleanup, killAll } from './lib/children.js';
import { sizesFor, type Mode } from './lib/modes.js';
import { chartsFor, removeStalePngs, renderPngs } from './lib/plots.js';
import { contention, machineInfo, type Contention } from './lib/proc.js';
import { evaluateTargets, latestMarkdown, updatePerformanceDoc } from './lib/report.js';
import type { BenchResults, PartContext, PartResults } from './lib/types.js';
import { PARTS } from './parts/index.js';

/**
 * Rate limits protect production from abuse; here one address places thousands of
 * calls per second and refreshes thousands of sessions at once, so they are raised.
 * LOG_LEVEL stays at the production default (one JSON line per call transition).
 */
export const BENCH_SERVER_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  INVITE_RATE_PER_MINUTE: '1000000',
  SOCKET_EVENTS_PER_SECOND: '1000000',
  LOGIN_RATE_PER_MINUTE: '100000',
};

const DEFAULT_OUT = path.join(REPO_ROOT, 'bench', 'results');

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      out: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      'server-entry': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run bench [-- --quick | --smoke] [--out DIR] [--only idle,calls,storm,ring,core,push,agents,queue] [--profile] [--keep] [--server-entry FILE]',
    );
    return 0;
  }
  const mode: Mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !PARTS.some((p) => p.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`);
  const outDir = path.resolve(values.out ?? DEFAULT_OUT);
  fs.mkdirSync(outDir, { recursive: true });

  installCleanup();
  const started = performance.now();
  const log = (msg: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
  const machine = machineInfo();
  const sizes = sizesFor(mode, machine.nofileLimit);
  if (mode === 'full' && sizes.idle.devices < 20_000) {
    log(`idle part capped at ${sizes.idle.devices} devices: the open-file limit is ${machine.nofileLimit} per process`);
  }
  log(`mode ${mode}; building the server bundle and the load generators`);
  const build = await buildBench(values['server-entry']);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softphone-bench-'));
  // Profiles are large: for the default (committed) output folder they go to git-ignored dist/.
  const profileDir = outDir === DEFAULT_OUT ? path.join(REPO_ROOT, 'dist', 'bench', 'profiles') : path.join(outDir, 'profiles');
  const ctx: PartContext = { mode, sizes, build, runDir, serverEnv: BENCH_SERVER_ENV, profile: !!values.profile, profileDir, log };

  const results: Partial<PartResults> = {};
  const load: Record<string, { before: Contention; after: Contention }> = {};
  let failed = false;
  try {
    for (const part of PARTS) {
      if (only && !only.includes(part.name)) {
        for (const k of part.keys) (results as Record<string, unknown>)[k] = { status: 'skipped' };
        continue;
      }
      const t = performance.now();
      const before = contention();
      log(`part ${part.name}: start (load ${before.loadAvg1}, cpu pressure ${before.cpuPressureAvg60 ?? '?'} %)`);
      try {
        Object.assign(results, await part.run(ctx));
        log(`part ${part.name}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      } catch (err) {
        failed = true;
        const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`part ${part.name}: FAILED: ${error}`);
        for (const k of part.keys) (results as Record<string, unknown>)[k] = { status: 'failed', error: error.slice(0, 2_000) };
        killAll();
      }
      load[part.name] = { before, after: contention() };
    }
  } finally {
    if (values.profile) {
      // The profile refers to positions in this bundle: keep it next to the profile.
      fs.mkdirSync(profileDir, { recursive: true });
      fs.cpSync(path.dirname(build.serverCli), path.join(profileDir, 'server'), { recursive: true });
      log(`CPU profiles and the server bundle they refer to: ${profileDir}`);
    }
    removeBuild(build);
    if (values.keep) log(`scratch folder kept: ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  }

  const report: BenchResults = {
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    mode,
    quick: mode !== 'full',
    machine,
    durationSec: Math.round((performance.now() - started) / 1000),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    serverEnv: BENCH_SERVER_ENV,
    sizes,
    load,
    ...(results as PartResults),
    targets: [],
  };
  report.targets = evaluateTargets(report);

  const jsonFile = path.join(outDir, 'latest.json');
  fs.writeFileSync(`${jsonFile}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(`${jsonFile}.tmp`, jsonFile);
  fs.writeFileSync(path.join(outDir, 'latest.md'), latestMarkdown(report));
  const pngs = await renderPngs(chartsFor(report), outDir);
  removeStalePngs(outDir, pngs);
  log(`wrote ${path.relative(process.cwd(), jsonFile)}, latest.md and ${pngs.length} plots`);
  if (outDir === DEFAULT_OUT && mode !== 'smoke') {
    if (updatePerformanceDoc(path.join(REPO_ROOT, 'docs', 'performance.md'), report)) log('updated docs/performance.md');
  }
  for (const t of report.targets) log(`${t.met === null ? 'PENDING' : t.met ? 'MET    ' : 'NOT MET'}  ${t.label}: ${t.value} (target ${t.target})`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
