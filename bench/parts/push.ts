/**
 * Part 6 — push wake-up latency (placeholder).
 *
 * Extension point: it needs the APNs stand-in (being built now). When it
 * lands, replace `run` with: calls to users whose only device is a mobile
 * device without a socket; latency = invite sent → push request received by
 * the stand-in (and, if the stand-in can, → the woken device's `call:claim`
 * answered). Fill `{ status: 'ok', p99Ms }` (add p50Ms etc. freely).
 */
import type { BenchPart } from '../lib/types.js';

export const pushPart: BenchPart<'push'> = {
  name: 'push',
  keys: ['push'],
  async run() {
    return { push: { status: 'pending', reason: 'needs the APNs stand-in, in progress' } };
  },
};
