import { MAX_PENDING_ICE } from './call-media-types.js';

/**
 * The far end's ICE candidates. One that arrives before the description it
 * belongs to waits until that description is set (bounded); a late one of a
 * replaced session fails its ufrag check, which is harmless.
 */
export class RemoteCandidates {
  private pending: RTCIceCandidateInit[] = [];

  /** A new peer connection: what waited belonged to the old one. */
  reset(): void {
    this.pending = [];
  }

  async add(pc: RTCPeerConnection | null, candidate: RTCIceCandidateInit | null): Promise<void> {
    if (!candidate) return; // end-of-candidates needs no action
    if (!pc?.remoteDescription) {
      if (this.pending.length < MAX_PENDING_ICE) this.pending.push(candidate);
      return;
    }
    await pc.addIceCandidate(candidate).catch(() => undefined);
  }

  /** The remote description is set: the candidates that waited for it go in. */
  async flush(pc: RTCPeerConnection | null): Promise<void> {
    if (!pc?.remoteDescription) return;
    const pending = this.pending;
    this.pending = [];
    for (const c of pending) await pc.addIceCandidate(c).catch(() => undefined);
  }
}
