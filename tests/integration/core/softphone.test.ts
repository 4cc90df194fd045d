import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import { MemoryStore } from '../../../src/core/ports.js';
import { createPhone, signIn, waitForState } from '../../helpers/phone.js';
import { TEST_PASSWORD } from '../../helpers/server.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const phones: Softphone[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const p of phones) await p.stop();
  await server.stop();
});

async function phone(username: string, kind: 'desktop' | 'web' = 'desktop') {
  const p = await signIn(server, username, kind);
  phones.push(p);
  return p;
}

describe('softphone core against a real server', () => {
  it('places, answers, relays signaling and hangs up; both histories show the call', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const bobWeb = await phone('bob', 'web');
    const rings: string[] = [];
    bob.on('ring', (c) => rings.push(c.callId));

    const out = await alice.dial({ username: 'bob' });
    expect(out.local).toBe('ringing-out');
    await waitForState(bob, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'ringing-in'));
    expect(rings).toEqual([out.callId]);
    await waitForState(bobWeb, (s) => s.calls.some((c) => c.local === 'ringing-in'));

    const stopped = new Promise((resolve) => bobWeb.on('ring-stopped', resolve));
    const answered = await bob.answer(out.callId);
    expect(answered.local).toBe('active');
    await stopped;
    await waitForState(bobWeb, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'elsewhere'));
    const a = await waitForState(alice, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'active'));
    expect(a.calls[0]!.isOfferer).toBe(true);

    const got = new Promise<unknown>((resolve) => bob.on('signal', resolve));
    await alice.sendSignal(out.callId, { type: 'offer', sdp: 'v=0 test' });
    expect(await got).toMatchObject({ callId: out.callId, signal: { type: 'offer', sdp: 'v=0 test' } });

    await bob.dtmf(out.callId, '12#');
    await waitForState(alice, (s) => s.calls.find((c) => c.callId === out.callId)?.receivedDigits === '12#');

    await alice.hangup(out.callId);
    await waitForState(bob, (s) => s.calls.find((c) => c.callId === out.callId)?.local === 'ended');
    const ah = await waitForState(alice, (s) => s.history.some((r) => r.callId === out.callId));
    expect(ah.history[0]).toMatchObject({ callId: out.callId, outcome: 'completed', direction: 'outgoing' });
    await waitForState(bob, (s) => s.history.some((r) => r.callId === out.callId && r.direction === 'incoming'));
  });

  it('reconnects after the server restarts and keeps the answered call', async () => {
    const dataDir = server.dataDir;
    const alice = await phone('carol');
    const bob = await phone('dave');
    const call = await alice.dial({ username: 'dave' });
    await waitForState(bob, (s) => s.calls.some((c) => c.local === 'ringing-in'));
    await bob.answer(call.callId);
    await waitForState(alice, (s) => s.calls.some((c) => c.local === 'active'));

    const port = server.port;
    await server.stop();
    await waitForState(alice, (s) => s.connection === 'reconnecting');
    server = await startTestServer({ dataDir, port });
    await waitForState(alice, (s) => s.connection === 'connected', 10_000);
    await waitForState(bob, (s) => s.connection === 'connected', 10_000);
    expect(alice.snapshot().calls.find((c) => c.callId === call.callId)?.local).toBe('active');
    await bob.hangup(call.callId);
    await waitForState(alice, (s) => s.calls.find((c) => c.callId === call.callId)?.local === 'ended');
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
  });

  it('hang-up with the server down ends the call here at once; the server is told after the reconnect', async () => {
    const dataDir = server.dataDir;
    const alice = await phone('hank');
    const bob = await phone('hilda');
    const call = await alice.dial({ username: 'hilda' });
    await waitForState(bob, (s) => s.calls.some((c) => c.callId === call.callId && c.local === 'ringing-in'));
    await bob.answer(call.callId);
    await waitForState(alice, (s) => s.calls.some((c) => c.callId === call.callId && c.local === 'active'));
    const released: string[] = [];
    alice.on('media-released', ({ callId }) => released.push(callId));

    const port = server.port;
    await server.stop();
    await waitForState(alice, (s) => s.connection === 'reconnecting');
    // Resolves without the server (no "Not connected… Try again"), the call is over here, media released.
    await alice.hangup(call.callId);
    expect(alice.snapshot().calls.find((c) => c.callId === call.callId)).toMatchObject({ local: 'ended', outcome: 'completed', endReason: 'hangup' });
    expect(released).toEqual([call.callId]);

    server = await startTestServer({ dataDir, port });
    // The queued hang-up reaches the server on reconnect: the far end sees the end, both get one record.
    await waitForState(bob, (s) => s.calls.find((c) => c.callId === call.callId)?.local === 'ended', 15_000, 'far end sees the hang-up');
    await waitForState(alice, (s) => s.history.some((r) => r.callId === call.callId), 10_000, 'history after reconnect');
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
    // The call never comes back to life here.
    expect(alice.snapshot().calls.find((c) => c.callId === call.callId)?.local ?? 'ended').toBe('ended');
  });

  it('after a reconnect, lists its history again only when the server has newer records; seen flags follow', async () => {
    /** Counts `history:list` requests of every socket from now on. */
    const lists = new Map<string, number>();
    server.io.on('connection', (socket) => {
      socket.onAny((event: string) => {
        if (event !== 'history:list') return;
        const user = (socket.data as { ctx: { user: { username: string } } }).ctx.user.username;
        lists.set(user, (lists.get(user) ?? 0) + 1);
      });
    });
    /** The core writes its session as the last step of its post-connect sync. */
    class SyncedStore extends MemoryStore {
      private waiters: (() => void)[] = [];
      override async set(key: string, value: unknown): Promise<void> {
        await super.set(key, value);
        if (key !== 'session') return;
        for (const w of this.waiters.splice(0)) w();
      }
      /** The next session write. */
      next(timeoutMs = 5_000): Promise<void> {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no sync within the timeout')), timeoutMs);
          this.waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
    const store = new SyncedStore();
    const erin = await signIn(server, 'erin', 'desktop', { store });
    phones.push(erin);
    const erinWeb = await phone('erin', 'web');
    const frank = await phone('frank');
    const reconnect = async () => {
      const synced = store.next();
      erin.wake('test');
      await synced;
    };

    // A missed call: a record on both sides, delivered live.
    const first = await frank.dial({ username: 'erin' });
    await waitForState(erin, (s) => s.calls.some((c) => c.callId === first.callId && c.local === 'ringing-in'));
    await frank.hangup(first.callId);
    await waitForState(erin, (s) => s.history[0]?.callId === first.callId && s.missedCount === 1);
    const listed = lists.get('erin') ?? 0;

    // Nothing new: the cached history is kept, no list request.
    await reconnect();
    expect(lists.get('erin') ?? 0).toBe(listed);
    expect(erin.snapshot().history[0]).toMatchObject({ callId: first.callId, seen: false });

    // Another device marked the missed call seen: the flag follows without listing.
    await erinWeb.markHistorySeen();
    await reconnect();
    expect(lists.get('erin') ?? 0).toBe(listed);
    expect(erin.snapshot().history[0]).toMatchObject({ callId: first.callId, seen: true });

    // A call ended while this device was away: its record arrives with the next sync's list.
    await erin.stop();
    await erinWeb.stop();
    const second = await frank.dial({ username: 'erin' });
    await frank.hangup(second.callId);
    await waitForState(frank, (s) => s.history[0]?.callId === second.callId);
    const synced = store.next();
    expect(await erin.restore()).toBe(true);
    await synced;
    const back = erin.snapshot();
    expect(lists.get('erin') ?? 0).toBe(listed + 1);
    expect(back.history.map((r) => r.callId)).toEqual([second.callId, first.callId]);
    expect(back.missedCount).toBe(1);
  });

  it('instances sharing one store (browser tabs) rotate the refresh token without tripping reuse detection', async () => {
    await server.addUser('tabby');
    const store = new MemoryStore();
    let queue = Promise.resolve();
    // What the web host does with the Web Locks API: one refresh at a time across tabs.
    const exclusive = <T,>(_name: string, fn: () => Promise<T>): Promise<T> => {
      const run = queue.then(fn);
      queue = run.then(() => undefined, () => undefined);
      return run;
    };
    const first = createPhone('tabby', 'web', { store, exclusive });
    phones.push(first);
    await first.login(server.url, 'tabby', TEST_PASSWORD);
    await waitForState(first, (s) => s.connection === 'connected');
    // A second tab opens: it restores from the shared store, which rotates the token.
    const second = createPhone('tabby', 'web', { store, exclusive });
    phones.push(second);
    expect(await second.restore()).toBe(true);
    await waitForState(second, (s) => s.connection === 'connected');
    // The first tab's scheduled refresh comes later (normally driven by a timer).
    await first.refreshSession();
    await second.refreshSession();
    await first.refreshSession();
    expect(first.snapshot().phase).toBe('signed-in');
    expect(second.snapshot().phase).toBe('signed-in');
    // Both still work against the server.
    // Both still work against the server: HTTP with the rotated access token…
    await expect(first.iceServers()).resolves.toEqual(expect.any(Array));
    await expect(second.iceServers()).resolves.toEqual(expect.any(Array));
    // …and the socket: a status set in one tab reaches the other through the server.
    await first.setStatus('away');
    await waitForState(second, (s) => s.status === 'away', 5_000, 'second tab follows');
  });
});
