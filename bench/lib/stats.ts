/** Percentiles, latency summaries and a least-squares slope. */
import type { LatencySummary } from './types.js';

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const round = (v: number, digits = 2): number => {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

const CDF_FRACTIONS = [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1];

export function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  if (arr.length === 0) return { count: 0, p50Ms: NaN, p90Ms: NaN, p99Ms: NaN, maxMs: NaN, cdf: [] };
  return {
    count: arr.length,
    p50Ms: round(percentile(arr, 50)),
    p90Ms: round(percentile(arr, 90)),
    p99Ms: round(percentile(arr, 99)),
    maxMs: round(arr[arr.length - 1]!),
    cdf: CDF_FRACTIONS.map((f) => [round(percentile(arr, Math.max(f * 100, 0.0001)), 3), f] as [number, number]),
  };
}

/** Slope of the least-squares line through (x, y). */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
