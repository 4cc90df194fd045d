/**
 * Load generator with REAL softphone cores: each device is a `Softphone` from
 * src/core (production defaults: 30 s heartbeat, reconnect backoff 500 ms base
 * with full jitter, 30 s cap) resumed with `restore()` from a pre-populated
 * MemoryStore session (server URL, refresh token, user), exactly as the
 * desktop app resumes at launch. Used by the reconnect storm.
 *
 * "Registered" = connected and synced: the core persists its session as the
 * last step of its post-connect sync, so the first session write after a
 * `connected` event marks the device usable again.
 */
import { Softphone } from '../../src/core/softphone.js';
import type { SessionState } from '../../src/shared/contract.js';
import { serveCommands } from '../lib/worker-protocol.js';
import { ObservedStore, SyncWatcher } from './observed-store.js';

interface PhoneSpec {
  userId: string;
  username: string;
  displayName: string;
  deviceId: string;
  refreshToken: string;
}

interface Phone {
  spec: PhoneSpec;
  core: Softphone;
  sync: SyncWatcher;
}

const phones: Phone[] = [];
let armed = false;

function waitForState(p: Phone, pred: (s: SessionState) => boolean, timeoutMs: number, what: string): Promise<SessionState> {
  const now = p.core.snapshot();
  if (pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${p.spec.username}: timed out waiting for ${what}`));
    }, timeoutMs);
    const off = p.core.on('state', (s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

function createPhone(url: string, spec: PhoneSpec): Phone {
  const store = new ObservedStore();
  const core = new Softphone({
    device: { deviceId: spec.deviceId, kind: 'desktop', name: `${spec.username} desk`, appVersion: 'bench' },
    store,
  });
  const p: Phone = { spec, core, sync: new SyncWatcher(core, store) };
  void store.set('session', { serverUrl: url, refreshToken: spec.refreshToken, user: { id: spec.userId, username: spec.username, displayName: spec.displayName } });
  return p;
}

const callOf = (s: SessionState, callId: string) => s.calls.find((c) => c.callId === callId);

serveCommands({
  /** Restores every phone's session (limited concurrency) and waits until each is registered. */
  async start(args: { url: string; phones: PhoneSpec[]; concurrency: number; timeoutMs: number }) {
    const started = performance.now();
    let ok = 0;
    let next = 0;
    const lane = async () => {
      while (next < args.phones.length) {
        const p = createPhone(args.url, args.phones[next++]!);
        phones.push(p);
        await p.core.restore();
        if (await p.sync.synced(args.timeoutMs)) ok++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(args.concurrency, args.phones.length) }, lane));
    return { registered: ok, total: phones.length, ms: performance.now() - started };
  },

  /**
   * Places calls between phones of this worker: `complete` (answered, then hung up),
   * `keep` (answered and left up), `ring` (left ringing). Returns the call ids per kind.
   */
  async calls(args: { pairs: [number, number, 'complete' | 'keep' | 'ring'][]; timeoutMs: number }) {
    const out: Record<'complete' | 'keep' | 'ring', { callId: string; caller: number; callee: number }[]> = { complete: [], keep: [], ring: [] };
    await Promise.all(
      args.pairs.map(async ([a, b, kind]) => {
        const caller = phones[a]!;
        const callee = phones[b]!;
        const call = await caller.core.dial({ userId: callee.spec.userId });
        await waitForState(callee, (s) => callOf(s, call.callId)?.local === 'ringing-in', args.timeoutMs, 'ring');
        if (kind !== 'ring') {
          await callee.core.answer(call.callId);
          await waitForState(caller, (s) => callOf(s, call.callId)?.local === 'active', args.timeoutMs, 'answered');
        }
        if (kind === 'complete') {
          await caller.core.hangup(call.callId);
          await waitForState(callee, (s) => callOf(s, call.callId)?.local === 'ended' || !callOf(s, call.callId), args.timeoutMs, 'ended');
        }
        out[kind].push({ callId: call.callId, caller: a, callee: b });
      }),
    );
    return out;
  },

  /** From now on, note when each phone is registered again (after the server restart). */
  arm() {
    armed = true;
    for (const p of phones) p.sync.rearm();
    return { armedAt: Date.now() };
  },

  status() {
    const times = phones.map((p) => p.sync.syncedAt).filter((t): t is number => t !== null);
    return { armed, total: phones.length, reregistered: times.length, reregisteredAt: times };
  },

  /** The kept calls survived the restart: each caller hangs up, both sides see the end. */
  async hangup(args: { calls: { callId: string; caller: number; callee: number }[]; timeoutMs: number }) {
    let ok = 0;
    const failures: string[] = [];
    await Promise.all(
      args.calls.map(async ({ callId, caller, callee }) => {
        try {
          const c = phones[caller]!;
          await waitForState(c, (s) => callOf(s, callId)?.local === 'active', args.timeoutMs, 'call restored');
          await c.core.hangup(callId);
          await waitForState(phones[callee]!, (s) => callOf(s, callId)?.local === 'ended' || !callOf(s, callId), args.timeoutMs, 'ended');
          ok++;
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }),
    );
    return { ok, failures: failures.slice(0, 5) };
  },

  async exit() {
    await Promise.all(phones.map((p) => p.core.stop()));
  },
});
