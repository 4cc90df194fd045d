/**
 * Plots without a plotting library: line charts drawn as SVG here, rasterised
 * to PNG by Debian's Chromium (tests/helpers/chromium.ts; `page.setContent`,
 * then a screenshot of the <svg>).
 */
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../../tests/helpers/chromium.js';
import type { BenchResults } from './types.js';

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  /** Horizontal reference lines (targets). */
  hLines?: { y: number; label: string }[];
  yMin?: number;
}

const W = 900;
const H = 540;
const M = { left: 84, right: 24, top: 64, bottom: 112 };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
export const color = (i: number) => PALETTE[i % PALETTE.length]!;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

function linearTicks(min: number, max: number): number[] {
  const step = niceStep(max - min || 1, 6);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  }
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a >= 1) return String(Number(v.toPrecision(4)));
  return String(Number(v.toPrecision(2)));
}

export function lineChart(spec: ChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const ys = [...pts.map((p) => p[1]), ...(spec.hLines ?? []).map((h) => h.y)];
  const xs = pts.map((p) => p[0]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [spec.yMin ?? Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1];
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  if (spec.xLog) x0 = Math.max(x0, 1e-3);
  if (spec.yLog) y0 = Math.max(Math.min(y0, ...ys.filter((y) => y > 0)), 1e-3);
  if (!spec.yLog && spec.yMin === undefined) y0 = Math.min(0, y0);
  if (x1 <= x0) x1 = x0 * 2 || 1;
  if (y1 <= y0) y1 = y0 * 2 || 1;
  if (spec.yLog) {
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1));
  } else {
    y1 = y1 * 1.08;
  }
  if (spec.xLog) {
    x0 = 10 ** Math.floor(Math.log10(x0));
    x1 = 10 ** Math.ceil(Math.log10(x1));
  }
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) =>
    M.left + (spec.xLog ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) =>
    M.top + ph - (spec.yLog ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * ph;

  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${M.left}" y="28" font-size="19" font-weight="600">${esc(spec.title)}</text>`);
  if (spec.subtitle) parts.push(`<text x="${M.left}" y="50" font-size="13" fill="#555">${esc(spec.subtitle)}</text>`);
  for (const t of spec.xLog ? logTicks(x0, x1) : linearTicks(x0, x1)) {
    const x = sx(t);
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${M.top + ph + 18}" font-size="12" text-anchor="middle" fill="#333">${fmt(t)}</text>`);
  }
  for (const t of spec.yLog ? logTicks(y0, y1) : linearTicks(y0, y1)) {
    const y = sy(t);
    parts.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y + 4}" font-size="12" text-anchor="end" fill="#333">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${M.top + ph + 42}" font-size="14" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(22 ${M.top + ph / 2}) rotate(-90)" font-size="14" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  for (const h of spec.hLines ?? []) {
    const y = sy(h.y);
    parts.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#444" stroke-dasharray="2 4"/>`);
    parts.push(`<text x="${M.left + pw - 6}" y="${y - 6}" font-size="12" text-anchor="end" fill="#444">${esc(h.label)}</text>`);
  }
  for (const s of spec.series) {
    const good = s.points.filter(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.xLog || x > 0) && (!spec.yLog || y > 0),
    );
    if (good.length === 0) continue;
    const d = good.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`,
    );
    if (good.length <= 24) {
      for (const [x, y] of good) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.2" fill="${s.color}"/>`);
    }
  }
  // Legend below the plot, wrapped in rows.
  let lx = M.left;
  let ly = M.top + ph + 70;
  for (const s of spec.series) {
    const w = 44 + s.name.length * 7.2;
    if (lx + w > W - M.right) {
      lx = M.left;
      ly += 20;
    }
    parts.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`,
    );
    parts.push(`<text x="${lx + 34}" y="${ly}" font-size="12.5">${esc(s.name)}</text>`);
    lx += w;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">${parts.join('')}</svg>`;
}

