/** Page helpers shared by the acceptance tests and the screenshot script. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';

const require = createRequire(import.meta.url);

export const callRegion = (page: Page, displayName: string): Locator => page.getByRole('region', { name: `Call with ${displayName}` });
export const outgoingRegion = (page: Page): Locator => page.getByRole('region', { name: 'Outgoing call' });
export const incomingDialog = (page: Page): Locator => page.getByRole('dialog', { name: 'Incoming call' });

/** Waits until the call region shows the given CallInfo.local state. */
export async function waitForCallState(page: Page, displayName: string, state: string, timeoutMs = 20_000): Promise<void> {
  await callRegion(page, displayName).and(page.locator(`[data-call-state="${state}"]`)).waitFor({ timeout: timeoutMs });
}

export async function visibilityState(page: Page): Promise<string> {
  return page.evaluate(() => document.visibilityState);
}

/** Presses Tab (only the keyboard) until `target` has the focus. */
export async function tabTo(page: Page, target: Locator, { max = 40, reverse = false } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(reverse ? 'Shift+Tab' : 'Tab');
  }
  if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
  throw new Error(`could not reach ${target.toString()} with Tab in ${max} presses; focus is on ${focused}`);
}

/** The focused element shows a visible focus indicator (an outline or box-shadow). */
export async function focusIsVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return false;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow !== 'none' && s.boxShadow !== '');
  });
}

export interface RingtoneProbe {
  /** The ringtone element is playing (not paused, time advancing). */
  playing: boolean;
  /** Peak RMS (dBFS) of what the element renders, over one ring cycle. */
  peakDb: number;
}

/**
 * Listens to the ringtone element itself (captureStream) for one ring
 * cadence. Uses a ScriptProcessor (audio-thread driven), not timers, so it
 * measures correctly in a hidden page whose timers are throttled.
 */
export async function probeRingtone(page: Page, listenMs = 3_300): Promise<RingtoneProbe> {
  return page.evaluate(async (listenMs) => {
    const el = document.querySelector<HTMLAudioElement & { captureStream(): MediaStream }>('[data-testid="ringtone"]');
    if (!el || el.paused) return { playing: false, peakDb: -200 };
    const t0 = el.currentTime;
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(el.captureStream());
    const proc = ctx.createScriptProcessor(4096, 1, 1);
    let peak = 0;
    proc.onaudioprocess = (ev) => {
      const data = ev.inputBuffer.getChannelData(0);
      let sum = 0;
      for (const v of data) sum += v * v;
      peak = Math.max(peak, Math.sqrt(sum / data.length));
    };
    src.connect(proc);
    proc.connect(ctx.destination);
    await new Promise((r) => setTimeout(r, listenMs));
    src.disconnect();
    proc.disconnect();
    await ctx.close();
    return { playing: !el.paused && el.currentTime !== t0, peakDb: peak > 0 ? 20 * Math.log10(peak) : -200 };
  }, listenMs);
}

export interface RingtoneEvent {
  type: 'playing' | 'pause';
  /** Wall clock (ms epoch) in the page: comparable with Date.now() in the test and the server's times. */
  at: number;
}

/**
 * Starts recording when the ringtone element starts and stops sounding
 * ('playing' / 'pause' events, with their time), to measure ring latency.
 * Recording lasts until the page reloads; read it with ringtoneEvents().
 */
export async function recordRingtone(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __ringtoneEvents?: { type: string; at: number }[] };
    if (w.__ringtoneEvents) return;
    const events: { type: string; at: number }[] = (w.__ringtoneEvents = []);
    const el = document.querySelector<HTMLAudioElement>('[data-testid="ringtone"]');
    if (!el) throw new Error('the page has no ringtone element (is this the main window?)');
    for (const type of ['playing', 'pause'] as const) el.addEventListener(type, () => events.push({ type, at: Date.now() }));
  });
}

export async function ringtoneEvents(page: Page): Promise<RingtoneEvent[]> {
  return page.evaluate(() => (window as unknown as { __ringtoneEvents?: RingtoneEvent[] }).__ringtoneEvents ?? []);
}

