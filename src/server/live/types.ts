/**
 * Live (non-durable) state: calls in progress, online devices, last published
 * presence. The single-node default keeps it in memory (memory.ts); a
 * multi-node deployment keeps it in a shared store with atomic updates.
 *
 * Calls are updated by optimistic compare-and-set on `version`, so the whole
 * transition logic lives once, above the store (calls/call-service.ts), and the
 * store only has to guarantee atomicity.
 */
import type { AgentRecord } from '../agents/agent-machine.js';
import type { CallOutcome, CallState, DeviceKind, EndReason, QueueRef, UserSummary } from '../../shared/protocol/index.js';

export interface LiveCall {
  callId: string;
  version: number;
  state: CallState;
  caller: UserSummary;
  callee: UserSummary;
  callerDeviceId: string;
  /** Callee devices that were rung and have not declined or dropped. */
  ringingDeviceIds: string[];
  declinedDeviceIds: string[];
  answeredDeviceId: string | null;
  createdAt: number;
  answeredAt: number | null;
  ringDeadline: number;
  endedAt: number | null;
  outcome: CallOutcome | null;
  endReason: EndReason | null;
  /** Bound devices whose signaling dropped during the call: deviceId → since (ms). */
  lostDevices: Record<string, number>;
  /**
   * A call restored after a crash: the last moment the crashed process was known alive.
   * If no device comes back, the call ends then (the downtime is not call time).
   */
  lastAliveAt?: number;
  /** A call to a queue, offered to the callee (an agent). */
  queue?: QueueRef | null;
  /** The agent's device answers by itself after this many ms (auto-answer). */
  autoAnswerMs?: number | null;
  /** Nobody took the queue call: the callee is the queue, and only the caller gets a record. */
  calleeIsQueue?: boolean;
}

export interface OnlineDevice {
  userId: string;
  deviceId: string;
  kind: DeviceKind;
  name: string;
  /** socket.io socket id of the device's current connection. */
  socketId: string;
  connectedAt: number;
}

/**
 * Calls and devices a store returns may be shared and frozen (the in-memory store hands
 * out its own objects): never modify them; build a new object instead. `compareAndSet`
 * may keep `next` itself, so it must not be modified after the call either.
 */
export interface LiveCallStore {
  /** False when a call with that id exists already. */
  insert(call: LiveCall): Promise<boolean>;
  get(callId: string): Promise<LiveCall | undefined>;
  /** Stores `next` (whose version must be expectedVersion + 1) only if the stored version is expectedVersion. */
  compareAndSet(next: LiveCall, expectedVersion: number): Promise<boolean>;
  /** Calls not yet ended in which the user takes part. */
  activeForUser(userId: string): Promise<LiveCall[]>;
  /** Arms (or moves) the call's single deadline. Fired once, cluster-wide. */
  setDeadline(callId: string, at: number): Promise<void>;
  clearDeadline(callId: string): Promise<void>;
  /** Registers the handler for due deadlines. */
  onDeadline(handler: (callId: string) => void): void;
  /** Keeps an ended call readable for `ms`, then forgets it. */
  expire(callId: string, ms: number): Promise<void>;
}

export interface DeviceRegistry {
  /** Registers the device's connection; returns the connection it replaced, if any. */
  connect(device: OnlineDevice): Promise<OnlineDevice | undefined>;
  /** Unregisters if `socketId` is still the device's connection; true if it was. */
  disconnect(userId: string, deviceId: string, socketId: string): Promise<boolean>;
  list(userId: string): Promise<OnlineDevice[]>;
  get(userId: string, deviceId: string): Promise<OnlineDevice | undefined>;
}

export interface PresenceCache {
  /** Stores the presence and returns the previous one. */
  swap(userId: string, presence: string): Promise<string | undefined>;
}

/**
 * Live agent states (agents/agent-machine.ts AgentRecord), versioned like calls, each with
 * at most one deadline (offer timeout, wrap-up end, grace end) fired once, cluster-wide:
 * a deadline set by a node that died is fired by another.
 */
export interface LiveAgentStore {
  get(userId: string): Promise<AgentRecord | undefined>;
  /** Stores `next` if the stored version is `expectedVersion` (null: only if none is stored). */
  compareAndSet(next: AgentRecord, expectedVersion: number | null): Promise<boolean>;
  list(): Promise<AgentRecord[]>;
  setDeadline(userId: string, at: number): Promise<void>;
  clearDeadline(userId: string): Promise<void>;
  onDeadline(handler: (userId: string) => void): void;
}

export interface LiveState {
  readonly calls: LiveCallStore;
  readonly agents: LiveAgentStore;
  readonly devices: DeviceRegistry;
  readonly presence: PresenceCache;
  close(): Promise<void>;
}