/** The charts of a run, as SVG, by file name (without extension). */
export function chartsFor(r: BenchResults): Record<string, string> {
  const charts: Record<string, string> = {};
  if (r.idle.status === 'ok') {
    const mib = (b: number) => b / 2 ** 20;
    const i = r.idle;
    charts['memory-vs-devices'] = lineChart({
      title: 'Server memory vs idle devices',
      subtitle: `RSS and JS heap after gc · ours: ${(i.bytesPerDevice / 1024).toFixed(1)} KiB/device RSS · bare socket.io: ${(i.baselineBytesPerDevice / 1024).toFixed(1)} KiB/device (${i.ratio}×)`,
      xLabel: 'connected idle devices',
      yLabel: 'MiB',
      series: [
        { name: 'our server, RSS', color: color(0), points: i.memory.map((p) => [p.devices, mib(p.rssBytes)]) },
        { name: 'bare socket.io, RSS', color: color(0), dashed: true, points: i.baselineMemory.map((p) => [p.devices, mib(p.rssBytes)]) },
        { name: 'our server, heap', color: color(1), points: i.memory.map((p) => [p.devices, mib(p.heapUsedBytes)]) },
        { name: 'bare socket.io, heap', color: color(1), dashed: true, points: i.baselineMemory.map((p) => [p.devices, mib(p.heapUsedBytes)]) },
      ],
    });
  }
  if (r.callSetup.status === 'ok' && r.callSetup.rates.length > 0) {
    const c = r.callSetup;
    const cdf: Series[] = [];
    c.rates.forEach((rate, k) => {
      cdf.push({ name: `${rate.rate}/s invite→ring`, color: color(k), points: rate.ring.cdf.map(([ms, f]) => [ms, f * 100]) });
      cdf.push({ name: `${rate.rate}/s bare round trip`, color: color(k), dashed: true, points: rate.baseline.cdf.map(([ms, f]) => [ms, f * 100]) });
    });
    charts['call-latency-cdf'] = lineChart({
      title: 'Call setup latency distribution (invite → callee rings)',
      subtitle: 'cumulative share of calls; dashed: bare socket.io request/ack round trip at the same rate',
      xLabel: 'latency (ms, log scale)',
      yLabel: '% of calls at or below',
      xLog: true,
      yMin: 0,
      series: cdf,
    });
    charts['call-latency-vs-rate'] = lineChart({
      title: 'Call setup latency vs offered rate',
      subtitle: 'p50 and p99 per rate; target: p99 < 50 ms',
      xLabel: 'calls per second (log scale)',
      yLabel: 'ms (log scale)',
      xLog: true,
      yLog: true,
      hLines: [{ y: 50, label: '50 ms' }],
      series: [
        { name: 'invite→ring p99', color: color(0), points: c.rates.map((x) => [x.rate, x.p99Ms]) },
        { name: 'invite→ring p50', color: color(0), dashed: true, points: c.rates.map((x) => [x.rate, x.p50Ms]) },
        { name: 'accept→answered p99', color: color(2), points: c.rates.map((x) => [x.rate, x.answerP99Ms]) },
        { name: 'bare round trip p99', color: color(1), points: c.rates.map((x) => [x.rate, x.baselineP99Ms]) },
        { name: 'bare round trip p50', color: color(1), dashed: true, points: c.rates.map((x) => [x.rate, x.baselineP50Ms]) },
      ],
    });
  }
  if (r.reconnectStorm.status === 'ok') {
    const s = r.reconnectStorm;
    charts['reconnect-storm'] = lineChart({
      title: `Reconnect storm: ${s.devices} devices after a server restart`,
      subtitle: `SIGTERM at t = 0 · ours: all back in ${s.seconds} s (restart ${s.restartSeconds} s) · bare socket.io + same backoff: ${s.baselineSeconds} s`,
      xLabel: 'seconds since SIGTERM',
      yLabel: 'devices connected and synced',
      yMin: 0,
      series: [
        { name: 'softphone cores → our server', color: color(0), points: s.curve.map((p) => [p.t, p.registered]) },
        { name: 'bare clients → bare socket.io', color: color(1), dashed: true, points: s.baselineCurve.map((p) => [p.t, p.registered]) },
      ],
    });
  }
  const ring = r.timeToRing;
  const audio = r.timeToAudio;
  const push = r.push;
  if (ring.status === 'ok' || push.status === 'ok') {
    /** Empirical CDF of raw samples, in percent. */
    const ecdf = (v: number[]): [number, number][] => [...v].sort((a, b) => a - b).map((x, i, a) => [x, ((i + 1) / a.length) * 100]);
    const series: Series[] = [];
    if (ring.status === 'ok') series.push({ name: `time to ring (${ring.calls} calls)`, color: color(0), points: ecdf(ring.samplesMs) });
    if (audio.status === 'ok') series.push({ name: `time to audio (${audio.calls} calls)`, color: color(1), points: ecdf(audio.samplesMs) });
    if (push.status === 'ok') {
      series.push({ name: `invite → APNs push (${push.apns.latency.count})`, color: color(2), points: push.apns.latency.cdf.map(([ms, f]) => [ms, f * 100]) });
      if (push.fcm) {
        series.push({ name: `invite → FCM push (${push.fcm.latency.count})`, color: color(3), dashed: true, points: push.fcm.latency.cdf.map(([ms, f]) => [ms, f * 100]) });
      }
    }
    charts['ring-audio-push-latency'] = lineChart({
      title: 'Time to ring, time to audio (real Chromium) and push latency',
      subtitle: 'cumulative share; targets: ring ≤ 1 s, audio median ≤ 150 ms, push p99 ≤ 50 ms',
      xLabel: 'latency (ms, log scale)',
      yLabel: '% at or below',
      xLog: true,
      yMin: 0,
      series,
    });
  }
  return charts;
}

/** Writes `<name>.svg` is not kept; only `<name>.png` files, rendered by Chromium. */
export async function renderPngs(charts: Record<string, string>, outDir: string): Promise<string[]> {
  if (Object.keys(charts).length === 0) return [];
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: W, height: H }, deviceScaleFactor: 1 });
    const files: string[] = [];
    for (const [name, svg] of Object.entries(charts)) {
      await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
      const file = path.join(outDir, `${name}.png`);
      await page.locator('svg').screenshot({ path: file });
      files.push(file);
    }
    return files;
  } finally {
    await browser.close();
  }
}

export function removeStalePngs(outDir: string, keep: string[]): void {
  for (const f of fs.readdirSync(outDir)) {
    if (f.endsWith('.png') && !keep.includes(path.join(outDir, f))) fs.rmSync(path.join(outDir, f));
  }
}
