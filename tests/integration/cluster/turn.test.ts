/**
 * TURN relays on coturn: a call forced through a real coturn (use-auth-secret)
 * with the credentials the server hands out at /api/turn carries audio both
 * ways, and coturn refuses credentials past their expiry.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnCredentials } from '../../../src/server/http/routes.js';
import type { IceServer } from '../../../src/shared/protocol/index.js';
import { waitForTone } from '../../helpers/audio.js';
import { launchChromium } from '../../helpers/chromium.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { startCoturn, type CoturnService } from '../../helpers/services.js';
import { toneFile } from '../../helpers/tones.js';
import { relayPage, serveRelayPage, type RelayPage } from './support/relay-page.js';
import { tryAllocate } from './support/turn-client.js';

let coturn: CoturnService;
let server: TestServer;
let site: Awaited<ReturnType<typeof serveRelayPage>>;
const browsers: Browser[] = [];
const pages: RelayPage[] = [];
const devices: TestDevice[] = [];

beforeAll(async () => {
  coturn = await startCoturn();
  server = await startTestServer({ turnSecret: coturn.secret, turnUrls: [coturn.turnUrl], turnTtlSec: 600 });
  site = await serveRelayPage();
}, 60_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await Promise.all(browsers.map((b) => b.close()));
  await site?.close();
  await server?.stop();
  await coturn?.stop();
});

async function openPage(toneHz: number): Promise<{ page: Page; relay: RelayPage }> {
  const browser = await launchChromium({ microphoneWav: toneFile(toneHz) });
  browsers.push(browser);
  const page = await browser.newPage();
  await page.goto(site.url);
  const relay = relayPage(page);
  pages.push(relay);
  return { page, relay };
}

async function iceServersFor(username: string): Promise<{ iceServers: IceServer[]; userId: string }> {
  await server.addUser(username);
  const tokens = await server.login(username);
  const turn = await server.api.turn(tokens.accessToken);
  return { iceServers: turn.iceServers, userId: tokens.user.id };
}

function candidateLines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
}

describe('TURN on coturn', () => {
  it('a call forced through the relay carries audio both ways', async () => {
    const [caller, callee] = await Promise.all([openPage(440), openPage(660)]);
    const alice = await connectDevice(server, 'alice');
    const bob = await connectDevice(server, 'bob');
    devices.push(alice, bob);

    // Each party fetches its own credentials from /api/turn.
    const [forAlice, forBob] = await Promise.all([iceServersFor('alice'), iceServersFor('bob')]);
    expect(forAlice.iceServers).toEqual([
      { urls: [coturn.turnUrl], username: expect.stringMatching(/^\d+:/), credential: expect.any(String) },
    ]);
    await Promise.all([caller.relay.start(forAlice.iceServers), callee.relay.start(forBob.iceServers)]);

    const { call } = await alice.request('call:invite', { to: { username: 'bob' } });
    await bob.waitFor('call:incoming', (p) => p.call.callId === call.callId);
    await bob.request('call:accept', { callId: call.callId });
    await alice.waitFor('call:answered', (p) => p.call.callId === call.callId);

    // SDP over the server's signaling, between the two bound devices.
    const offer = await caller.relay.offer();
    await alice.request('call:signal', { callId: call.callId, signal: { type: 'offer', sdp: offer } });
    const gotOffer = await bob.waitFor('call:signal', (p) => p.callId === call.callId && p.signal.type === 'offer');
    if (gotOffer.signal.type !== 'offer') throw new Error('unreachable');
    const answer = await callee.relay.answer(gotOffer.signal.sdp);
    await bob.request('call:signal', { callId: call.callId, signal: { type: 'answer', sdp: answer } });
    const gotAnswer = await alice.waitFor('call:signal', (p) => p.callId === call.callId && p.signal.type === 'answer');
    if (gotAnswer.signal.type !== 'answer') throw new Error('unreachable');
    await caller.relay.accept(gotAnswer.signal.sdp);

    // Only relay candidates were offered on either side.
    for (const sdp of [offer, answer]) {
      const lines = candidateLines(sdp);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/ typ relay /);
    }
    await Promise.all([caller.relay.connected(), callee.relay.connected()]);
    expect(await caller.relay.selectedPair()).toEqual({ local: 'relay', remote: 'relay' });
    expect(await callee.relay.selectedPair()).toEqual({ local: 'relay', remote: 'relay' });

    // Each hears the other's tone.
    const [atCaller, atCallee] = await Promise.all([waitForTone(caller.page, 660), waitForTone(callee.page, 440)]);
    console.log(`through TURN: caller hears ${atCaller.peakHz.toFixed(0)} Hz, callee hears ${atCallee.peakHz.toFixed(0)} Hz`);

    await alice.request('call:hangup', { callId: call.callId });
  }, 60_000);

  it('coturn accepts the credentials from /api/turn and refuses expired or forged ones', async () => {
    const { iceServers, userId } = await iceServersFor('carol');
    const fresh = iceServers[0]!;
    const allocated = await tryAllocate(coturn.port, fresh.username!, fresh.credential!);
    expect(allocated).toMatchObject({ ok: true });

    // Same secret, same user, expiry a minute ago: exactly what a client holding old credentials sends.
    const expired = turnCredentials(coturn.secret, userId, -60);
    expect(await tryAllocate(coturn.port, expired.username, expired.credential)).toMatchObject({ ok: false, code: 401 });
    // Valid expiry, signed with another secret.
    const forged = turnCredentials('not-the-coturn-secret-at-all', userId, 600);
    expect(await tryAllocate(coturn.port, forged.username, forged.credential)).toMatchObject({ ok: false, code: 401 });

    // A browser with the expired credentials gathers no relay candidate at all.
    const relay = pages[0] ?? (await openPage(440)).relay;
    const probe = await relay.probe([{ urls: fresh.urls, username: expired.username, credential: expired.credential }]);
    expect(probe.candidates).toEqual([]);
    expect(probe.errors.map((e) => e.code)).toContain(401);
    const working = await relay.probe([fresh]);
    expect(working.candidates.length).toBeGreaterThan(0);
    for (const c of working.candidates) expect(c).toMatch(/ typ relay /);
  });
});
