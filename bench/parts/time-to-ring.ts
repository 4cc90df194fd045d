/**
 * Part 4 — time to ring and time to audio, in real Chromium over real WebRTC.
 *
 * Parties: the desktop app from the headless desktop harness (the real core
 * in this process, the real renderer in its own Chromium, fake microphone
 * 440 Hz) calls the web softphone (the real renderer with its core in the
 * page, its own Chromium, 660 Hz). The server under test is the built bundle
 * (as in every part); it serves the renderer built from the sources under
 * test (bench/lib/renderer-build.ts). Everything is on loopback inside the
 * bench's network namespace.
 *
 * Per call, timestamps are taken where things happen, all on the machine's
 * one clock (epoch ms with sub-ms resolution: `performance.timeOrigin +
 * performance.now()` in Node and in each page; bench/lib/page-probe.ts):
 *
 *   time to ring   the caller's core is asked to dial (it sends `call:invite`
 *                  at once) → the first animation frame that shows the callee's
 *                  incoming-call dialog (MutationObserver + requestAnimationFrame);
 *   time to audio  the callee's `call:accept` frame leaves its WebSocket → the
 *                  first analyser frame in the caller's page where the callee's
 *                  660 Hz tone stands well above the noise floor of the remote stream.
 *
 * The invite is timed at the core, not at the click: in the harness the page
 * reaches the core through DevTools bindings, a hop Electron's IPC does not
 * have; the from-click figures are reported too. Each measured call is placed
 * by clicking "Call Bob" in the desktop window, answered by clicking "Answer"
 * in the web page, must carry audio both ways, and is then hung up.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { addUser } from '../../src/server/accounts.js';
import type { HostEvent } from '../../src/shared/contract.js';
import { SqliteStorage } from '../../src/server/store/sqlite.js';
import { openDesktop, type DesktopApp } from '../../tests/harness/desktop.js';
import { rendererUrl, type HarnessServer } from '../../tests/harness/urls.js';
import { signInThroughUi } from '../../tests/harness/web.js';
import { launchChromium } from '../../tests/helpers/chromium.js';
import { waitForState } from '../../tests/helpers/phone.js';
import { TEST_PASSWORD } from '../../tests/helpers/server.js';
import { toneFile } from '../../tests/helpers/tones.js';
import { track } from '../lib/children.js';
import { PAGE_PROBE, type PageProbeApi, type ProbeMarks } from '../lib/page-probe.js';
import { buildRenderer } from '../lib/renderer-build.js';
import { freePort, ServerUnderTest } from '../lib/server-process.js';
import { percentile, round } from '../lib/stats.js';
import type { BenchPart, Milestone, PartContext, TimeToAudioResult, TimeToRingResult } from '../lib/types.js';

const DESKTOP_HZ = 440;
const WEB_HZ = 660;
const CALLER = { username: 'alice', displayName: 'Alice' };
const CALLEE = { username: 'bob', displayName: 'Bob' };
/** Waits are several times the targets: a slow call is measured, not cut short. */
const RING_WAIT_MS = 10_000;
/** The renderer itself gives up on a call without audio after 15 s (SETUP_TIMEOUT_MS). */
const AUDIO_WAIT_MS = 16_000;
const SETTLE_WAIT_MS = 15_000;

const epochNow = () => performance.timeOrigin + performance.now();

/** Marks taken in this process, around the desktop app's core. */
class HostMarks {
  marks: ProbeMarks = {};
  private known = new Set<string>();
  callId: string | null = null;

  constructor(private readonly app: DesktopApp) {
    // The page's "Call" click reaches the core as bridge.invoke('call.dial'); the core sends
    // the invite from there without waiting for anything else.
    const invoke = app.bridge.invoke.bind(app.bridge);
    app.bridge.invoke = (channel: unknown, payload: unknown) => {
      if (channel === 'call.dial') this.mark('dial');
      // The renderer's offer reaches the core (the harness's page → host hop ends here).
      if (channel === 'call.signal' && (payload as { signal?: { type?: string } } | null)?.signal?.type === 'offer') this.mark('offerToCore');
      return invoke(channel, payload);
    };
    app.phone.on('state', (s) => {
      for (const c of s.calls) {
        if (!this.isCurrent(c.callId)) continue;
        if (c.local === 'ringing-out') this.mark('ringingOut');
        if (c.local === 'active') this.mark('answered');
      }
    });
    // What the host hands to the page, when it hands it (the host → page hops start here).
    app.bridge.subscribe((event, payload) => {
      if (event === 'session') {
        const calls = (payload as HostEvent<'session'>).calls;
        if (calls.some((c) => c.local === 'active' && this.isCurrent(c.callId))) this.mark('bridgeActive');
      } else if (event === 'call.signal') {
        const m = payload as HostEvent<'call.signal'>;
        if (m.signal.type === 'answer' && this.isCurrent(m.callId)) this.mark('bridgeAnswer');
      }
    });
  }

