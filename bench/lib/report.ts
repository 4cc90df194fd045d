/**
 * Targets, the Markdown table (`latest.md`) and the generated section of
 * docs/performance.md, all computed from the results JSON alone.
 */
import fs from 'node:fs';
import type { BenchResults, TargetCheck } from './types.js';

const num = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : Number(v.toFixed(digits)).toLocaleString('en-US');
const kib = (b: number) => `${num(b / 1024, 1)} KiB`;
const mark = (met: boolean | null) => (met === null ? '⏳ pending' : met ? '✅ met' : '❌ not met');

export function evaluateTargets(r: BenchResults): TargetCheck[] {
  const out: TargetCheck[] = [];
  const i = r.idle;
  out.push({
    id: 'idle-memory',
    label: 'Memory per idle device vs bare socket.io',
    target: '≤ 1.3×',
    value: i.status === 'ok' ? `${num(i.ratio, 2)}× (${kib(i.bytesPerDevice)} vs ${kib(i.baselineBytesPerDevice)})` : i.status,
    met: i.status === 'ok' ? i.ratio <= 1.3 : false,
  });
  out.push({
    id: 'idle-heap',
    label: 'JS heap per idle device vs bare socket.io (same target, stricter view)',
    target: '≤ 1.3×',
    value: i.status === 'ok' ? `${num(i.heapRatio, 2)}× (${kib(i.heapBytesPerDevice)} vs ${kib(i.baselineHeapBytesPerDevice)})` : i.status,
    met: i.status === 'ok' ? i.heapRatio <= 1.3 : false,
  });
  const c = r.callSetup;
  out.push({
    id: 'call-p99-ratio',
    label: 'Call-setup p99 vs bare round trip at 200 calls/s',
    target: '≤ 1.5×',
    value:
      c.status === 'ok'
        ? `${num(c.p99RatioAt200, 2)}× (${num(c.rates.find((x) => x.rate === 200)?.p99Ms, 2)} vs ${num(c.rates.find((x) => x.rate === 200)?.baselineP99Ms, 2)} ms)`
        : c.status,
    met: c.status === 'ok' ? Number.isFinite(c.p99RatioAt200) && c.p99RatioAt200 <= 1.5 : false,
  });
  out.push({
    id: 'call-rate',
    label: 'Call setups per second with p99 < 50 ms',
    target: '≥ 1 000/s',
    value: c.status === 'ok' ? `${num(c.maxRateP99Under50Ms, 0)}/s` : c.status,
    met: c.status === 'ok' ? c.maxRateP99Under50Ms >= 1_000 : false,
  });
  const s = r.reconnectStorm;
  out.push({
    id: 'storm',
    label: 'Reconnect storm: all devices re-registered, nothing lost',
    target: '2 000 devices in ≤ 5 s, 0 lost',
    value:
      s.status === 'ok'
        ? `${num(s.devices, 0)} devices in ${num(s.seconds, 2)} s, ${s.lostDevices} devices / ${s.lostRecords} records lost`
        : s.status,
    met: s.status === 'ok' ? s.seconds <= 5 && s.lostDevices === 0 && s.lostRecords === 0 && s.wrongOutcomes === 0 : false,
  });
  const k = r.idleCore;
  out.push({
    id: 'idle-core',
    label: 'Idle softphone core',
    target: '≤ 3 wake-ups and ≤ 20 ms CPU per minute',
    value: k.status === 'ok' ? `${num(k.wakeupsPerMin, 2)} wake-ups, ${num(k.cpuMsPerMin, 1)} ms CPU per minute` : k.status,
    met: k.status === 'ok' ? k.wakeupsPerMin <= 3 && k.cpuMsPerMin <= 20 : false,
  });
  for (const [key, label] of [
    ['timeToRing', 'Time to ring (real Chromium)'],
    ['timeToAudio', 'Time to audio (real Chromium)'],
    ['push', 'Push wake-up latency'],
  ] as const) {
    const v = r[key];
    out.push({
      id: key,
      label,
      target: 'no target set yet',
      value: v.status === 'ok' ? ('p99Ms' in v ? `p99 ${num(v.p99Ms, 1)} ms` : `median ${num(v.medianMs, 1)} ms, p95 ${num(v.p95Ms, 1)} ms`) : v.status,
      met: null,
    });
  }
  return out;
}

