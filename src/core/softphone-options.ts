/** What a host gives the softphone core, and what the core tells it (events). */
import type { HistoryRecord, MediaSignal, PresenceStatus, DeviceKind, Wallboard } from '../shared/protocol/index.js';
import type { CallInfo, ConnectionState, SessionState } from '../shared/contract.js';
import type { AgentDeskState } from './agent-desk.js';
import type { Fetch } from './api-client.js';
import type { CoreLogger, KeyValueStore, Timers } from './ports.js';
import type { SignalingFactory } from './signaling.js';
import type { MediaWanted } from './call-registry.js';

export interface DeviceIdentity {
  deviceId: string;
  kind: DeviceKind;
  name: string;
  appVersion: string;
}

export interface SoftphoneOptions {
  device: DeviceIdentity;
  store: KeyValueStore;
  fetch?: Fetch;
  log?: CoreLogger;
  /** Application heartbeat; a dead connection is detected within two intervals. */
  heartbeatIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  requestTimeoutMs?: number;
  /** How long an ended call stays in the state (so the UI can show the outcome). */
  endedCallLingerMs?: number;
  /** Ringing calls are ended locally when signaling stays lost this long. */
  ringingLossGraceMs?: number;
  /**
   * Runs `fn` exclusively among every instance sharing `store` (several
   * browser tabs share one refresh token; the web host passes a Web Locks
   * based lock). Without it, refreshes are serialised within this instance only.
   */
  exclusive?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** The clock (epoch ms); defaults to the timers' clock. */
  now?: () => number;
  /** Timers and clock (fake ones in unit tests); defaults to the host's. */
  timers?: Timers;
  /** Builds the signaling link (a fake in unit tests); defaults to socket.io. */
  createSignaling?: SignalingFactory;
  /** Jitter source for reconnect backoff. */
  random?: () => number;
}

export interface SoftphoneEvents extends Record<string, unknown> {
  state: SessionState;
  /** Media signaling from the far end for a call active on this device. */
  signal: { callId: string; fromDeviceId: string; signal: MediaSignal };
  presence: { userId: string; presence: PresenceStatus };
  /** A call started ringing on this device. */
  ring: CallInfo;
  /** A call stopped ringing on this device (answered here or elsewhere, cancelled, missed…). */
  'ring-stopped': CallInfo;
  /** A new missed-call record arrived. */
  missed: { record: HistoryRecord; missedCount: number };
  connection: ConnectionState;
  /**
   * This device should run (or start preparing) media for the call: our outgoing call
   * rings, the user answers it here (the microphone opens while the answer travels), or it
   * became active here. The renderer starts media on this event alone.
   */
  'media-wanted': MediaWanted;
  /** Media for the call must stop now (hung up, held elsewhere, ended, answer failed). */
  'media-released': { callId: string };
  /** The core answered a ringing call by itself (agent auto-answer): play the zip tone. */
  'auto-answered': { callId: string };
  /** The user's agent desk changed (server push, ack, refresh); `agent: null` for non-agents. */
  agent: AgentDeskState;
  /** A `wallboard:update` push (supervisors subscribed through wallboard-feed.ts). */
  wallboard: Wallboard;
}
