/**
 * What the agent's zip-tone output actually carries: an AnalyserNode on the MediaStream of
 * the renderer's zip-tone <audio> element (routed to the call's output device), sampled
 * every 10 ms from before the call arrives, so a 200 ms beep is caught whole.
 */
import type { Page } from 'playwright-core';

export interface ZipFrame {
  /** Epoch ms of the frame. */
  at: number;
  /** Frequency (Hz) of the strongest bin. */
  peakHz: number;
  /** Level (dBFS) of the strongest bin. */
  peakDb: number;
}

/** Starts sampling the zip-tone output (the element appears once the user is an agent). */
export async function recordZipTone(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __zipFrames?: { at: number; peakHz: number; peakDb: number }[] };
    if (w.__zipFrames) {
      w.__zipFrames.length = 0;
      return;
    }
    const frames: { at: number; peakHz: number; peakDb: number }[] = [];
    w.__zipFrames = frames;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    analyser.smoothingTimeConstant = 0;
    const bins = new Float32Array(analyser.frequencyBinCount);
    let attached: MediaStream | null = null;
    setInterval(() => {
      const el = document.querySelector<HTMLMediaElement>('[data-testid="zip-tone"]');
      const stream = (el?.srcObject as MediaStream | null | undefined) ?? null;
      if (stream && stream !== attached) {
        if (ctx.state !== 'running') void ctx.resume();
        ctx.createMediaStreamSource(stream).connect(analyser);
        attached = stream;
      }
      if (!attached) return;
      analyser.getFloatFrequencyData(bins);
      let peak = 1;
      for (let i = 2; i < bins.length; i++) if (bins[i]! > bins[peak]!) peak = i;
      frames.push({ at: Date.now(), peakHz: (peak * ctx.sampleRate) / analyser.fftSize, peakDb: bins[peak]! });
    }, 10);
  });
}

async function allFrames(page: Page): Promise<ZipFrame[]> {
  return page.evaluate(() => (window as unknown as { __zipFrames?: ZipFrame[] }).__zipFrames ?? []);
}

function matching(frames: ZipFrame[], hz: number, toleranceHz = 30, minDb = -60): ZipFrame[] {
  return frames.filter((f) => Math.abs(f.peakHz - hz) <= toleranceHz && f.peakDb > minDb);
}

/** Frames (since `recordZipTone`) whose strongest bin is `hz` well above the noise floor. */
export async function zipToneFrames(page: Page, hz: number): Promise<ZipFrame[]> {
  return matching(await allFrames(page), hz);
}

/**
 * Waits until the zip-tone output carried `hz` and the beep is over (100 ms of frames
 * without it), so its length can be measured; returns the frames that carried it.
 */
export async function waitForZipTone(page: Page, hz: number, timeoutMs = 5_000): Promise<ZipFrame[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = await allFrames(page);
    const heard = matching(frames, hz);
    const last = frames.at(-1);
    if (heard.length >= 5 && last && last.at - heard.at(-1)!.at >= 100) return heard;
    if (Date.now() > deadline) {
      throw new Error(`the zip tone (${hz} Hz) never reached the agent's output (or never ended) within ${timeoutMs} ms; ${heard.length} frames heard`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
