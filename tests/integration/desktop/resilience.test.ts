/**
 * Never miss a call across bad networks: a connection that dies without a
 * FIN is replaced within two heartbeat intervals, and calls missed while
 * the desktop was offline are announced once it is back — exactly once,
 * also across an app restart. A TCP proxy the test controls sits between
 * the desktop's core and the real server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import { signIn, waitForState } from '../../helpers/phone.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { startDesktop, type StartDesktopOptions, type TestDesktop } from './desktop-harness.js';
import { TcpProxy } from './tcp-proxy.js';

const RING_TIMEOUT_MS = 1_000;
let server: TestServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // Short ring timeout: unanswered calls become missed quickly.
  server = await startTestServer({ ringTimeoutMs: RING_TIMEOUT_MS });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await server.stop();
});

async function proxy(): Promise<TcpProxy> {
  const p = await TcpProxy.start({ host: '127.0.0.1', port: server.port });
  cleanups.push(() => p.close());
  return p;
}
async function desktop(username: string, o?: StartDesktopOptions): Promise<TestDesktop> {
  const d = await startDesktop(server, username, o);
  cleanups.push(() => d.stop());
  return d;
}
async function phone(username: string): Promise<Softphone> {
  const p = await signIn(server, username, 'web');
  cleanups.push(() => p.stop());
  return p;
}

/** bob calls and nobody answers: the call ends as missed after the ring timeout. */
async function missedCallFrom(bob: Softphone, to: string): Promise<string> {
  const call = await bob.dial({ username: to });
  await waitForState(
    bob,
    (s) => s.calls.some((c) => c.callId === call.callId && c.local === 'ended' && c.outcome === 'missed'),
    RING_TIMEOUT_MS * 10,
    'the call to time out as missed',
  );
  return call.callId;
}

describe('dead connections', () => {
  it('replaces a connection that stopped carrying data (no FIN) within two heartbeat intervals', async () => {
    const HEARTBEAT_MS = 800;
    const net = await proxy();
    const alice = await desktop('zombie-alice', { serverUrl: net.url, core: { heartbeatIntervalMs: HEARTBEAT_MS } });
    const bob = await phone('zombie-bob');
    const connects = alice.phone.stats.connects;
    let detectedAt = 0;
    alice.phone.on('connection', (c) => {
      if (c === 'reconnecting' && !detectedAt) detectedAt = performance.now();
    });

    const t0 = performance.now();
    expect(net.freeze()).toBeGreaterThan(0);
    // Awaited with a timeout several times the requirement; the measured times are checked below.
    await alice.state(
      (s) => s.connection === 'connected' && alice.phone.stats.connects > connects,
      'a replacement connection',
      HEARTBEAT_MS * 2 * 4,
    );
    const detected = detectedAt - t0;
    const replaced = performance.now() - t0;
    expect(alice.phone.stats.zombiesDetected).toBe(1);
    // At most one interval until the next ping, plus one interval without an answer
    // (plus timer slack on a busy machine).
    expect(detected).toBeLessThanOrEqual(HEARTBEAT_MS * 2 + 400);
    // Replacing is one reconnect on loopback (no backoff wait after a detected zombie).
    expect(replaced - detected).toBeLessThan(1_000);
    console.info(`dead connection detected after ${detected.toFixed(0)} ms, replaced after ${replaced.toFixed(0)} ms (heartbeat ${HEARTBEAT_MS} ms)`);

    // And the device is reachable through the new connection.
    const call = await bob.dial({ username: 'zombie-alice' });
    await alice.until(() => alice.os.notifier.openOfKind('incoming-call')[0], 'rings on the new connection');
    await bob.hangup(call.callId);
  });
});

