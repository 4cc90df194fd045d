/**
 * Stand-ins for the browser edges of CallMedia (src/renderer/media/media-edges.ts),
 * so its negotiation and recovery run in plain Node under vitest fake timers.
 * Each fake is checked against the DOM lib's own types (`satisfies` / `implements`
 * on the members CallMedia uses), so it cannot drift from the real API.
 */
import { vi } from 'vitest';
import type { CallInfo, SoftphoneApi } from '../../../src/shared/contract.js';
import type { MediaSignal } from '../../../src/shared/protocol/index.js';
import { CallMedia, type CallMediaDeps, type MediaStatus } from '../../../src/renderer/media/call-media.js';
import type { KeyValueStorage, MediaClock, MediaEdges } from '../../../src/renderer/media/media-edges.js';

export class FakeTrack implements Pick<MediaStreamTrack, 'kind' | 'enabled' | 'readyState' | 'stop'> {
  readonly kind = 'audio';
  enabled = true;
  readyState: MediaStreamTrackState = 'live';
  stop(): void {
    this.readyState = 'ended';
  }
}

export class FakeStream implements Pick<MediaStream, 'getTracks' | 'getAudioTracks'> {
  readonly track = new FakeTrack();
  getTracks(): MediaStreamTrack[] {
    return [this.track as unknown as MediaStreamTrack];
  }
  getAudioTracks(): MediaStreamTrack[] {
    return this.getTracks();
  }
}

class FakeSender implements Pick<RTCRtpSender, 'track' | 'replaceTrack' | 'setStreams' | 'dtmf'> {
  track: MediaStreamTrack | null = null;
  readonly dtmf = null;
  async replaceTrack(track: MediaStreamTrack | null): Promise<void> {
    this.track = track;
  }
  setStreams(): void {}
}

class FakeTransceiver implements Pick<RTCRtpTransceiver, 'direction'> {
  direction: RTCRtpTransceiverDirection = 'recvonly';
  readonly sender = new FakeSender();
  readonly receiver = { track: { kind: 'audio' } };
}

/** What a test controls: an offer's creation can be held in flight. */
export class FakePeerConnection
  implements
    Pick<
      RTCPeerConnection,
      'signalingState' | 'connectionState' | 'localDescription' | 'remoteDescription' | 'setRemoteDescription' | 'addIceCandidate' | 'close'
    >
{
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: RTCSessionDescription | null = null;
  remoteDescription: RTCSessionDescription | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  readonly offers: (RTCOfferOptions | undefined)[] = [];
  readonly candidates: RTCIceCandidateInit[] = [];
  /** While set, createOffer waits for it: an offer in flight. */
  offerGate: Promise<void> | null = null;
  private readonly listeners = new Map<string, (() => void)[]>();

  constructor(readonly config: RTCConfiguration) {}

  addTransceiver(_kind: string, init?: RTCRtpTransceiverInit): FakeTransceiver {
    const t = new FakeTransceiver();
    t.direction = init?.direction ?? 'sendrecv';
    this.transceivers.push(t);
    return t;
  }
  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }
  async createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    this.offers.push(options);
    if (this.offerGate) await this.offerGate;
    return { type: 'offer', sdp: `offer-${this.offers.length}${options?.iceRestart ? '-restart' : ''}` };
  }
  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    return { type: 'answer', sdp: 'answer-sdp' };
  }
  async setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
    if (d?.type === 'rollback') {
      this.signalingState = 'stable';
      return;
    }
    this.localDescription = d as RTCSessionDescription;
    this.signalingState = d?.type === 'offer' ? 'have-local-offer' : 'stable';
  }
  async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescription = d as RTCSessionDescription;
    if (d.type === 'offer') {
      this.signalingState = 'have-remote-offer';
      if (this.transceivers.length === 0) this.addTransceiver('audio', { direction: 'recvonly' });
    } else {
      this.signalingState = 'stable';
    }
  }
  async addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
    if (c) this.candidates.push(c);
  }
  async getStats(): Promise<Map<string, unknown>> {
    return new Map();
  }
  close(): void {
    this.connectionState = 'closed';
    this.signalingState = 'closed';
  }
  addEventListener(type: string, fn: () => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  /** The browser reports a new connection state. */
  setConnection(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    for (const fn of this.listeners.get('connectionstatechange') ?? []) fn();
  }
  get sentTrack(): MediaStreamTrack | null {
    return this.transceivers[0]?.sender.track ?? null;
  }
}

