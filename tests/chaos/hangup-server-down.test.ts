/**
 * Chaos: Hang up never waits for the server. During an answered call the
 * server is SIGKILLed; the user clicks Hang up anyway. It is a privacy
 * matter: the microphone must be released and the far end must stop hearing
 * the user at once, not after a reconnect.
 *
 * - the microphone track (the one getUserMedia gave) is `ended` within 200 ms
 *   of the click (timed inside the page, from the click event);
 * - the far end hears silence within 1 s (frequency analysis of its remote
 *   audio, sampled every 20 ms, against the wall clock both pages share);
 * - the server restarts on the same data; once both parties are connected
 *   again, each history holds exactly one record of the call, ended at the
 *   click (not when the server came back).
 *
 * Alice: the headless desktop app (core in this process, renderer in
 * Chromium; tone 440 Hz). Bob: the web softphone (core in the page; 660 Hz).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../src/shared/protocol/index.js';
import { callRegion, incomingDialog, openDesktop, openWeb, waitForCallState, watchMedia, type DesktopApp, type WebApp } from '../harness/index.js';
import { createPhone, waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD } from '../helpers/server.js';
import { callIdOf, twoWayAudio, waitForConnection, type Party } from './support/calls.js';
import { ServerProcess } from './support/server-process.js';

const DESKTOP_HZ = 440;
const WEB_HZ = 660;
/** Requirements, and how long each is awaited (several times more, so a failure reports a figure). */
const MIC_RELEASE_MS = 200;
const FAR_END_SILENCE_MS = 1_000;
/**
 * How close to the click the recorded end must be: the client ends the call at the click and
 * reports that time (all parties share this machine's clock); the restart comes later.
 */
const END_TIME_TOLERANCE_MS = 300;

let server: ServerProcess;
let desktop: DesktopApp;
let web: WebApp;
let alice: Party;
let bob: Party;
const measured: string[] = [];
function report(line: string): void {
  measured.push(line);
  console.log(`[hangup-server-down] ${line}`);
}

beforeAll(async () => {
  server = await ServerProcess.start({ users: { alice: 'Alice', bob: 'Bob' } });
  [desktop, web] = await Promise.all([openDesktop(server, 'alice', { toneHz: DESKTOP_HZ }), openWeb(server, 'bob', { toneHz: WEB_HZ })]);
  alice = { page: desktop.page, hz: DESKTOP_HZ };
  bob = { page: web.page, hz: WEB_HZ };
});

afterAll(async () => {
  await Promise.allSettled([desktop?.close(), web?.close()]);
  await server?.close();
  if (measured.length > 0) console.log(`[hangup-server-down] measured:\n  ${measured.join('\n  ')}`);
});

/**
 * In the page: the time (Date.now()) of the first click on a "Hang up" button and of the
 * first moment after it when every microphone track watchMedia saw is `ended`.
 */
async function probeMicrophoneRelease(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as {
      __mediaWatch?: { tracks: MediaStreamTrack[] };
      __micProbe?: { clickAt: number | null; endedAt: number | null; tracks: number };
    };
    const tracks = w.__mediaWatch?.tracks ?? [];
    const probe: { clickAt: number | null; endedAt: number | null; tracks: number } = { clickAt: null, endedAt: null, tracks: tracks.length };
    w.__micProbe = probe;
    document.addEventListener(
      'click',
      (e) => {
        const button = (e.target as Element | null)?.closest('button');
        if (probe.clickAt === null && button?.textContent?.includes('Hang up')) probe.clickAt = Date.now();
      },
      true,
    );
    const tick = () => {
      if (probe.clickAt !== null && tracks.length > 0 && tracks.every((t) => t.readyState === 'ended')) {
        probe.endedAt = Date.now();
        return;
      }
      setTimeout(tick, 2);
    };
    tick();
  });
}

/** In the page: samples the remote audio every 20 ms and keeps the last time `hz` was heard. */
async function probeTone(page: Page, hz: number): Promise<void> {
  await page.evaluate(async (hz) => {
    const el = document.querySelector<HTMLMediaElement>('[data-testid="remote-audio"]');
    const stream = el?.srcObject as MediaStream | null;
    if (!stream) throw new Error('no remote audio stream');
    const ctx = new AudioContext();
    if (ctx.state !== 'running') await ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    analyser.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const bin = Math.round(hz / (ctx.sampleRate / analyser.fftSize));
    const probe = { lastHeardAt: 0, ctx };
    (window as unknown as { __toneProbe?: typeof probe }).__toneProbe = probe;
    setInterval(() => {
      analyser.getFloatFrequencyData(bins);
      let peak = 0;
      for (let i = 1; i < bins.length; i++) if (bins[i]! > bins[peak]!) peak = i;
      const level = Math.max(bins[bin - 1]!, bins[bin]!, bins[bin + 1]!);
      if (Math.abs(peak - bin) <= 1 && level > -70) probe.lastHeardAt = Date.now();
    }, 20);
  }, hz);
}
const lastHeardAt = (page: Page) => page.evaluate(() => (window as unknown as { __toneProbe: { lastHeardAt: number } }).__toneProbe.lastHeardAt);

