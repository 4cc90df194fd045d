/**
 * The microphone of one call: opening it (the latest request wins), the
 * user's mute choice (kept across a reload, see MutedStore), and releasing
 * it when the call ends, so no microphone is ever left open.
 */
import { openMicrophone } from './audio-devices.js';
import { micErrorText, type MediaStatus } from './call-media-types.js';
import type { MediaEdges } from './media-edges.js';
import { MutedStore } from './muted-store.js';

export interface MicrophoneEvents {
  onStatus(patch: Partial<MediaStatus>): void;
  /** A new stream is in use: send its track (the previous one stops after this). */
  onStream(): Promise<void>;
}

export class CallMicrophone {
  private current: MediaStream | null = null;
  /** Counts requests: only the latest one's stream is kept. */
  private requests = 0;
  /** The first opening (the call's own; device switches go through `open`). */
  private first: Promise<void> | null = null;
  private isMuted: boolean;
  private released = false;
  private readonly store: MutedStore;

  constructor(
    private readonly edges: MediaEdges,
    callId: string,
    private readonly events: MicrophoneEvents,
  ) {
    this.store = new MutedStore(edges.storage, callId);
    // A reloaded window keeps the user's mute choice for this call.
    this.isMuted = this.store.load();
  }

  get muted(): boolean {
    return this.isMuted;
  }

  get stream(): MediaStream | null {
    return this.current;
  }

  get track(): MediaStreamTrack | null {
    return this.current?.getAudioTracks()[0] ?? null;
  }

  /** The first opening in progress (null: not asked yet). */
  get opening(): Promise<void> | null {
    return this.first;
  }

  /** Opens the call's microphone once; later calls reuse that opening. */
  openOnce(deviceId: string): void {
    this.first ??= this.open(deviceId);
  }

  setMuted(muted: boolean): void {
    this.isMuted = muted;
    this.store.save(muted);
    for (const t of this.current?.getAudioTracks() ?? []) t.enabled = !muted;
  }

  /**
   * Opens a microphone and sends it in place of the one in use (if any), which
   * is then released. The latest request wins: a stream that arrives after the
   * call ended or after a newer request (a device switch) is stopped at once.
   */
  async open(deviceId: string): Promise<void> {
    const request = ++this.requests;
    try {
      const stream = await openMicrophone(deviceId, this.edges.getUserMedia, this.edges.voiceProcessing());
      if (this.released || request !== this.requests) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      for (const t of stream.getAudioTracks()) t.enabled = !this.isMuted;
      const previous = this.current;
      this.current = stream;
      this.events.onStatus({ micError: null });
      await this.events.onStream();
      if (previous !== stream) previous?.getTracks().forEach((t) => t.stop());
    } catch (err) {
      if (!this.released && request === this.requests) this.events.onStatus({ micError: micErrorText(err) });
    }
  }

  /** The call is over: tracks stopped, the mute choice forgotten. */
  release(): void {
    this.released = true;
    this.current?.getTracks().forEach((t) => t.stop());
    this.current = null;
    this.store.clear();
  }
}