  private isCurrent(callId: string): boolean {
    if (this.known.has(callId)) return false;
    this.callId ??= callId;
    return callId === this.callId;
  }

  mark(key: string): void {
    this.marks[key] ??= epochNow();
  }

  /** Starts a new call's record; calls seen so far are ignored from now on. */
  arm(): void {
    for (const c of this.app.phone.snapshot().calls) this.known.add(c.callId);
    if (this.callId) this.known.add(this.callId);
    this.callId = null;
    this.marks = {};
  }
}

interface WebParty {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** The web softphone with the probe installed before the page's scripts (its socket is made at start). */
async function openWebWithProbe(browser: Browser, server: HarnessServer, username: string): Promise<WebParty> {
  try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.addInitScript({ content: PAGE_PROBE });
    const page = await context.newPage();
    await page.goto(rendererUrl(server));
    await signInThroughUi(page, username);
    return { browser, page, close: () => browser.close() };
  } catch (err) {
    await browser.close().catch(() => undefined);
    throw err;
  }
}

type ProbeWindow = Window & { __bench: PageProbeApi };

const arm = (page: Page, hz: number) => page.evaluate((h) => (window as unknown as ProbeWindow).__bench.arm(h), hz);
const disarm = (page: Page) => page.evaluate(() => (window as unknown as ProbeWindow).__bench.disarm());
const marksOf = (page: Page) => page.evaluate(() => (window as unknown as ProbeWindow).__bench.marks());
const waitMark = (page: Page, key: string, timeoutMs: number) =>
  page.evaluate(([k, t]) => (window as unknown as ProbeWindow).__bench.wait(k, t), [key, timeoutMs] as const);

/**
 * The page's clock minus this process's (both epoch ms): the reading with the
 * shortest round trip of a few; |offset| ≤ rtt / 2 means the clocks agree.
 */
async function clockOffset(page: Page): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: NaN, rttMs: Infinity };
  for (let i = 0; i < 10; i++) {
    const t1 = epochNow();
    const tp = await page.evaluate(() => (window as unknown as ProbeWindow).__bench.now());
    const t2 = epochNow();
    if (t2 - t1 < best.rttMs) best = { offsetMs: tp - (t1 + t2) / 2, rttMs: t2 - t1 };
  }
  return { offsetMs: round(best.offsetMs, 3), rttMs: round(best.rttMs, 3) };
}

/** Creates the two accounts (the same code as `user add`) before the server starts. */
async function createAccounts(dataDir: string): Promise<Map<string, string>> {
  fs.mkdirSync(dataDir, { recursive: true });
  const storage = SqliteStorage.open(dataDir);
  try {
    const ids = new Map<string, string>();
    for (const u of [CALLER, CALLEE]) ids.set(u.username, (await addUser(storage.accounts, u.username, u.displayName, TEST_PASSWORD)).id);
    return ids;
  } finally {
    await storage.close();
  }
}

/** One call's timings (ms), from the marks of the runner and both pages. */
interface CallTimes {
  ring: number;
  ringFromClick: number;
  audio: number;
  audioFromClick: number;
  calleeAudio: number;
  /**
   * The desktop's host ↔ page hops on the time-to-audio path (in the harness the DevTools
   * protocol, where the Electron app has IPC): the active snapshot to the page, the offer to
   * the core, the answer to the page. NaN when a mark is missing.
   */
  hops: { snapshot: number; offer: number; answer: number };
  /** The caller's detector when it fired: tone bin and median bin (dBFS). */
  toneDb: number;
  floorDb: number;
  /** Milestone → ms since the interval's start (ring: invite; audio: accept). */
  ringSteps: Record<string, number>;
  audioSteps: Record<string, number>;
}

