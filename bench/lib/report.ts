/**
 * Targets, the Markdown table (`latest.md`) and the generated section of
 * docs/performance.md, all computed from the results JSON alone.
 */
import fs from 'node:fs';
import type { BenchResults, QueueLoadResult, TargetCheck } from './types.js';

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
  const ring = r.timeToRing;
  out.push({
    id: 'timeToRing',
    label: 'Time to ring (real Chromium: invite → incoming-call view on screen)',
    target: 'every call ≤ 1 s',
    value:
      ring.status === 'ok'
        ? `median ${num(ring.medianMs, 1)} ms, p95 ${num(ring.p95Ms, 1)} ms, max ${num(ring.maxMs, 1)} ms over ${ring.calls} calls${ring.failedCalls ? `, ${ring.failedCalls} failed` : ''}`
        : ring.status,
    met: ring.status === 'ok' ? ring.maxMs <= 1_000 && ring.failedCalls === 0 : ring.status === 'pending' ? null : false,
  });
  const audio = r.timeToAudio;
  out.push({
    id: 'timeToAudio',
    label: 'Time to audio (real Chromium: accept → caller decodes the callee’s tone)',
    target: 'median ≤ 150 ms on loopback',
    value: audio.status === 'ok' ? `median ${num(audio.medianMs, 1)} ms, p95 ${num(audio.p95Ms, 1)} ms` : audio.status,
    met: audio.status === 'ok' ? audio.medianMs <= 150 : audio.status === 'pending' ? null : false,
  });
  const p = r.push;
  out.push({
    id: 'push',
    label: 'Push wake-up latency (invite → APNs request received)',
    target: 'p99 ≤ 50 ms',
    value:
      p.status === 'ok'
        ? `p99 ${num(p.p99Ms, 1)} ms, median ${num(p.p50Ms, 1)} ms over ${num(p.apns.invites, 0)} invites${p.apns.missing ? `, ${p.apns.missing} missing` : ''}`
        : p.status,
    met: p.status === 'ok' ? p.p99Ms <= 50 && p.apns.missing === 0 : p.status === 'pending' ? null : false,
  });
  const w = r.wallboard;
  out.push({
    id: 'wallboard',
    label: 'Wallboard: agent state change → the supervisor receives the update showing it; updates per second',
    target: 'every change ≤ 1 s, ≤ 4 updates a second',
    value:
      w?.status === 'ok'
        ? `max ${num(w.lateness.maxMs, 0)} ms, p50 ${num(w.lateness.p50Ms, 0)} ms over ${num(w.changes, 0)} changes; at most ${w.maxUpdatesPerSecond} updates in a second`
        : (w?.status ?? 'missing'),
    met: w?.status === 'ok' ? w.neverShown === 0 && w.lateness.count > 0 && w.lateness.maxMs <= 1_000 && w.maxUpdatesPerSecond <= 4 : w?.status === 'skipped' ? null : false,
  });
  const a = r.agentTimers;
  out.push({
    id: 'rona',
    label: 'Missed offer (RONA): offer deadline → the agent is not-ready (missed) on their device',
    target: 'every offer ≤ 100 ms',
    value: a.status === 'ok' ? `max ${num(a.rona.maxMs, 1)} ms, p50 ${num(a.rona.p50Ms, 1)} ms over ${num(a.rona.count, 0)} offers (${a.agents} at once)` : a.status,
    met: a.status === 'ok' ? a.rona.count > 0 && a.rona.maxMs <= 100 : false,
  });
  const q = r.queueLoad;
  const qLabel = q?.status === 'ok' ? `${q.agents} agents, ${num(q.rate, 0)} calls/s for ${q.durationSec} s, 2 nodes, one killed at ${q.killAtSec ?? '–'} s` : '';
  out.push({
    id: 'queue-offer',
    label: `Queue offer latency on the surviving node: call queued with a ready agent → call:incoming (${qLabel || 'queue load'})`,
    target: 'p99 ≤ 50 ms',
    value:
      q?.status === 'ok'
        ? `p99 ${num(q.offerSurvivor.p99Ms, 1)} ms, p50 ${num(q.offerSurvivor.p50Ms, 1)} ms over ${num(q.offerSurvivor.count, 0)} offers (person-to-person ring p99 ${num(q.baseline.p99Ms, 1)} ms)`
        : (q?.status ?? 'missing'),
    met: q?.status === 'ok' ? q.offerSurvivor.count > 0 && q.offerSurvivor.p99Ms <= 50 : q?.status === 'skipped' ? null : false,
  });
  out.push({
    id: 'queue-invariants',
    label: 'Queue under load: no double offer, no lost call, an end reason for every call, one record per participant',
    target: '0 violations',
    value: q?.status === 'ok' ? queueViolations(q) : (q?.status ?? 'missing'),
    met: q?.status === 'ok' ? q.invariantsHeld : q?.status === 'skipped' ? null : false,
  });
  return out;
}