function mainTable(r: BenchResults): string[] {
  const rows: string[] = [
    '| Part | Measure | Ours | Baseline (same run) | Ratio | Target | Status |',
    '|---|---|---|---|---|---|---|',
  ];
  const t = (id: string) => r.targets.find((x) => x.id === id);
  const i = r.idle;
  if (i.status === 'ok') {
    rows.push(
      `| 1 Idle devices (${num(i.devices, 0)}) | RSS per device | ${kib(i.bytesPerDevice)} | ${kib(i.baselineBytesPerDevice)} bare socket.io | ${num(i.ratio, 2)}× | ≤ 1.3× | ${mark(t('idle-memory')!.met)} |`,
      `| | JS heap per device (after gc) | ${kib(i.heapBytesPerDevice)} | ${kib(i.baselineHeapBytesPerDevice)} | ${num(i.heapRatio, 2)}× | ≤ 1.3× | ${mark(t('idle-heap')!.met)} |`,
      `| | Server CPU while idle (${i.idleWindowSec} s window) | ${num(i.idleCpuPercent, 2)} % of a core | ${num(i.baselineIdleCpuPercent, 2)} % | ${num(i.idleCpuPercent / i.baselineIdleCpuPercent, 2)}× | | |`,
    );
  } else rows.push(`| 1 Idle devices | | ${i.status} | | | | ❌ |`);
  const c = r.callSetup;
  if (c.status === 'ok') {
    for (const x of c.rates) {
      const label = x.rate === 200 ? `p50 / p99 invite→ring (answer p99) · **200/s**` : `p50 / p99 invite→ring (answer p99)`;
      const status = x.rate === 200 ? mark(t('call-p99-ratio')!.met) : '';
      rows.push(
        `| 2 Call setup @ ${num(x.rate, 0)}/s | ${label} | ${num(x.p50Ms, 2)} / ${num(x.p99Ms, 2)} ms (${num(x.answerP99Ms, 2)}) | ${num(x.baselineP50Ms, 2)} / ${num(x.baselineP99Ms, 2)} ms round trip | ${num(x.p99Ms / x.baselineP99Ms, 2)}× | ${x.rate === 200 ? '≤ 1.5× at 200/s' : ''} | ${status} |`,
      );
    }
    rows.push(
      `| 2 Call setup | highest rate with p99 < 50 ms | ${num(c.maxRateP99Under50Ms, 0)}/s | | | ≥ 1 000/s | ${mark(t('call-rate')!.met)} |`,
    );
  } else rows.push(`| 2 Call setup | | ${c.status} | | | | ❌ |`);
  const s = r.reconnectStorm;
  if (s.status === 'ok') {
    rows.push(
      `| 3 Reconnect storm (${num(s.devices, 0)} cores) | SIGTERM → all connected + synced | ${num(s.seconds, 2)} s | ${num(s.baselineSeconds, 2)} s bare socket.io, same backoff | ${num(s.seconds / s.baselineSeconds, 2)}× | ≤ 5 s | ${mark(t('storm')!.met)} |`,
      `| | devices lost / history records lost | ${s.lostDevices} / ${s.lostRecords} | ${s.baselineLost} / – | | 0 / 0 | |`,
      `| | of which: drain (SIGTERM → exit) + new process ready | ${num(s.drainSeconds, 2)} s + ${num(s.startupSeconds, 2)} s | | | | |`,
      `| | CPU to re-register everyone: server / cores | ${num(s.serverCpuSeconds, 2)} s / ${num(s.generatorCpuSeconds, 2)} s | ${num(s.baselineServerCpuSeconds, 2)} s bare server | | | |`,
    );
  } else rows.push(`| 3 Reconnect storm | | ${s.status} | | | | ❌ |`);
  for (const [key, label] of [
    ['timeToRing', '4 Time to ring'],
    ['timeToAudio', '4 Time to audio'],
  ] as const) {
    const v = r[key];
    rows.push(
      v.status === 'ok'
        ? `| ${label} | median / p95 | ${num(v.medianMs, 1)} / ${num(v.p95Ms, 1)} ms | | | | |`
        : `| ${label} | | ${v.status}${v.status === 'pending' ? ` (${v.reason})` : ''} | | | | ⏳ |`,
    );
  }
  const k = r.idleCore;
  if (k.status === 'ok') {
    rows.push(
      `| 5 Idle core (${num(k.windowSec, 0)} s) | timer wake-ups per minute | ${num(k.wakeupsPerMin, 2)} | ${num(k.baselineWakeupsPerMin, 2)} bare socket.io-client | | ≤ 3 | ${mark(t('idle-core')!.met)} |`,
      `| | CPU per minute | ${num(k.cpuMsPerMin, 1)} ms | ${num(k.baselineCpuMsPerMin, 1)} ms | ${num(k.cpuMsPerMin / k.baselineCpuMsPerMin, 1)}× | ≤ 20 ms | |`,
    );
  } else rows.push(`| 5 Idle core | | ${k.status} | | | | ❌ |`);
  const p = r.push;
  rows.push(
    p.status === 'ok'
      ? `| 6 Push | p99 | ${num(p.p99Ms, 1)} ms | | | | |`
      : `| 6 Push | | ${p.status}${p.status === 'pending' ? ` (${p.reason})` : ''} | | | | ⏳ |`,
  );
  return rows;
}

