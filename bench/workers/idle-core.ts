/**
 * Idle cost of ONE softphone core in its own process: connected, nothing
 * happening. Counts timer callbacks that actually fire (async_hooks: every
 * `Timeout` resource seen in `init`, counted in `before`) and CPU time
 * (process.cpuUsage) between `start` and `stop`. The runner times the window
 * from its own process, so this process's only wake-ups are its own.
 *
 * Modes: `core` = a real Softphone resumed with restore() (production
 * defaults); `bare` = a bare socket.io-client socket on the same server
 * (transport pings only): the floor any socket.io client pays.
 */
import { createHook } from 'node:async_hooks';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { Softphone } from '../../src/core/softphone.js';
import { serveCommands } from '../lib/worker-protocol.js';
import { ObservedStore, SyncWatcher } from './observed-store.js';

// ── wake-up accounting (enabled before anything creates a timer) ──
const timerSource = new Map<number, string>();
const fired = new Map<string, number>();
let counting = false;

/**
 * Where a timer was created: the names of the first two functions outside Node's
 * internals and this accounting (no source maps: mapping every stack would cost the
 * measured process CPU; esbuild keeps function names).
 */
function creationSite(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  const frames = stack
    .map((l) => l.trim().replace(/^at /, ''))
    .filter((l) => !l.includes('node:internal') && !l.includes('node:timers') && !/creationSite|emitInit|AsyncHook/.test(l))
    .map((l) => l.replace(/ \(.*\)$/, '').replace(/^async /, ''));
  return frames.slice(0, 2).join(' ← ') || 'unknown';
}

createHook({
  init(asyncId, type) {
    if (type === 'Timeout') timerSource.set(asyncId, creationSite());
  },
  before(asyncId) {
    if (!counting) return;
    const src = timerSource.get(asyncId);
    if (src !== undefined) fired.set(src, (fired.get(src) ?? 0) + 1);
  },
  destroy(asyncId) {
    timerSource.delete(asyncId);
  },
}).enable();

// Garbage collections during the window (a full GC of an idle heap is the largest single CPU cost).
const gcs: { atMs: number; ms: number; kind: number }[] = [];
/** When the last garbage collection ended (performance.now()), window or not. */
let lastGcEnd = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) lastGcEnd = Math.max(lastGcEnd, e.startTime + e.duration);
  if (!counting) return;
  for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    gcs.push({ atMs: e.startTime - t0, ms: e.duration, kind: e.detail?.kind ?? 0 });
  }
}).observe({ entryTypes: ['gc'] });

let phone: Softphone | null = null;
let socket: Socket | null = null;
let cpu0 = process.cpuUsage();
let t0 = 0;

interface ConnectArgs {
  url: string;
  mode: 'core' | 'bare';
  user: { id: string; username: string; displayName: string };
  deviceId: string;
  refreshToken: string;
  accessToken: string;
}

serveCommands({
  async connect(args: ConnectArgs) {
    if (args.mode === 'bare') {
      const s = io(args.url, {
        transports: ['websocket'],
        reconnection: false,
        auth: { token: args.accessToken, deviceId: args.deviceId, deviceKind: 'desktop', deviceName: 'bench idle', appVersion: 'bench' },
      });
      socket = s;
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      await s.timeout(10_000).emitWithAck('session:sync', { calls: [] });
      return { connected: true };
    }
    const store = new ObservedStore();
    await store.set('session', { serverUrl: args.url, refreshToken: args.refreshToken, user: args.user });
    const p = new Softphone({
      device: { deviceId: args.deviceId, kind: 'desktop', name: 'bench idle', appVersion: 'bench' },
      store,
    });
    phone = p;
    const sync = new SyncWatcher(p, store);
    await p.restore();
    if (!(await sync.synced(30_000))) throw new Error('the core did not connect and sync');
    return { connected: true };
  },
  /** Milliseconds since the last garbage collection (or since the process started). */
  sinceGc() {
    return performance.now() - lastGcEnd;
  },
  start() {
    fired.clear();
    gcs.length = 0;
    counting = true;
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    return null;
  },
  stop() {
    counting = false;
    const cpu = process.cpuUsage(cpu0);
    const windowMs = performance.now() - t0;
    const sources = [...fired.entries()].map(([source, count]) => ({ source, count })).sort((a, b) => b.count - a.count);
    return {
      windowMs,
      wakeups: sources.reduce((s, x) => s + x.count, 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
      sources,
      heartbeats: phone?.stats.heartbeats ?? 0,
      gc: { count: gcs.length, ms: gcs.reduce((a, g) => a + g.ms, 0), longest: gcs.sort((a, b) => b.ms - a.ms).slice(0, 3) },
    };
  },
  async exit() {
    await phone?.stop();
    socket?.disconnect();
  },
});