const RING_STEPS: [string, string][] = [
  ["caller's core has the invite's ack", 'host:ringingOut'],
  ['callee socket receives call:incoming', 'web:ws:call:incoming-in'],
  ['incoming-call dialog in the DOM', 'web:ringDom'],
  ['incoming-call dialog on screen', 'web:ringFrame'],
];
const AUDIO_STEPS: [string, string][] = [
  ["caller's core: answered", 'host:answered'],
  ["caller's page receives the active snapshot (host → page)", 'desktop:hostActive'],
  ['caller shows the call active', 'desktop:activeDom'],
  ['caller microphone open', 'desktop:gumEnd'],
  ['caller applies its offer', 'desktop:offerSet'],
  ["caller's core has the offer (page → host)", 'host:offerToCore'],
  ['callee receives the offer', 'web:offerIn'],
  ['callee applies its answer', 'web:answerSet'],
  ["caller's page receives the answer (host → page)", 'desktop:hostAnswer'],
  ['caller applies the answer', 'desktop:answerIn'],
  ['caller ICE connected', 'desktop:iceConnected'],
  ['caller ICE + DTLS connected', 'desktop:connected'],
  ['caller decodes any sound', 'desktop:sound'],
  ['caller decodes the callee’s tone', 'desktop:audio'],
  ['callee decodes the caller’s tone', 'web:audio'],
];

function times(all: Record<string, number>): CallTimes {
  const need = (k: string) => {
    const v = all[k];
    if (v === undefined) throw new Error(`mark ${k} missing; marks ${JSON.stringify(all)}`);
    return v;
  };
  const invite = need('host:dial');
  const ringShown = need('web:ringFrame');
  const accept = all['web:ws:call:accept-out'] ?? need('web:click:Answer');
  const steps = (from: number, list: [string, string][]) => {
    const out: Record<string, number> = {};
    for (const [label, key] of list) if (all[key] !== undefined) out[label] = all[key] - from;
    return out;
  };
  return {
    ring: ringShown - invite,
    ringFromClick: ringShown - need('desktop:click:Call Bob'),
    audio: need('desktop:audio') - accept,
    audioFromClick: need('desktop:audio') - need('web:click:Answer'),
    calleeAudio: need('web:audio') - accept,
    hops: {
      snapshot: (all['desktop:hostActive'] ?? NaN) - (all['host:bridgeActive'] ?? NaN),
      // The caller prepares its offer while the call rings and sends it once the active
      // snapshot is in the page: the hop starts at whichever came later.
      offer: (all['host:offerToCore'] ?? NaN) - Math.max(all['desktop:offerSet'] ?? NaN, all['desktop:hostActive'] ?? NaN),
      answer: (all['desktop:hostAnswer'] ?? NaN) - (all['host:bridgeAnswer'] ?? NaN),
    },
    toneDb: all['desktop:audioDb'] ?? NaN,
    floorDb: all['desktop:floorDb'] ?? NaN,
    ringSteps: steps(invite, RING_STEPS),
    audioSteps: steps(accept, AUDIO_STEPS),
  };
}

function milestones(calls: CallTimes[], pick: (c: CallTimes) => Record<string, number>, order: [string, string][]): Milestone[] {
  return order
    .map(([step]) => {
      const v = calls.map(pick).flatMap((s) => (s[step] === undefined ? [] : [s[step]])).sort((a, b) => a - b);
      return { step, medianMs: round(percentile(v, 50)), p95Ms: round(percentile(v, 95)), count: v.length };
    })
    .filter((m) => m.count > 0);
}

const sorted = (v: number[]) => [...v].sort((a, b) => a - b);