/** Other work on the machine distorts timings: say how busy it was. */
function loadLine(r: BenchResults): string {
  const parts = Object.entries(r.load ?? {});
  if (parts.length === 0) return '';
  const worst = Math.max(...parts.flatMap(([, l]) => [l.before.cpuPressureAvg60 ?? 0, l.after.cpuPressureAvg60 ?? 0]));
  const detail = parts.map(([name, l]) => `${name} ${num(l.before.loadAvg1, 1)}→${num(l.after.loadAvg1, 1)}`).join(', ');
  const warn =
    worst > 40
      ? ` **Other processes competed for the CPUs during this run (CPU pressure up to ${num(worst, 0)} %): latencies and times are inflated; CPU-time figures (CPU per call, CPU to re-register) are the comparable ones.**`
      : worst > 10
        ? ` Some other load was present (CPU pressure up to ${num(worst, 0)} %).`
        : '';
  return `Machine load (1-min load average before→after each part): ${detail}.${warn}`;
}

function callTable(r: BenchResults): string[] {
  const c = r.callSetup;
  if (c.status !== 'ok') return [];
  const rows = [
    '| offered/s | placed/s | ring p50 | ring p99 | answer p50 | answer p99 | hangup p99 | bare RTT p50 | bare RTT p99 | server CPU | server CPU per call | generators’ CPU per call | bare server CPU per RTT | errors | unfinished | skipped |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of c.rates) {
    rows.push(
      `| ${x.rate} | ${num(x.achievedRate, 0)} | ${num(x.p50Ms, 2)} | ${num(x.p99Ms, 2)} | ${num(x.answerP50Ms, 2)} | ${num(x.answerP99Ms, 2)} | ${num(x.hangupP99Ms, 2)} | ${num(x.baselineP50Ms, 2)} | ${num(x.baselineP99Ms, 2)} | ${num(x.serverCpuPercent, 0)} % | ${num(x.serverCpuMsPerCall, 2)} ms | ${num(x.generatorCpuMsPerCall, 2)} ms | ${num(x.baselineCpuMsPerRoundTrip, 3)} ms | ${x.errors} | ${x.unfinished} | ${x.skipped} |`,
    );
  }
  if (c.stoppedAfterRate !== null) rows.push('', `Higher rates were not run: ${c.stoppedAfterRate}/s already saturated the server.`);
  return rows;
}

/** The body shared by latest.md and docs/performance.md (no top-level title). */
export function resultsMarkdown(r: BenchResults, imagePrefix: string): string {
  const m = r.machine;
  const lines = [
    `Run: \`${r.command}\` (${r.mode} mode), ${r.generatedAt}, ${num(r.durationSec, 0)} s.`,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, ${m.platform}, Linux ${m.kernel}, Node ${m.node}, open-file limit ${m.nofileLimit}.`,
    loadLine(r),
    '',
    ...mainTable(r),
    '',
    '**Call setup per rate** (ms; ring = invite → callee’s `call:incoming`, answer = accept → caller’s `call:answered`, hangup = hangup → ack after both history records are committed)',
    '',
    ...callTable(r),
  ];
  const k = r.idleCore;
  if (k.status === 'ok' && k.wakeupSources.length > 0) {
    lines.push('', '**Idle core: where the timer wake-ups came from**', '', '| fired | created at |', '|---|---|');
    for (const w of k.wakeupSources.slice(0, 6)) lines.push(`| ${w.count} | \`${w.source.replace(/\|/g, '\\|')}\` |`);
  }
  const plots = [
    ['memory-vs-devices', 'Memory vs devices'],
    ['call-latency-cdf', 'Call setup latency distributions'],
    ['call-latency-vs-rate', 'Call setup latency vs rate'],
    ['reconnect-storm', 'Reconnect storm'],
  ];
  lines.push('', ...plots.map(([f, alt]) => `![${alt}](${imagePrefix}${f}.png)`));
  return lines.join('\n');
}

export function latestMarkdown(r: BenchResults): string {
  return `# Benchmark results (latest run)\n\n${resultsMarkdown(r, '')}\n`;
}

const START = '<!-- bench:latest:start -->';
const END = '<!-- bench:latest:end -->';

/** Replaces the generated block of docs/performance.md (between the markers) with this run. */
export function updatePerformanceDoc(file: string, r: BenchResults): boolean {
  if (!fs.existsSync(file)) return false;
  const doc = fs.readFileSync(file, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) return false;
  const body = `${START}\n<!-- Generated by \`npm run bench\`; edits here are overwritten. -->\n\n${resultsMarkdown(r, '../bench/results/')}\n\n${END}`;
  fs.writeFileSync(file, doc.slice(0, a) + body + doc.slice(b + END.length));
  return true;
}
