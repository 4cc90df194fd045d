/**
 * What CallMedia reports and needs from the engine, and its timing figures.
 */
import type { SoftphoneApi } from '../../shared/contract.js';
import type { CallQuality } from './quality.js';

/** Brief drops (Wi-Fi roaming) often heal by themselves; act after this. */
export const DISCONNECT_GRACE_MS = 2_000;
/** How long a dropped call may try to recover before it is hung up. */
export const RECOVERY_TIMEOUT_MS = 10_000;
/** How long a new call may take to get audio flowing. */
export const SETUP_TIMEOUT_MS = 15_000;
/** Recovery attempts repeat this often until one works or the deadline passes. */
export const RECOVERY_RETRY_MS = 3_000;
/** The callee asks for an offer when none arrived this long after answering. */
export const OFFER_NUDGE_MS = 4_000;
export const MAX_PENDING_ICE = 200;
/** Signals held back until the call is active here (an offer and its candidates). */
export const MAX_OUTBOX = 200;
export const LOST_REASON = 'The audio connection was lost and could not be restored.';

export type MediaPhase = 'starting' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

export interface MediaStatus {
  phase: MediaPhase;
  quality: CallQuality | null;
  muted: boolean;
  /** The microphone could not be opened (the call continues, receive-only). */
  micError: string | null;
  /** Why the media side ended the call, in words for the user. */
  endReason: string | null;
}

export const INITIAL_STATUS: MediaStatus = { phase: 'starting', quality: null, muted: false, micError: null, endReason: null };

export interface CallMediaDeps {
  api: SoftphoneApi;
  /** Where the remote <audio> element is attached. */
  container: HTMLElement;
  inputDeviceId(): string;
  outputDeviceId(): string;
  /** ICE servers for a new peer connection (cached by the engine). */
  iceServers(): Promise<RTCIceServer[]>;
  onStatus(patch: Partial<MediaStatus>): void;
  /** Gives up on the call: hang up and tell the user why. */
  hangup(reason: string): void;
}

export type Negotiation = 'initial' | 'fresh' | 'ice-restart';

export function micErrorText(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError') return 'Microphone access was denied. The other person cannot hear you.';
  if (name === 'NotFoundError') return 'No microphone was found. The other person cannot hear you.';
  if (name === 'NotReadableError') return 'The microphone is in use by another application.';
  return 'The microphone could not be opened. The other person cannot hear you.';
}
