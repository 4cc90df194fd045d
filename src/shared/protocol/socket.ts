/**
 * Socket.io events. Client → server events always carry an acknowledgement
 * callback whose payload is an `Ack<T>` envelope; server → client events are
 * plain messages. Both directions are described here once, as zod schemas.
 */
import { z } from 'zod';
import {
  ErrorCode,
  Id,
  PresenceStatus,
  SetStatus,
  Timestamp,
  UserSummary,
  Username,
  type Ack,
} from './common.js';
import { CallView, HistoryRecord } from './call.js';
import { PushRegistration, PushRegisterResponse, PushUnregisterResponse } from './push.js';
import { agentClientEvents, agentServerEvents } from './agent.js';
import { DirectoryQueue, QueuePriority, queueClientEvents, queueServerEvents } from './queue.js';

const CallRef = z.object({ callId: Id });

export const IceCandidate = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
export type IceCandidate = z.infer<typeof IceCandidate>;

/** Media signaling relayed between the two devices bound to a call. */
export const MediaSignal = z.discriminatedUnion('type', [
  /**
   * `iceRestart`: same media session, new ICE credentials (network changed).
   * `fresh`: the sender lost its media session (e.g. the window reloaded):
   * the receiver replaces its peer connection before answering.
   */
  z.object({
    type: z.literal('offer'),
    sdp: z.string().min(1).max(32_000),
    iceRestart: z.boolean().optional(),
    fresh: z.boolean().optional(),
  }),
  z.object({ type: z.literal('answer'), sdp: z.string().min(1).max(32_000) }),
  /** `candidate: null` = end of candidates. */
  z.object({ type: z.literal('ice'), candidate: IceCandidate.nullable() }),
  z.object({ type: z.literal('hold'), held: z.boolean() }),
  z.object({ type: z.literal('dtmf'), digits: z.string().regex(/^[0-9A-D*#,]{1,32}$/) }),
  /** The callee asks the caller (who owns offers) for an ICE restart. */
  z.object({ type: z.literal('restart-request'), fresh: z.boolean().optional() }),
]);
export type MediaSignal = z.infer<typeof MediaSignal>;

export const DirectoryEntry = UserSummary.extend({ presence: PresenceStatus });
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;

export const AccountSettings = z.object({
  /** Ring this user while they are already in a call, instead of answering busy. */
  callWaiting: z.boolean(),
});
export type AccountSettings = z.infer<typeof AccountSettings>;

export const InviteTarget = z.union([
  z.object({ userId: Id }).strict(),
  z.object({ username: Username }).strict(),
  /**
   * A queue (docs/support-line.md): the call waits in line and the server offers it to agents.
   * `priority` (higher first) is honoured for callers with the supervisor or admin role only;
   * a guest's comes from their token.
   */
  z.object({ queue: Id, priority: QueuePriority.optional() }).strict(),
]);

/** Client → server: request schema and the `data` of a successful ack. */
export const clientEvents = {
  'session:ping': {
    request: z.object({}).strict(),
    response: z.object({ now: Timestamp }),
  },
  /**
   * Hands the open socket the access token the client just refreshed (same session), so the
   * socket's authorization is renewed without a reconnect; the server refuses events on a
   * socket whose token expired.
   */
  'session:token': {
    request: z.object({ token: z.string().min(10).max(4096) }).strict(),
    response: z.object({ expiresAt: Timestamp }),
  },
  /** After every (re)connect: the client lists the calls it believes are live. */
  'session:sync': {
    request: z.object({ calls: z.array(Id).max(16) }).strict(),
    response: z.object({
      user: UserSummary,
      status: SetStatus,
      settings: AccountSettings,
      /** Live calls this device takes part in or that ring on it. */
      calls: z.array(CallView),
      /** Calls the client listed that are over (with their final view). */
      ended: z.array(CallView),
      missedCount: z.number().int().nonnegative(),
      /**
       * The user's newest history record (null: none). A client whose cached history
       * starts with this record has every record and need not list them again.
       */
      historyHead: z.object({ id: z.string(), endedAt: Timestamp }).nullable(),
      /** Missed calls that ended after this instant are unseen (`HistoryRecord.seen`). */
      lastSeenMissedAt: Timestamp,
    }),
  },
  'presence:set': {
    request: z.object({ status: SetStatus }).strict(),
    response: z.object({ status: SetStatus, presence: PresenceStatus }),
  },
  /** Replace this socket's presence subscriptions; returns current presence. */
  'presence:subscribe': {
    request: z.object({ userIds: z.array(Id).max(500) }).strict(),
    response: z.object({ presence: z.record(z.string(), PresenceStatus) }),
  },
  'directory:search': {
    request: z
      .object({ query: z.string().max(80).optional(), limit: z.number().int().min(1).max(200).optional() })
      .strict(),
    response: z.object({
      users: z.array(DirectoryEntry),
      /** Queues whose name or id matches (signed-in users; a caller dials one with `{to: {queue}}`). */
      queues: z.array(DirectoryQueue).optional(),
    }),
  },
  'settings:update': {
    request: AccountSettings.partial().strict(),
    response: AccountSettings,
  },
  'call:invite': {
    request: z.object({ to: InviteTarget, callId: Id.optional() }).strict(),
    response: z.object({ call: CallView }),
  },
  'call:accept': { request: CallRef.strict(), response: z.object({ call: CallView }) },
  'call:decline': { request: CallRef.strict(), response: z.object({ call: CallView }) },
  'call:cancel': { request: CallRef.strict(), response: z.object({ call: CallView }) },
  /**
   * `endedAt`: when the user hung up, if the device could not tell the server at once (it
   * was offline); the server records it, clamped between the answer and now.
   */
  'call:hangup': {
    request: z.object({ callId: Id, endedAt: Timestamp.optional() }).strict(),
    response: z.object({ call: CallView }),
  },
  /** A device woken by push (or late) asks to ring for a pending call. */
  'call:claim': { request: CallRef.strict(), response: z.object({ call: CallView }) },
  'call:signal': {
    request: z.object({ callId: Id, signal: MediaSignal }).strict(),
    response: z.object({ delivered: z.number().int().nonnegative() }),
  },
  'history:list': {
    request: z
      .object({ cursor: z.string().max(128).optional(), limit: z.number().int().min(1).max(200).optional() })
      .strict(),
    response: z.object({ items: z.array(HistoryRecord), nextCursor: z.string().nullable() }),
  },
  'history:missed': {
    request: z.object({}).strict(),
    response: z.object({ count: z.number().int().nonnegative(), lastSeenAt: Timestamp }),
  },
  'history:seen': {
    request: z.object({ upTo: Timestamp.optional() }).strict(),
    response: z.object({ count: z.number().int().nonnegative(), lastSeenAt: Timestamp }),
  },
  /** Mobile: this device's APNs / FCM credentials (replaces earlier ones; docs/mobile.md). */
  'push:register': { request: PushRegistration, response: PushRegisterResponse },
  /** Mobile: stop pushing to this device. */
  'push:unregister': { request: z.object({}).strict(), response: PushUnregisterResponse },
  ...agentClientEvents,
  ...queueClientEvents,
} as const;

export type ClientEventName = keyof typeof clientEvents;
export const CLIENT_EVENT_NAMES = Object.keys(clientEvents) as ClientEventName[];
export type ClientRequest<E extends ClientEventName> = z.input<(typeof clientEvents)[E]['request']>;
export type ClientResponse<E extends ClientEventName> = z.infer<(typeof clientEvents)[E]['response']>;

export const CallEvent = z.object({ call: CallView });
export type CallEvent = z.infer<typeof CallEvent>;

/** Server → client events. */
export const serverEvents = {
  /** This device should ring. */
  'call:incoming': CallEvent,
  /** The caller's device: callee devices are being rung (count may be 0 = pending). */
  'call:ringing': CallEvent.extend({ ringingDevices: z.number().int().nonnegative() }),
  /** The user's other devices: a call was placed from another device. */
  'call:outgoing-elsewhere': CallEvent,
  /**
   * Every device of the caller: the call is up. The answering device learns it
   * from its `call:accept` ack; the callee's other devices get `call:answered-elsewhere`.
   */
  'call:answered': CallEvent,
  /** A ringing device whose call was answered by another device: stop ringing. */
  'call:answered-elsewhere': CallEvent,
  /** Every device that knew of the call: it is over (outcome + reason). */
  'call:ended': CallEvent,
  'call:signal': z.object({ callId: Id, fromDeviceId: Id, signal: MediaSignal }),
  'presence:changed': z.object({ userId: Id, presence: PresenceStatus }),
  /** The user's own status changed (from any of their devices). */
  'status:changed': z.object({ status: SetStatus, presence: PresenceStatus }),
  'settings:changed': AccountSettings,
  /**
   * `missedCount` (the user's unseen missed calls) comes with records that change it (missed
   * ones); absent, the count is unchanged.
   */
  'history:added': z.object({ record: HistoryRecord, missedCount: z.number().int().nonnegative().optional() }),
  /** The server is going away: reconnect (to another node) after the delay. */
  'session:shutdown': z.object({ reason: z.string(), reconnectAfterMs: z.number().int().nonnegative() }),
  /** An event arrived without an acknowledgement callback. */
  'protocol:error': z.object({ event: z.string(), error: z.object({ code: ErrorCode, message: z.string() }) }),
  ...agentServerEvents,
  ...queueServerEvents,
} as const;

export type ServerEventName = keyof typeof serverEvents;
export type ServerEventPayload<E extends ServerEventName> = z.infer<(typeof serverEvents)[E]>;

/** Socket.io typing helpers (for `Server<...>` and `Socket<...>` generics). */
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerEventPayload<E>) => void;
};
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientRequest<E>, ack: (res: Ack<ClientResponse<E>>) => void) => void;
};