function queueViolations(q: QueueLoadResult): string {
  const bad = Object.entries(q.invariants).filter(([k, v]) => k !== 'examples' && v !== 0);
  const calls = `${num(q.counts.placed, 0)} calls, ${num(q.counts.answered, 0)} answered`;
  return bad.length === 0 ? `none over ${calls}` : `${bad.map(([k, v]) => `${k} ${String(v)}`).join(', ')} (${calls})`;
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
  const ring = r.timeToRing;
  rows.push(
    ring.status === 'ok'
      ? `| 4 Time to ring (${ring.calls} calls${ring.failedCalls ? `, ${ring.failedCalls} failed` : ''}) | median / p95 invite → incoming-call view on screen (max) | ${num(ring.medianMs, 1)} / ${num(ring.p95Ms, 1)} ms (${num(ring.maxMs, 1)}) | from the click on “Call”: ${num(ring.fromClickMedianMs, 1)} / ${num(ring.fromClickP95Ms, 1)} ms | | every call ≤ 1 s | ${mark(t('timeToRing')!.met)} |`
      : `| 4 Time to ring | | ${ring.status}${ring.status === 'pending' ? ` (${ring.reason})` : ''} | | | | ${ring.status === 'pending' ? '⏳' : '❌'} |`,
  );
  const audio = r.timeToAudio;
  rows.push(
    audio.status === 'ok'
      ? `| 4 Time to audio (${audio.calls} calls) | median / p95 accept → caller decodes the callee’s tone | ${num(audio.medianMs, 1)} / ${num(audio.p95Ms, 1)} ms | other way (callee hears the caller): ${num(audio.calleeMedianMs, 1)} / ${num(audio.calleeP95Ms, 1)} ms | | median ≤ 150 ms | ${mark(t('timeToAudio')!.met)} |`
      : `| 4 Time to audio | | ${audio.status}${audio.status === 'pending' ? ` (${audio.reason})` : ''} | | | | ${audio.status === 'pending' ? '⏳' : '❌'} |`,
  );
  if (audio.status === 'ok') {
    const h = audio.harnessHopsMs;
    rows.push(
      `| | of which the desktop’s host ↔ page hops (median; DevTools protocol in the harness, IPC in the app) | ${num(h.totalMedianMs, 1)} ms | each (median): snapshot ${num(h.snapshotMedianMs, 1)}, offer ${num(h.offerMedianMs, 1)}, answer ${num(h.answerMedianMs, 1)} ms | | | |`,
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
  if (p.status === 'ok') {
    for (const x of [p.apns, p.fcm]) {
      if (!x) continue;
      const isTarget = x.provider === 'apns';
      rows.push(
        `| 6 Push, ${x.provider === 'apns' ? 'APNs' : 'FCM'} (${num(x.invites, 0)} invites${x.missing ? `, ${x.missing} missing` : ''}) | p50 / p99 invite → stand-in receives the push (max) | ${num(x.p50Ms, 2)} / ${num(x.p99Ms, 2)} ms (${num(x.maxMs, 1)}) | invite ack p50 / p99: ${num(x.inviteAckP50Ms, 2)} / ${num(x.inviteAckP99Ms, 2)} ms | | ${isTarget ? 'p99 ≤ 50 ms' : ''} | ${isTarget ? mark(t('push')!.met) : ''} |`,
      );
    }
  } else {
    rows.push(`| 6 Push | | ${p.status}${p.status === 'pending' ? ` (${p.reason})` : ''} | | | | ${p.status === 'pending' ? '⏳' : '❌'} |`);
  }
  const w = r.wallboard;
  if (w?.status === 'ok') {
    rows.push(
      `| 9 Wallboard (${w.agents} agents in ${w.queues} queues, ${num(w.rate, 0)} changes/s) | agent change → update on the supervisor's device, p50 / p99 (max) | ${num(w.lateness.p50Ms, 0)} / ${num(w.lateness.p99Ms, 0)} ms (${num(w.lateness.maxMs, 0)}) | ping round trip p50 ${num(w.pingP50Ms, 2)} ms | | every change ≤ 1 s | ${mark(t('wallboard')!.met)} |`,
      `| | updates received / most in any second / changes never shown | ${num(w.updates, 0)} / ${w.maxUpdatesPerSecond} / ${w.neverShown} | | | ≤ 4 a second | |`,
    );
  } else if (w) rows.push(`| 9 Wallboard | | ${w.status} | | | | ${w.status === 'skipped' ? '' : '❌'} |`);
  const a = r.agentTimers;
  if (a.status === 'ok') {
    rows.push(
      `| 7 Agent timers (${a.agents} agents × ${a.rounds} rounds) | RONA: offer deadline → not-ready (missed) on the device, p50 / p99 (max) | ${num(a.rona.p50Ms, 1)} / ${num(a.rona.p99Ms, 1)} ms (${num(a.rona.maxMs, 1)}) | ping round trip p50 ${num(a.pingP50Ms, 2)} ms | | every offer ≤ 100 ms | ${mark(t('rona')!.met)} |`,
      `| | wrap-up deadline → next state on the device, p50 / p99 (max) | ${num(a.wrapUp.p50Ms, 1)} / ${num(a.wrapUp.p99Ms, 1)} ms (${num(a.wrapUp.maxMs, 1)}) | | | | |`,
    );
  } else rows.push(`| 7 Agent timers | | ${a.status} | | | | ❌ |`);
  const q = r.queueLoad;
  if (q?.status === 'ok') {
    rows.push(
      `| 8 Queue load (${q.agents} agents, ${num(q.rate, 0)} calls/s × ${q.durationSec} s, 2 nodes, one killed at ${q.killAtSec ?? '–'} s) | offer latency on the surviving node, p50 / p99 (max): call queued with a ready agent → call:incoming | ${num(q.offerSurvivor.p50Ms, 1)} / ${num(q.offerSurvivor.p99Ms, 1)} ms (${num(q.offerSurvivor.maxMs, 1)}) over ${num(q.offerSurvivor.count, 0)} | person-to-person invite → call:incoming on that node, p99 ${num(q.baseline.p99Ms, 1)} ms | ${num(q.p99RatioToBaseline, 2)}× (from the invite: ${num(q.offerSurvivorFromSend.p99Ms, 1)} ms) | p99 ≤ 50 ms | ${mark(t('queue-offer')!.met)} |`,
      `| | offers to the killed node's agents (before the kill) / after the kill, p99 | ${num(q.offerKilledNode.p99Ms, 1)} / ${num(q.offerAfterKill.p99Ms, 1)} ms | | | | |`,
      `| | the survivor without the ${q.settleSec} s after the kill (clients reconnecting, timers taken over), p50 / p99 | ${num(q.offerSurvivorSettled.p50Ms, 1)} / ${num(q.offerSurvivorSettled.p99Ms, 1)} ms over ${num(q.offerSurvivorSettled.count, 0)} | | | | |`,
      `| | calls placed / answered / abandoned; offers (re-offers) | ${num(q.counts.placed, 0)} / ${num(q.counts.answered, 0)} / ${num(q.counts.abandoned, 0)}; ${num(q.counts.offers, 0)} (${num(q.counts.reOffers, 0)}) | end reasons: ${Object.entries(q.counts.endReasons).map(([k, v]) => `${k} ${v}`).join(', ')} | | | |`,
      `| | invariant violations | ${queueViolations(q)} | | | 0 | ${mark(t('queue-invariants')!.met)} |`,
      `| | surviving node's CPU per call placed (from the connects to the drain) | ${num(q.survivorCpuMsPerCall, 2)} ms | | | | |`,
    );
  } else if (q) rows.push(`| 8 Queue load | | ${q.status} | | | | ${q.status === 'skipped' ? '' : '❌'} |`);
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

/** Part 4's milestones: where the time to ring and the time to audio go. */
function stepTable(r: BenchResults): string[] {
  const ring = r.timeToRing;
  const audio = r.timeToAudio;
  if (ring.status !== 'ok' || audio.status !== 'ok') return [];
  const rows = [
    '',
    `**Time to ring and time to audio, step by step** (real Chromium, ${ring.calls} calls; ms since the invite left the caller’s core / since the callee’s accept left its socket, median and p95 of each milestone; page clocks agree with the runner’s within ${num(Math.max(...ring.clockOffsetsMs.map((c) => Math.abs(c.offsetMs))), 2)} ms)`,
    '',
    '| from | milestone | median | p95 |',
    '|---|---|---|---|',
  ];
  for (const m of ring.breakdown) rows.push(`| invite | ${m.step} | ${num(m.medianMs, 1)} | ${num(m.p95Ms, 1)} |`);
  for (const m of audio.breakdown) rows.push(`| accept | ${m.step} | ${num(m.medianMs, 1)} | ${num(m.p95Ms, 1)} |`);
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
  lines.push(...stepTable(r));
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
    ...(r.timeToRing.status === 'ok' || r.push.status === 'ok' ? [['ring-audio-push-latency', 'Time to ring, time to audio and push latency']] : []),
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