/** Waits for the first ringtone event of `type` at or after `since` (ms epoch). */
export async function waitForRingtoneEvent(page: Page, type: RingtoneEvent['type'], since: number, timeoutMs = 5_000): Promise<RingtoneEvent> {
  // Polled from here, not in the page: a hidden page's timers are throttled (to 1 Hz in Chromium).
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await ringtoneEvents(page)).find((e) => e.type === type && e.at >= since);
    if (found) return found;
    if (Date.now() >= deadline) throw new Error(`the ringtone gave no '${type}' event within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function ringtonePaused(page: Page): Promise<boolean> {
  return page.evaluate(() => document.querySelector<HTMLAudioElement>('[data-testid="ringtone"]')?.paused ?? true);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page; returns serious and critical violations. */
export async function axeSeriousViolations(page: Page): Promise<AxeViolation[]> {
  const hasAxe = () => page.evaluate(() => 'axe' in window);
  if (!(await hasAxe())) {
    const file = require.resolve('axe-core/axe.min.js');
    // The page's CSP (script-src 'self') refuses inline scripts, as it should; then
    // evaluate the same file through DevTools instead, which CSP does not govern.
    await page.addScriptTag({ path: file }).catch(() => undefined);
    if (!(await hasAxe())) await page.evaluate(fs.readFileSync(file, 'utf8'));
  }
  // Colours mid-transition (a theme switch, a hover fading) are not what users read: let them finish.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id as string,
      impact: v.impact as string | null,
      help: v.help as string,
      nodes: (v.nodes as { target: string[] }[]).map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Waits until the remote-audio element has a live audio track (the far end's media arrived). */
export async function waitForRemoteAudio(page: Page, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const el = document.querySelector<HTMLMediaElement>('[data-testid="remote-audio"]');
      const stream = el?.srcObject as MediaStream | null | undefined;
      return !!stream && stream.getAudioTracks().some((t) => t.readyState === 'live');
    },
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
}

/** The call-progress tone the renderer is playing ('ringback', 'busy', 'waiting' or ''). */
export async function progressTone(page: Page): Promise<string> {
  return page.evaluate(() => document.getElementById('media')?.dataset.progressTone ?? '');
}

export interface MediaWatch {
  /** getUserMedia calls since `watchMedia`. */
  microphoneRequests: number;
  /** Audio tracks from those calls that are still live (a microphone in use). */
  liveTracks: number;
  /** Peer connections created since `watchMedia` and not closed. */
  openPeerConnections: number;
  /** Of those, how many have a local offer (set while ringing when prepared). */
  withLocalOffer: number;
}

/** Starts recording the page's microphone requests and peer connections (read with `mediaWatch`). */
export async function watchMedia(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Watch = { requests: number; tracks: MediaStreamTrack[]; pcs: RTCPeerConnection[] };
    const w = window as unknown as { __mediaWatch?: Watch };
    if (w.__mediaWatch) {
      w.__mediaWatch.requests = 0;
      w.__mediaWatch.tracks = [];
      w.__mediaWatch.pcs = [];
      return;
    }
    const watch: Watch = { requests: 0, tracks: [], pcs: [] };
    w.__mediaWatch = watch;
    const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      watch.requests++;
      const stream = await gum(constraints);
      watch.tracks.push(...stream.getAudioTracks());
      return stream;
    };
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        watch.pcs.push(this);
      }
    };
  });
}

export async function mediaWatch(page: Page): Promise<MediaWatch> {
  return page.evaluate(() => {
    const w = (window as unknown as { __mediaWatch?: { requests: number; tracks: MediaStreamTrack[]; pcs: RTCPeerConnection[] } }).__mediaWatch;
    if (!w) throw new Error('watchMedia was not called on this page');
    const open = w.pcs.filter((pc) => pc.signalingState !== 'closed');
    return {
      microphoneRequests: w.requests,
      liveTracks: w.tracks.filter((t) => t.readyState === 'live').length,
      openPeerConnections: open.length,
      withLocalOffer: open.filter((pc) => pc.localDescription?.type === 'offer').length,
    };
  });
}