describe('calls missed while offline', () => {
  it('are announced after reconnecting, once, with the badge and the tray dot; a restart does not repeat them', async () => {
    const net = await proxy();
    const alice = await desktop('off-alice', { serverUrl: net.url });
    const bob = await phone('off-bob');
    expect(alice.os.shell.badge).toBe(0);

    net.goOffline();
    await alice.state((s) => s.connection === 'reconnecting', 'alice lost the network');
    await missedCallFrom(bob, 'off-alice');
    expect(alice.os.notifier.openOfKind('missed-calls')).toHaveLength(0);

    net.goOnline();
    const note = await alice.until(() => alice.os.notifier.openOfKind('missed-calls')[0], 'missed-call notification after reconnect', 10_000);
    expect(note.notice.title).toBe('Missed call');
    expect(note.notice.body).toMatch(/^Off-bob called at /);
    expect(note.notice.actions).toEqual([{ key: 'call-back', label: 'Call back' }]);
    expect(alice.os.shell.badge).toBe(1);
    await alice.until(() => alice.os.tray.last?.missed === true, 'tray dot');
    expect(alice.os.tray.last?.tooltip).toContain('1 missed call');

    // Reconnecting again (wake) does not announce it twice.
    const connects = alice.phone.stats.connects;
    alice.phone.wake('test');
    await alice.state((s) => s.connection === 'connected' && alice.phone.stats.connects > connects, 'reconnected');
    await alice.desktop.settled();
    expect(alice.os.notifier.all.filter((n) => n.notice.kind === 'missed-calls')).toHaveLength(1);

    // Call back from the notification dials bob.
    note.invoke('call-back');
    await waitForState(bob, (s) => s.calls.some((c) => c.local === 'ringing-in'), 5_000, 'bob is called back');
    const back = await alice.state((s) => s.calls.some((c) => c.local === 'ringing-out'), 'calling back');
    await alice.phone.hangup(back.calls.find((c) => c.local === 'ringing-out')!.callId);

    // The app quits; another call is missed while it is not running.
    await alice.stop();
    await missedCallFrom(bob, 'off-alice');

    // Restart on the same machine (same store): only the new call is announced.
    const again = await desktop('off-alice', { store: alice.store, login: false, os: undefined });
    expect(await again.phone.restore()).toBe(true);
    const note2 = await again.until(() => again.os.notifier.openOfKind('missed-calls')[0], 'announcement after restart', 10_000);
    await again.desktop.settled();
    expect(again.os.notifier.all.filter((n) => n.notice.kind === 'missed-calls')).toHaveLength(1);
    expect(note2.notice.title).toBe('Missed call');
    await again.until(() => again.os.shell.badge === 2, 'badge counts both unseen missed calls');

    // Seen (on any device): badge and dot go, the notification is withdrawn.
    await again.phone.markHistorySeen();
    await again.until(() => again.os.shell.badge === 0 && again.os.tray.last?.missed === false && note2.closed, 'cleared');
  });

  it('groups missed calls that arrive close together into one growing notification', async () => {
    const net = await proxy();
    const alice = await desktop('grp-alice', { serverUrl: net.url });
    const bob = await phone('grp-bob');
    const carol = await phone('grp-carol');

    // Two calls missed while offline arrive in one sync: one notification.
    net.goOffline();
    await alice.state((s) => s.connection === 'reconnecting', 'offline');
    await Promise.all([missedCallFrom(bob, 'grp-alice'), missedCallFrom(carol, 'grp-alice')]);
    net.goOnline();
    const first = await alice.until(() => alice.os.notifier.openOfKind('missed-calls')[0], 'grouped notification', 10_000);
    expect(first.notice.title).toBe('2 missed calls');
    expect(first.notice.body).toMatch(/Grp-(bob|carol), Grp-(bob|carol)/);

    // One more, live, soon after: the same notification now says 3.
    await missedCallFrom(bob, 'grp-alice');
    const grown = await alice.until(
      () => alice.os.notifier.openOfKind('missed-calls').find((n) => n.notice.title === '3 missed calls'),
      'the group grows',
    );
    expect(grown.notice.tag).toBe(first.notice.tag);
    expect(first.closed).toBe(true);
    expect(alice.os.notifier.openOfKind('missed-calls')).toHaveLength(1);
    expect(grown.notice.body).toMatch(/Grp-bob \(2\)/);
    expect(alice.os.shell.badge).toBe(3);
  });
});