export const timeToRingPart: BenchPart<'timeToRing' | 'timeToAudio'> = {
  name: 'ring',
  keys: ['timeToRing', 'timeToAudio'],
  async run(ctx: PartContext) {
    const { calls: callCount, warmupCalls } = ctx.sizes.ring;
    const t0 = performance.now();
    const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    const dataDir = path.join(ctx.runDir, 'ring-data');
    // Set-up is not measured: what does not depend on the server overlaps.
    const [webRoot, ids, webBrowser] = await Promise.allSettled([
      buildRenderer(ctx.build),
      createAccounts(dataDir),
      launchChromium({ microphoneWav: toneFile(WEB_HZ) }),
    ]).then(async (r) => {
      const failed = r.find((x) => x.status === 'rejected');
      if (!failed) return r.map((x) => (x as PromiseFulfilledResult<unknown>).value) as [string, Map<string, string>, Browser];
      if (r[2].status === 'fulfilled') await r[2].value.close().catch(() => undefined);
      throw failed.reason;
    });
    let server: ServerUnderTest;
    try {
      server = await ServerUnderTest.start(ctx.build, {
        kind: 'app',
        port: await freePort(),
        dataDir,
        env: { ...ctx.serverEnv, WEB_ROOT: webRoot },
        logFile: path.join(ctx.runDir, 'ring-app.log'),
      });
    } catch (err) {
      await webBrowser.close().catch(() => undefined);
      throw err;
    }
    ctx.log(`ring: renderer built, web browser up, server ready (${since()})`);
    const harness: HarnessServer = {
      url: server.url,
      async addUser(username) {
        const id = ids.get(username);
        if (!id) throw new Error(`no account ${username} in the ring part`);
        return id;
      },
    };
    let desktop: DesktopApp | undefined;
    let web: WebParty | undefined;
    try {
      const [dr, wr] = await Promise.allSettled([
        openDesktop(harness, CALLER.username, { toneHz: DESKTOP_HZ }),
        openWebWithProbe(webBrowser, harness, CALLEE.username),
      ]);
      // Whatever opened is closed at the end, even if the other party failed.
      if (dr.status === 'fulfilled') {
        desktop = dr.value;
        // Killed with the runner's other children if the run is interrupted.
        track(desktop.chrome.process);
      }
      if (wr.status === 'fulfilled') web = wr.value;
      if (dr.status === 'rejected') throw dr.reason;
      if (wr.status === 'rejected') throw wr.reason;
      const d = desktop!;
      const w = web!;
      // The desktop page is already loaded: everything the probe wraps is looked up per call.
      await d.page.evaluate(PAGE_PROBE);
      const host = new HostMarks(d);
      const callButton = d.page.getByRole('button', { name: `Call ${CALLEE.displayName}` });
      await callButton.waitFor({ timeout: 20_000 });
      const clockOffsetsMs = [
        { page: 'desktop', ...(await clockOffset(d.page)) },
        { page: 'web', ...(await clockOffset(w.page)) },
      ];
      ctx.log(`ring: both parties signed in (${since()}); page clocks vs runner: ${clockOffsetsMs.map((c) => `${c.page} ${c.offsetMs} ms (rtt ${c.rttMs} ms)`).join(', ')}`);

      const oneCall = async (): Promise<CallTimes> => {
        const states = await Promise.all([arm(d.page, WEB_HZ), arm(w.page, DESKTOP_HZ)]);
        if (states.some((s) => s !== 'running')) throw new Error(`an analyser's AudioContext is not running (${states.join(', ')})`);
        host.arm();
        let all: Record<string, number>;
        try {
          await callButton.click();
          await waitMark(w.page, 'ringFrame', RING_WAIT_MS);
          await w.page.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
          // Audio both ways: the caller's figure is the one measured; the callee's must come too.
          await Promise.all([waitMark(d.page, 'audio', AUDIO_WAIT_MS), waitMark(w.page, 'audio', AUDIO_WAIT_MS)]);
          const [dm, wm] = await Promise.all([marksOf(d.page), marksOf(w.page)]);
          all = {};
          for (const [k, v] of Object.entries(host.marks)) all[`host:${k}`] = v;
          for (const [k, v] of Object.entries(dm)) all[`desktop:${k}`] = v;
          for (const [k, v] of Object.entries(wm)) all[`web:${k}`] = v;
        } catch (err) {
          // The call is torn down either way; say what failed first.
          const why = err instanceof Error ? err.message : String(err);
          await endCall(d, w, host.callId).catch((e: unknown) => {
            throw new Error(`${why}; then the call did not end cleanly: ${e instanceof Error ? e.message : String(e)}`);
          });
          throw err;
        }
        await endCall(d, w, host.callId);
        return times(all);
      };

      const warmupMs: { ring: number; audio: number }[] = [];
      for (let i = 0; i < warmupCalls; i++) {
        const t = await oneCall();
        warmupMs.push({ ring: t.ring, audio: t.audio });
        ctx.log(`ring: warm-up call ${i + 1}: ring ${t.ring.toFixed(1)} ms, audio ${t.audio.toFixed(1)} ms`);
      }
      const done: CallTimes[] = [];
      const errors: string[] = [];
      for (let i = 0; i < callCount; i++) {
        try {
          const t = await oneCall();
          done.push(t);
          ctx.log(
            `ring: call ${i + 1}/${callCount}: ring ${t.ring.toFixed(1)} ms, audio ${t.audio.toFixed(1)} ms (callee hears ${t.calleeAudio.toFixed(1)} ms; tone ${t.toneDb.toFixed(0)} dB over a floor of ${t.floorDb.toFixed(0)} dB)`,
          );
        } catch (err) {
          // One failed call is reported and counted; the next call starts clean.
          const msg = err instanceof Error ? err.message : String(err);
          errors.push(msg.slice(0, 500));
          ctx.log(`ring: call ${i + 1}/${callCount} FAILED: ${msg}`);
        }
      }
      if (done.length === 0) throw new Error(`no call completed: ${errors.join(' | ')}`);

      const ring = sorted(done.map((c) => c.ring));
      const ringClick = sorted(done.map((c) => c.ringFromClick));
      const audio = sorted(done.map((c) => c.audio));
      const audioClick = sorted(done.map((c) => c.audioFromClick));
      const callee = sorted(done.map((c) => c.calleeAudio));
      const hopSum = (c: CallTimes) => c.hops.snapshot + c.hops.offer + c.hops.answer;
      const withHops = done.filter((c) => Number.isFinite(hopSum(c)));
      const hopMedian = (pick: (c: CallTimes) => number) => round(percentile(sorted(withHops.map(pick)), 50));
      const timeToRing: TimeToRingResult = {
        status: 'ok',
        medianMs: round(percentile(ring, 50)),
        p95Ms: round(percentile(ring, 95)),
        calls: done.length,
        failedCalls: errors.length,
        errors,
        fromClickMedianMs: round(percentile(ringClick, 50)),
        fromClickP95Ms: round(percentile(ringClick, 95)),
        maxMs: round(ring[ring.length - 1]!),
        samplesMs: done.map((c) => round(c.ring)),
        warmupMs: warmupMs.map((x) => round(x.ring)),
        breakdown: milestones(done, (c) => c.ringSteps, RING_STEPS),
        clockOffsetsMs,
      };
      const timeToAudio: TimeToAudioResult = {
        status: 'ok',
        medianMs: round(percentile(audio, 50)),
        p95Ms: round(percentile(audio, 95)),
        calls: done.length,
        fromClickMedianMs: round(percentile(audioClick, 50)),
        fromClickP95Ms: round(percentile(audioClick, 95)),
        maxMs: round(audio[audio.length - 1]!),
        samplesMs: done.map((c) => round(c.audio)),
        warmupMs: warmupMs.map((x) => round(x.audio)),
        calleeMedianMs: round(percentile(callee, 50)),
        calleeP95Ms: round(percentile(callee, 95)),
        harnessHopsMs: {
          snapshotMedianMs: hopMedian((c) => c.hops.snapshot),
          offerMedianMs: hopMedian((c) => c.hops.offer),
          answerMedianMs: hopMedian((c) => c.hops.answer),
          totalMedianMs: hopMedian(hopSum),
        },
        breakdown: milestones(done, (c) => c.audioSteps, AUDIO_STEPS),
      };
      return { timeToRing, timeToAudio };
    } finally {
      await Promise.allSettled([desktop?.close(), web?.close() ?? webBrowser.close()]);
      await server.stop();
    }
  },
};

