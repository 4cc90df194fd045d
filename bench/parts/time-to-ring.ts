/**
 * Part 4 — time to ring and time to audio in real Chromium (placeholder).
 *
 * Extension point: it needs the renderer and the headless desktop harness
 * (being built now). When they land, replace `run` with: N calls between two
 * harness instances (Debian Chromium via tests/helpers/chromium.ts, fake
 * microphones from tests/helpers/tones.ts) against a server from ctx.build;
 * time to ring = click "Call" → callee's ringing UI visible; time to audio =
 * callee answers → caller hears the callee's tone (tests/helpers/audio.ts
 * `waitForTone`). Fill `{ status: 'ok', medianMs, p95Ms }` for both keys; the
 * report, plots and targets already read them.
 */
import type { BenchPart } from '../lib/types.js';

export const timeToRingPart: BenchPart<'timeToRing' | 'timeToAudio'> = {
  name: 'ring',
  keys: ['timeToRing', 'timeToAudio'],
  async run() {
    const reason = 'needs the renderer and the headless desktop harness, in progress';
    return {
      timeToRing: { status: 'pending', reason },
      timeToAudio: { status: 'pending', reason },
    };
  },
};
