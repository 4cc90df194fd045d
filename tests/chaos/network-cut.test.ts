/**
 * Chaos: one party's network is cut for 10 s in the middle of a call.
 *
 * Media between two Chromiums in one namespace flows over loopback, which
 * cannot be cut for one party only; so Dave's web softphone runs in a network
 * namespace of its own, joined to the test's by a veth pair
 * (tests/helpers/isolated-network.ts): his signaling reaches the server at
 * 10.99.0.1 and his media crosses the veth link to Carol's desktop app
 * (real core in this process, real renderer in Chromium). The cut takes
 * Dave's interface down (his Wi-Fi dropped) for 10 s, then up again:
 *
 * - with the same address: the old ICE pair may resume by itself or the
 *   renderers' recovery (ICE restart, then a fresh session) may win the race;
 *   either way audio returns and the media session is left clean;
 * - with a new address (he came back on another network): nothing of the old
 *   session can resume, so only the renderers' recovery can bring audio back:
 *   new ICE credentials on both sides, media over the new address.
 *
 * Verified each time: media really crossed the link (selected candidate
 * pair); during the cut neither side hears the other and both show the call
 * as reconnecting, not ended; afterwards Dave's client reconnects its
 * signaling (a new connection at the server) and the tones are heard both
 * ways again; the call is still the same call, hang-up works, one record each.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callRegion, incomingDialog, openDesktop, waitForCallState, type DesktopApp } from '../harness/index.js';
import { createIsolatedNetwork, type IsolatedNetwork } from '../helpers/isolated-network.js';
import { waitForState } from '../helpers/phone.js';
import { callIdOf, silenceBothWays, twoWayAudio, waitForConnection, type Party } from './support/calls.js';
import { iceSession, recordPeerConnections, type IceSession } from './support/ice.js';
import { openIsolatedWeb, type IsolatedWebApp } from './support/isolated-web.js';
import { ServerProcess } from './support/server-process.js';

const DESKTOP_HZ = 440;
const WEB_HZ = 660;
/** How long the network stays cut (the requirement). */
const CUT_MS = 10_000;

let network: IsolatedNetwork;
let server: ServerProcess;
let desktop: DesktopApp;
let web: IsolatedWebApp;
let carol: Party;
let dave: Party;

beforeAll(async () => {
  network = await createIsolatedNetwork();
  // 0.0.0.0: reachable on loopback (Carol) and on the veth link (Dave).
  server = await ServerProcess.start({ users: { carol: 'Carol', dave: 'Dave' }, host: '0.0.0.0' });
  [desktop, web] = await Promise.all([
    openDesktop(server, 'carol', { toneHz: DESKTOP_HZ }),
    openIsolatedWeb(network, server, 'dave', { toneHz: WEB_HZ, beforeLoad: recordPeerConnections }),
  ]);
  // The desktop window loaded before the recorder existed: load it again with it.
  await recordPeerConnections(desktop.chrome.context);
  await desktop.page.reload();
  carol = { page: desktop.page, hz: DESKTOP_HZ };
  dave = { page: web.page, hz: WEB_HZ };
});

afterAll(async () => {
  await Promise.allSettled([desktop?.close(), web?.close()]);
  await server?.close();
  await network?.close();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') {
    console.error(`server output (last lines):\n${server.tail(40)}`);
    console.error(`Dave's page console:\n${web.consoleLines.slice(-40).join('\n')}`);
  }
  await network.restore();
  await waitForState(desktop.phone, (s) => s.calls.length === 0, 30_000, 'carol idle');
  await waitForConnection(web.page, 'connected');
  await desktop.page.getByRole('button', { name: 'Contacts' }).click();
});

const daveConnections = () => server.logged('device connected', (e) => e.userId === server.userId('dave')).length;

/** Carol calls Dave; returns the call id and Dave's media session once audio flows both ways over the link. */
async function callOverTheLink(): Promise<{ callId: string; before: IceSession }> {
  await desktop.page.getByRole('button', { name: 'Call Dave' }).click();
  await incomingDialog(web.page).getByRole('button', { name: 'Answer' }).click();
  await waitForCallState(desktop.page, 'Dave', 'active');
  await waitForCallState(web.page, 'Carol', 'active');
  await twoWayAudio(carol, dave);
  const callId = callIdOf(desktop.phone, 'active');
  // The media crosses the veth link (not loopback), so cutting the link cuts the call's audio.
  const before = (await iceSession(web.page))!;
  expect(before).toMatchObject({ state: 'connected', localAddress: network.peerAddress, remoteAddress: network.hostAddress });
  return { callId, before };
}

