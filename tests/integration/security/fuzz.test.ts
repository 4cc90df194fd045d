/**
 * The fuzzer's properties (tests/fuzz/harness.ts) on a fixed seed, small
 * enough for every `npm test`. `npm run fuzz` runs the same properties on
 * 100 000+ messages with a fresh seed.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../fuzz/harness.js';

describe('fuzzing (seed 42)', () => {
  it('hostile socket events, call flows, HTTP requests and raw frames: no crash, stable error codes, bounded heap, the concurrent call unaffected', async () => {
    const report = await runFuzz({ seed: 42, messages: 1_500, batchSize: 50 });
    console.log(
      `fuzz seed ${report.seed}: ${report.messages} messages in ${(report.durationMs / 1000).toFixed(1)} s, ` +
        `answers ${JSON.stringify(report.ackCodes)}, heap ${report.heapBeforeMiB} → ${report.heapAfterMiB} MiB`,
    );
    expect(report.messages).toBeGreaterThanOrEqual(1_500);
    // The generator reaches every layer: schema errors, real calls, HTTP, raw frames.
    expect(report.ackCodes.bad_request).toBeGreaterThan(100);
    expect(report.ackCodes.ok).toBeGreaterThan(100);
    expect(report.byKind.http).toBeGreaterThan(0);
    expect(report.byKind.raw).toBeGreaterThan(0);
    expect(report.createdCalls).toBeGreaterThan(10);
    expect(report.legitSignals).toBeGreaterThan(20);
  }, 90_000);
});
