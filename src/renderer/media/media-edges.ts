/**
 * What a call's media touches outside its own logic: the WebRTC and
 * microphone APIs, a key/value store that survives a window reload, the
 * document (for the remote <audio> element) and the clock. `CallMedia` takes
 * them as one object, so its negotiation and recovery run in Node unit tests
 * with fakes and fake timers; `browserMediaEdges()` is the real thing.
 */
import { voiceProcessingEnabled } from './audio-devices.js';

/** An opaque timer id, as returned by `setTimeout`/`setInterval`. */
export type TimerId = number | object;

export interface MediaClock {
  /** Monotonic milliseconds (performance.now in the browser). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId | undefined): void;
  setInterval(fn: () => void, ms: number): TimerId;
  clearInterval(id: TimerId | undefined): void;
}

/** The part of Web Storage that media uses (sessionStorage in the browser: it survives a reload, not the window). */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface MediaEdges {
  createPeerConnection(config: RTCConfiguration): RTCPeerConnection;
  getUserMedia: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  /** Whether voice processing is on for the microphone (see audio-devices). */
  voiceProcessing(): boolean;
  /** A stream for a remote track that arrived without one. */
  createMediaStream(tracks: MediaStreamTrack[]): MediaStream;
  /** The document port: the element remote audio plays in. */
  createAudioElement(): HTMLAudioElement;
  storage: KeyValueStorage;
  clock: MediaClock;
}

/** The browser's own edges. Nothing is touched until a method is called. */
export function browserMediaEdges(): MediaEdges {
  return {
    createPeerConnection: (config) => new RTCPeerConnection(config),
    getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
    voiceProcessing: () => voiceProcessingEnabled(),
    createMediaStream: (tracks) => new MediaStream(tracks),
    createAudioElement: () => document.createElement('audio'),
    get storage() {
      return sessionStorage;
    },
    clock: {
      now: () => performance.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout> | undefined),
      setInterval: (fn, ms) => setInterval(fn, ms),
      clearInterval: (id) => clearInterval(id as ReturnType<typeof setInterval> | undefined),
    },
  };
}
