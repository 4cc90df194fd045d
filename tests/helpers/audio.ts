/**
 * Frequency analysis of what a page actually hears: an AnalyserNode on the
 * MediaStream of an <audio> element (the remote party), run inside the page.
 */
import type { Page } from 'playwright-core';

export interface Spectrum {
  /** Frequency (Hz) of the strongest bin. */
  peakHz: number;
  /** Level (dBFS) of the strongest bin. */
  peakDb: number;
  /** Level (dBFS) of the bin nearest each frequency asked for. */
  levels: Record<number, number>;
}

/**
 * Samples the spectrum of the stream playing in the element matched by
 * `selector` (default: the remote-audio element), averaging several frames.
 */
export async function spectrumOf(page: Page, frequencies: number[], selector = '[data-testid="remote-audio"]', durationMs = 600): Promise<Spectrum> {
  return page.evaluate(
    async ({ selector, frequencies, durationMs }) => {
      const el = document.querySelector<HTMLMediaElement>(selector);
      const stream = el?.srcObject as MediaStream | null;
      if (!stream || stream.getAudioTracks().length === 0) throw new Error(`no audio stream on ${selector}`); // waitForTone matches this text
      const w = window as unknown as { __spectrumCtx?: AudioContext };
      const ctx = (w.__spectrumCtx ??= new AudioContext());
      if (ctx.state !== 'running') await ctx.resume();
      const src = ctx.createMediaStreamSource(stream);
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      analyser.smoothingTimeConstant = 0;
      src.connect(analyser);
      const bins = new Float32Array(analyser.frequencyBinCount);
      const sum = new Float32Array(analyser.frequencyBinCount);
      let frames = 0;
      const end = performance.now() + durationMs;
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        analyser.getFloatFrequencyData(bins);
        for (let i = 0; i < bins.length; i++) sum[i]! += Number.isFinite(bins[i]!) ? bins[i]! : -160;
        frames++;
      }
      src.disconnect();
      const hzPerBin = ctx.sampleRate / analyser.fftSize;
      let peak = 0;
      for (let i = 1; i < sum.length; i++) if (sum[i]! > sum[peak]!) peak = i;
      const levels: Record<number, number> = {};
      for (const f of frequencies) {
        const i = Math.round(f / hzPerBin);
        // Strongest of the neighbouring bins (the tone can straddle two).
        levels[f] = Math.max(sum[i - 1]!, sum[i]!, sum[i + 1]!) / frames;
      }
      return { peakHz: peak * hzPerBin, peakDb: sum[peak]! / frames, levels };
    },
    { selector, frequencies, durationMs },
  );
}

/** True when the tone at `hz` stands well above the noise floor. */
export function hears(s: Spectrum, hz: number, minDb = -70): boolean {
  return Math.abs(s.peakHz - hz) < 15 && (s.levels[hz] ?? -200) > minDb;
}

/** The error spectrumOf raises while the element has no stream yet (media not set up). */
const NO_STREAM = 'no audio stream on ';

/**
 * Polls until the page hears `hz` (or, with `present: false`, until it no
 * longer does). An element without a stream yet counts as "not heard" while
 * polling (the far end's media may still be on its way); at the deadline that
 * is reported as such.
 */
export async function waitForTone(
  page: Page,
  hz: number,
  { present = true, timeoutMs = 15_000, selector }: { present?: boolean; timeoutMs?: number; selector?: string } = {},
): Promise<Spectrum> {
  const deadline = Date.now() + timeoutMs;
  let last: Spectrum | undefined;
  let noStream = false;
  while (Date.now() < deadline) {
    try {
      last = await spectrumOf(page, [hz], selector);
      noStream = false;
    } catch (err) {
      if (!(err instanceof Error && err.message.includes(NO_STREAM))) throw err;
      noStream = true;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (hears(last, hz) === present) return last;
  }
  const where = selector ?? '[data-testid="remote-audio"]';
  const why = noStream ? `${where} still has no audio stream (the far end's media never arrived)` : `last spectrum ${JSON.stringify(last)}`;
  throw new Error(`tone ${hz} Hz ${present ? 'never heard' : 'never stopped'} within ${timeoutMs} ms; ${why}`);
}
