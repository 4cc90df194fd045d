/**
 * What a page's WebRTC session looks like from the inside: an init script
 * records every RTCPeerConnection the page creates, and `iceSession` reads
 * the live one's ICE credentials and selected candidate pair. That tells a
 * test which network the media really crossed and whether the session was
 * renegotiated (new ICE credentials: an ICE restart, or a new peer connection).
 */
import type { BrowserContext, Page } from 'playwright-core';

const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const all = [];
  Object.defineProperty(window, '__peerConnections', { value: all });
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      all.push(this);
    }
  };
})();`;

/** Call before the page loads (the recorder must wrap the constructor before the renderer uses it). */
export async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: RECORD_PEER_CONNECTIONS });
}

export interface IceSession {
  /** Which peer connection of the page this is (0 = the first) and how many it created. */
  index: number;
  created: number;
  state: RTCPeerConnectionState;
  signalingState: RTCSignalingState;
  localUfrag: string | null;
  remoteUfrag: string | null;
  /** Addresses of the selected candidate pair (null before one is selected). */
  localAddress: string | null;
  remoteAddress: string | null;
}

/** The newest peer connection that is not closed, or null. */
export async function iceSession(page: Page): Promise<IceSession | null> {
  return page.evaluate(async () => {
    const all = (window as unknown as { __peerConnections?: RTCPeerConnection[] }).__peerConnections;
    if (!all) throw new Error('peer connections are not recorded in this page (recordPeerConnections before it loads)');
    const pc = [...all].reverse().find((p) => p.connectionState !== 'closed');
    if (!pc) return null;
    const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? null;
    const stats = await pc.getStats();
    let pair: { localCandidateId: string; remoteCandidateId: string } | undefined;
    stats.forEach((r: { type: string; selectedCandidatePairId?: string }) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    });
    const local = pair ? (stats.get(pair.localCandidateId) as { address?: string } | undefined) : undefined;
    const remote = pair ? (stats.get(pair.remoteCandidateId) as { address?: string } | undefined) : undefined;
    return {
      index: all.indexOf(pc),
      created: all.length,
      state: pc.connectionState,
      signalingState: pc.signalingState,
      localUfrag: ufrag(pc.localDescription?.sdp),
      remoteUfrag: ufrag(pc.remoteDescription?.sdp),
      localAddress: local?.address ?? null,
      remoteAddress: remote?.address ?? null,
    };
  });
}
