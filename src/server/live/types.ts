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
import type { CallOutcome, CallState, CallerKind, DeviceKind, EndReason, QueueOffer, QueueRef, UserSummary } from '../../shared/protocol/index.js';

/** One offer of a queue call to one agent (queues/queue-call.ts). */
export interface LiveOffer {
  agentId: string;
  agent: UserSummary;
  /** The call's offer number (`call:offer-ended` and the agent's view carry it). */
  seq: number;
  at: number;
  deadline: number;
  /** The agent's devices it rings (so a lost device ends the agent's offer when it was the last). */
  deviceIds: string[];
  /** The agent's device answers by itself after this many ms (their auto-answer for queue calls). */
  autoAnswerMs: number | null;
  /** null while it rings. */
  result: QueueOffer['result'] | null;
}

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
  /** Ended, its history records not committed yet: since when (calls/call-ending.ts). */
  unrecordedSince?: number;
  /** A call to a queue, offered to the callee (an agent). */
  queue?: QueueRef | null;
  /** The agent's device answers by itself after this many ms (auto-answer). */
  autoAnswerMs?: number | null;
  // ─── a queue call (queues/queue-call.ts): one call whose callee changes ───
  // While it waits its callee is the queue party (`queue-<id>`); on answer, the agent.
  /** When it joined the queue (= createdAt); its place in line with `priority`. */
  queuedAt?: number;
  priority?: number;
  callerKind?: CallerKind;
  /** When `max_wait` ends it (null: no limit). */
  maxWaitAt?: number | null;
  /** Agents whose phones ring for it now (empty: waiting in line). */
  offeredTo?: string[];
  /** Number of the latest offer (0: never offered). */
  offerSeq?: number;
  /** Every offer made, in order (the records list them). */
  offers?: LiveOffer[];
}

/** A call to a queue, in any state. */
export function isQueueCall(c: LiveCall): c is LiveCall & Required<Pick<LiveCall, 'queuedAt' | 'offeredTo' | 'offers'>> {
  return typeof c.queuedAt === 'number' && !!c.queue;
}

/** A queue call not answered yet: waiting in line or ringing agents. */
export function inQueue(c: LiveCall): boolean {
  return c.state === 'ringing' && isQueueCall(c);
}

/** The queue party a waiting queue call has as callee (queues/queue-call.ts queueParty). */
const isQueueParty = (u: UserSummary) => u.id === `queue-${u.username}`;

/**
 * Users a call is indexed under (activeForUser): caller, callee (not a queue party: nobody
 * reads its calls) and the agents it rings; once ended, every agent it was offered to, so a
 * store that indexes by adding (Redis) drops the call from all of them.
 */
export function partiesOf(c: LiveCall): string[] {
  const out = [c.caller.id];
  const add = (id: string) => {
    if (!out.includes(id)) out.push(id);
  };
  if (!isQueueParty(c.callee)) add(c.callee.id);
  for (const a of c.offeredTo ?? []) add(a);
  if (c.state === 'ended') for (const o of c.offers ?? []) add(o.agentId);
  return out;
}

/** True when `userId` takes part in the call now (stale index entries are filtered with it). */
export function isPartyNow(c: LiveCall, userId: string): boolean {
  return c.caller.id === userId || c.callee.id === userId || (c.offeredTo?.includes(userId) ?? false);
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

/**
 * The waiting line of each queue: call ids by queue. An id is added BEFORE its call is
 * inserted and is dropped when read once its call has ended or is gone, so a crash between
 * the two steps leaves at most an id that the next read forgets.
 */
/** How long a line entry whose call is not in the store (yet) is kept. */
export const LINE_INSERT_GRACE_MS = 30_000;

export interface LiveQueueLines {
  add(queueId: string, callId: string, queuedAt: number): Promise<void>;
  remove(queueId: string, callId: string): Promise<void>;
  /** The queue's calls not ended (any order); forgets ids of ended calls, and of missing ones after a grace. */
  calls(queueId: string): Promise<LiveCall[]>;
  /** round-robin: the member offered the queue's previous call. */
  lastOffered(queueId: string): Promise<string | null>;
  setLastOffered(queueId: string, userId: string): Promise<void>;
}

export interface LiveState {
  readonly calls: LiveCallStore;
  readonly lines: LiveQueueLines;
  readonly agents: LiveAgentStore;
  readonly devices: DeviceRegistry;
  readonly presence: PresenceCache;
  close(): Promise<void>;
}