/** Cuts Dave's link for CUT_MS, checking what both sides do meanwhile; then restores it. */
async function cutForTenSeconds(restore: { newAddress?: string } = {}): Promise<void> {
  const connectionsBefore = daveConnections();
  const cutAt = Date.now();
  await network.cut();
  // During the cut (each check must succeed before the link comes back): silence both ways,
  // Dave's client knows it is offline, both renderers try to recover, nobody hangs up.
  const rest = () => Math.max(1, cutAt + CUT_MS - Date.now());
  await silenceBothWays(carol, dave, rest());
  await waitForConnection(web.page, 'reconnecting', rest());
  await callRegion(desktop.page, 'Dave').getByText('Reconnecting…').waitFor({ timeout: rest() });
  await callRegion(web.page, 'Carol').getByText('Reconnecting…').waitFor({ timeout: rest() });
  await new Promise((r) => setTimeout(r, rest()));
  expect(await callRegion(desktop.page, 'Dave').getAttribute('data-call-state')).toBe('active');
  expect(await callRegion(web.page, 'Carol').getAttribute('data-call-state')).toBe('active');

  await network.restore(restore);
  const restoredAt = Date.now();
  // Signaling: Dave's client opens a new connection to the server.
  await waitForConnection(web.page, 'connected');
  await expect.poll(daveConnections, { timeout: 30_000 }).toBeGreaterThan(connectionsBefore);
  // Media: audio back both ways.
  await twoWayAudio(carol, dave, 30_000);
  console.info(`network cut: audio back both ways ${Date.now() - restoredAt} ms after the link came up`);
}

/** The call goes on (same call, media connected), hang-up works, one durable record each. */
async function hangUpAndCheckRecords(callId: string): Promise<void> {
  await callRegion(desktop.page, 'Dave').getByText('Connected', { exact: true }).waitFor();
  await callRegion(web.page, 'Carol').getByText('Connected', { exact: true }).waitFor();
  expect(desktop.phone.snapshot().calls).toMatchObject([{ callId, local: 'active' }]);
  await callRegion(web.page, 'Carol').getByRole('button', { name: 'Hang up' }).click();
  await waitForCallState(web.page, 'Carol', 'ended');
  await waitForCallState(desktop.page, 'Dave', 'ended');
  expect(server.historyOf(callId)).toEqual([
    { userId: server.userId('dave'), direction: 'incoming', outcome: 'completed', endReason: 'hangup' },
    { userId: server.userId('carol'), direction: 'outgoing', outcome: 'completed', endReason: 'hangup' },
  ]);
}

function mechanism(before: IceSession, after: IceSession): string {
  if (after.localUfrag === before.localUfrag) return 'the old ICE pair resumed';
  return after.index === before.index ? 'an ICE restart' : 'a new peer connection (fresh session)';
}

describe('a party loses its network for 10 s mid-call', () => {
  it('link down, then up with the same address: signaling reconnects, audio returns both ways, the session is left clean', async () => {
    const { callId, before } = await callOverTheLink();
    await cutForTenSeconds();
    // Whichever way audio came back, no offer is left dangling and both ends agree on one session.
    await expect
      .poll(async () => [await iceSession(desktop.page), await iceSession(web.page)].map((s) => `${s?.state}/${s?.signalingState}`), { timeout: 15_000 })
      .toEqual(['connected/stable', 'connected/stable']);
    const [c, d] = [(await iceSession(desktop.page))!, (await iceSession(web.page))!];
    expect([c.localUfrag, c.remoteUfrag]).toEqual([d.remoteUfrag, d.localUfrag]);
    expect(d).toMatchObject({ localAddress: network.peerAddress, remoteAddress: network.hostAddress });
    console.info(`network cut (same address): ${mechanism(before, d)}`);
    await hangUpAndCheckRecords(callId);
  });

  it('link down, then up with a new address: the renderers renegotiate ICE and audio returns both ways', async () => {
    const { callId, before } = await callOverTheLink();
    const oldAddress = network.peerAddress;
    await cutForTenSeconds({ newAddress: oldAddress === '10.99.0.3' ? '10.99.0.2' : '10.99.0.3' });
    const after = (await iceSession(web.page))!;
    // Only a renegotiation can do this: new ICE credentials on both sides, media over the new address.
    expect(after).toMatchObject({ state: 'connected', localAddress: network.peerAddress, remoteAddress: network.hostAddress });
    expect(after.localAddress).not.toBe(oldAddress);
    expect(after.localUfrag).not.toBe(before.localUfrag);
    expect(after.remoteUfrag).not.toBe(before.remoteUfrag);
    console.info(`network cut (new address): ${mechanism(before, after)}`);
    await hangUpAndCheckRecords(callId);
  });
});