export class MemoryStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

/** The real global timers, which vi.useFakeTimers() replaces. */
export const fakeClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout> | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (id) => clearInterval(id as ReturnType<typeof setInterval> | undefined),
} satisfies MediaClock;

const fakeAudio = () =>
  ({
    dataset: {},
    autoplay: false,
    muted: false,
    srcObject: null,
    play: async () => undefined,
    pause: () => undefined,
    remove: () => undefined,
  }) satisfies Partial<HTMLAudioElement>;

export interface Rig {
  media: CallMedia;
  /** Every peer connection created, newest last. */
  pcs: FakePeerConnection[];
  readonly pc: FakePeerConnection;
  sent: MediaSignal[];
  statuses: Partial<MediaStatus>[];
  hangups: string[];
  mics: FakeStream[];
  storage: MemoryStorage;
  audio: ReturnType<typeof fakeAudio>;
  hold(held: boolean, remoteHeld?: boolean): void;
  lastPhase(): string | undefined;
}

export function rig(opts: { isOfferer: boolean; callId?: string; storage?: MemoryStorage }): Rig {
  const pcs: FakePeerConnection[] = [];
  const sent: MediaSignal[] = [];
  const statuses: Partial<MediaStatus>[] = [];
  const hangups: string[] = [];
  const mics: FakeStream[] = [];
  const storage = opts.storage ?? new MemoryStorage();
  const audio = fakeAudio();
  const edges = {
    createPeerConnection: (config) => {
      const pc = new FakePeerConnection(config);
      pcs.push(pc);
      return pc as unknown as RTCPeerConnection;
    },
    getUserMedia: async (constraints) => {
      if (!constraints.audio) throw new Error('audio expected');
      const s = new FakeStream();
      mics.push(s);
      return s as unknown as MediaStream;
    },
    voiceProcessing: () => false,
    createMediaStream: () => new FakeStream() as unknown as MediaStream,
    createAudioElement: () => audio as unknown as HTMLAudioElement,
    storage,
    clock: fakeClock,
  } satisfies MediaEdges;
  const api = {
    invoke: vi.fn(async (channel: string, payload: unknown) => {
      if (channel === 'call.signal') sent.push((payload as { signal: MediaSignal }).signal);
      return { ok: true };
    }),
    on: () => () => undefined,
  };
  const deps = {
    api: api as unknown as SoftphoneApi,
    container: { append: () => undefined } as unknown as HTMLElement,
    inputDeviceId: () => '',
    outputDeviceId: () => '',
    iceServers: async () => [],
    onStatus: (patch) => statuses.push(patch),
    hangup: (reason) => hangups.push(reason),
  } satisfies CallMediaDeps;
  const media = new CallMedia(opts.callId ?? 'call-1', opts.isOfferer, deps, edges);
  return {
    media,
    pcs,
    get pc() {
      const pc = pcs.at(-1);
      if (!pc) throw new Error('no peer connection yet');
      return pc;
    },
    sent,
    statuses,
    hangups,
    mics,
    storage,
    audio,
    hold: (held, remoteHeld = false) => media.update({ held, remoteHeld } as CallInfo),
    lastPhase: () => statuses.filter((s) => s.phase).at(-1)?.phase,
  };
}

/** Lets queued promise steps run (no time passes). */
export const settle = () => vi.advanceTimersByTimeAsync(0);