/**
 * Hangs the call up from the caller's core and waits until both sides are
 * back where the next call starts: no call up on either side, no media left,
 * contacts shown (the call pane of an ended call stays open until the user leaves it).
 */
async function endCall(d: DesktopApp, w: WebParty, callId: string | null): Promise<void> {
  const live = d.phone.snapshot().calls.filter((c) => c.local !== 'ended' && c.local !== 'elsewhere');
  for (const c of live) await d.phone.hangup(c.callId).catch(() => undefined);
  if (callId && !live.some((c) => c.callId === callId)) await d.phone.hangup(callId).catch(() => undefined);
  await waitForState(d.phone, (s) => s.calls.every((c) => c.local === 'ended' || c.local === 'elsewhere'), SETTLE_WAIT_MS, 'the call ended at the caller');
  // A function, not a string: Playwright evaluates a string predicate with eval once it has
  // to poll, and the page's CSP (script-src 'self') refuses that.
  const idle = () =>
    !document.querySelector('[data-testid="remote-audio"]') &&
    !document.querySelector('[data-call-state="active"]') &&
    !document.querySelector('[role="dialog"][aria-label="Incoming call"]');
  await Promise.all([
    d.page.waitForFunction(idle, undefined, { timeout: SETTLE_WAIT_MS }),
    w.page.waitForFunction(idle, undefined, { timeout: SETTLE_WAIT_MS }),
  ]);
  await Promise.all([disarm(d.page), disarm(w.page)]);
  for (const p of [d.page, w.page]) await p.getByRole('button', { name: 'Contacts', exact: true }).click();
}
