/**
 * A minimal calling page for the TURN test, served from http://localhost (a
 * secure context, so getUserMedia works): raw microphone audio into an
 * RTCPeerConnection that may only use relay candidates, the far end's audio
 * playing in <audio data-testid="remote-audio">. The test drives it through
 * the functions it puts on `window` and carries its SDP over the real
 * server's signaling. Non-trickle: each description is sent once gathering
 * is complete, so it lists every candidate the page may use.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { IceServer } from '../../../../src/shared/protocol/index.js';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>TURN relay test</title>
<audio data-testid="remote-audio" autoplay></audio>
<script>
const audio = document.querySelector('[data-testid="remote-audio"]');
let pc;
function gathered(conn, timeoutMs = 15000) {
  if (conn.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('ICE gathering did not complete')), timeoutMs);
    conn.addEventListener('icegatheringstatechange', () => {
      if (conn.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
    });
  });
}
window.relay = {
  async start(iceServers) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    pc.ontrack = (e) => { audio.srcObject = e.streams[0]; audio.play().catch(() => {}); };
  },
  async offer() {
    await pc.setLocalDescription();
    await gathered(pc);
    return pc.localDescription.sdp;
  },
  async answer(sdp) {
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription();
    await gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(sdp) {
    await pc.setRemoteDescription({ type: 'answer', sdp });
  },
  connected(timeoutMs = 15000) {
    if (pc.connectionState === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('not connected; state ' + pc.connectionState)), timeoutMs);
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected') { clearTimeout(t); resolve(); }
        if (pc.connectionState === 'failed') { clearTimeout(t); reject(new Error('connection failed')); }
      });
    });
  },
  /** Types of the candidate pair carrying the media. */
  async selectedPair() {
    const stats = await pc.getStats();
    let pairId;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    const pair = pairId && stats.get(pairId);
    if (!pair) return null;
    return { local: stats.get(pair.localCandidateId).candidateType, remote: stats.get(pair.remoteCandidateId).candidateType };
  },
  /** Gathers relay candidates with these ICE servers and reports what came back. */
  async probe(iceServers) {
    const p = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    const candidates = [];
    const errors = [];
    p.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) candidates.push(e.candidate.candidate); };
    p.onicecandidateerror = (e) => errors.push({ code: e.errorCode, text: e.errorText });
    p.createDataChannel('probe');
    await p.setLocalDescription();
    await gathered(p);
    p.close();
    return { candidates, errors };
  },
};
</script>`;

export interface RelayPage {
  start(iceServers: IceServer[]): Promise<void>;
  offer(): Promise<string>;
  answer(offerSdp: string): Promise<string>;
  accept(answerSdp: string): Promise<void>;
  connected(): Promise<void>;
  selectedPair(): Promise<{ local: string; remote: string } | null>;
  probe(iceServers: IceServer[]): Promise<{ candidates: string[]; errors: { code: number; text: string }[] }>;
}

/** Typed calls into the page's `window.relay`. */
export function relayPage(page: Page): RelayPage {
  type Fn = keyof RelayPage;
  const call = <R>(fn: Fn, arg?: unknown) =>
    page.evaluate(
      ({ fn, arg }) => (window as unknown as { relay: Record<string, (a?: unknown) => Promise<unknown>> }).relay[fn]!(arg),
      { fn, arg },
    ) as Promise<R>;
  return {
    start: (s) => call('start', s),
    offer: () => call('offer'),
    answer: (sdp) => call('answer', sdp),
    accept: (sdp) => call('accept', sdp),
    connected: () => call('connected'),
    selectedPair: () => call('selectedPair'),
    probe: (s) => call('probe', s),
  };
}

/** Serves the page on http://localhost:PORT/. */
export async function serveRelayPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