/** Bob's history as the server gives it to any of his devices (a second device, signed in now). */
async function bobsRecords(callId: string): Promise<HistoryRecord[]> {
  const phone = createPhone('bob', 'desktop');
  try {
    await phone.login(server.url, 'bob', TEST_PASSWORD);
    await waitForState(phone, (s) => s.connection === 'connected', 30_000, 'bob on a second device');
    return (await phone.historyPage()).items.filter((r) => r.callId === callId);
  } finally {
    await phone.stop();
  }
}

describe('Hang up with the server SIGKILLed during a call', () => {
  it('releases the microphone within 200 ms, the far end hears silence within 1 s, and the history records the click time once back', async () => {
    await watchMedia(desktop.page);
    await desktop.page.getByRole('button', { name: 'Call Bob' }).click();
    await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
    await waitForCallState(desktop.page, 'Bob', 'active');
    await waitForCallState(web.page, 'Alice', 'active');
    await twoWayAudio(alice, bob);
    const callId = callIdOf(desktop.phone, 'active');

    await server.kill();
    await waitForState(desktop.phone, (s) => s.connection === 'reconnecting', 30_000, 'alice sees the server gone');
    await waitForConnection(web.page, 'reconnecting');
    // Still hearing Alice right before the click (the probe agrees with the frequency analysis).
    await probeTone(web.page, DESKTOP_HZ);
    await expect.poll(async () => Date.now() - (await lastHeardAt(web.page)), { timeout: 10_000 }).toBeLessThan(100);
    await probeMicrophoneRelease(desktop.page);
    expect(await desktop.page.evaluate(() => (window as unknown as { __micProbe: { tracks: number } }).__micProbe.tracks)).toBeGreaterThan(0);

    await callRegion(desktop.page, 'Bob').getByRole('button', { name: 'Hang up' }).click();

    // The microphone: ended within 200 ms of the click (awaited for 10×, so a miss reports its figure).
    type Probe = { clickAt: number | null; endedAt: number | null };
    const readProbe = () => desktop.page.evaluate(() => (window as unknown as { __micProbe: Probe }).__micProbe);
    const mic = await desktop.page
      .waitForFunction(() => (window as unknown as { __micProbe: Probe }).__micProbe.endedAt !== null, undefined, {
        timeout: MIC_RELEASE_MS * 10,
        polling: 10,
      })
      .then(readProbe, readProbe);
    expect(mic.clickAt, 'the click reached the page').not.toBeNull();
    const clickAt = mic.clickAt!;
    if (mic.endedAt === null) report(`microphone track still live ${MIC_RELEASE_MS * 10} ms after the click`);
    expect(mic.endedAt, `the microphone track ended within ${MIC_RELEASE_MS * 10} ms of the click`).not.toBeNull();
    const micMs = mic.endedAt! - clickAt;
    report(`microphone track ended ${micMs} ms after the click (requirement ≤ ${MIC_RELEASE_MS} ms)`);
    expect(micMs).toBeLessThanOrEqual(MIC_RELEASE_MS);

    // The far end: Alice's tone gone, and staying gone (300 ms without it), within 1 s of the click.
    await expect
      .poll(async () => Date.now() - (await lastHeardAt(web.page)), { timeout: FAR_END_SILENCE_MS * 10, interval: 50 })
      .toBeGreaterThan(300);
    const silenceMs = Math.max(0, (await lastHeardAt(web.page)) - clickAt);
    report(`far end last heard the tone ${silenceMs} ms after the click (requirement ≤ ${FAR_END_SILENCE_MS} ms)`);
    expect(silenceMs).toBeLessThanOrEqual(FAR_END_SILENCE_MS);
    // Locally the call is over at once, without the server.
    expect(server.running).toBe(false);
    await waitForCallState(desktop.page, 'Bob', 'ended', 5_000);

    const restartAt = Date.now();
    await server.restart();
    report(`server restarted ${restartAt - clickAt} ms after the click`);
    // Otherwise an end recorded at the restart could not be told from one at the click.
    expect(restartAt - clickAt).toBeGreaterThan(END_TIME_TOLERANCE_MS * 2);
    await waitForState(desktop.phone, (s) => s.connection === 'connected', 30_000, 'alice reconnected');
    await waitForConnection(web.page, 'connected', 60_000);

    // One record each, ended at the click (the server was told when the call really ended).
    const aliceState = await waitForState(desktop.phone, (s) => s.history.some((r) => r.callId === callId), 30_000, "alice's record");
    const aliceRecords = aliceState.history.filter((r) => r.callId === callId);
    const bobRecords = await bobsRecords(callId);
    expect(aliceRecords).toHaveLength(1);
    expect(bobRecords).toHaveLength(1);
    expect(aliceRecords[0]).toMatchObject({ direction: 'outgoing', outcome: 'completed', endReason: 'hangup' });
    expect(bobRecords[0]).toMatchObject({ direction: 'incoming', outcome: 'completed', endReason: 'hangup' });
    for (const [who, r] of [['alice', aliceRecords[0]!], ['bob', bobRecords[0]!]] as const) {
      report(`${who}'s record ends ${r.endedAt - clickAt} ms after the click (restart was ${restartAt - clickAt} ms after it)`);
      expect(Math.abs(r.endedAt - clickAt)).toBeLessThanOrEqual(END_TIME_TOLERANCE_MS);
      // The duration is the talk time up to the click, not the downtime after it.
      expect(Math.abs(r.durationSec - (r.endedAt - r.answeredAt!) / 1000)).toBeLessThanOrEqual(1);
    }
    expect(server.historyOf(callId)).toHaveLength(2);
  });
});
