/**
 * The one typed contract between the renderer (UI + WebRTC media) and the
 * host that runs the softphone core: Electron's main process (over IPC, via
 * the preload), the web page itself (web softphone), or a Node test process
 * (the headless desktop harness). Requests have typed results; events flow
 * from the host to the renderer. Every payload is parsed with these schemas
 * on the receiving side.
 */
import { z } from 'zod';
import type { HostEventNameFromList } from './ipc-channels.js';
import {
  AccountSettings,
  AgentStatus,
  AgentView,
  AutoAnswer,
  CallNotes,
  CallView,
  DispositionCode,
  DirectoryEntry,
  DirectoryQueue,
  ErrorBody,
  HistoryRecord,
  IceServer,
  Id,
  MediaSignal,
  PresenceStatus,
  QueueId,
  Reason,
  Wallboard,
  SetStatus,
  UserSummary,
  Username,
  QueueWaiting,
} from './protocol/index.js';

/**
 * How a username typed by a user (sign-in form, dial box, link) becomes the
 * account's username: trimmed, lowercase, without a leading '@'.
 */
export function normalizeUsername(input: string): string {
  return input.trim().replace(/^@+/, '').toLowerCase();
}

export const CONNECTION_STATES = ['offline', 'connecting', 'connected', 'reconnecting'] as const;
export const ConnectionState = z.enum(CONNECTION_STATES);
export type ConnectionState = z.infer<typeof ConnectionState>;

/**
 * How this device sees a call:
 * - ringing-in: rings here, can be answered here
 * - ringing-out: placed from here, the callee is being rung
 * - active: answered, media runs on this device
 * - elsewhere: placed or answered on another device of the same user
 * - ended: over (kept briefly so the UI can show the outcome)
 */
export const LOCAL_CALL_STATES = ['ringing-in', 'ringing-out', 'active', 'elsewhere', 'ended'] as const;
export const LocalCallState = z.enum(LOCAL_CALL_STATES);
export type LocalCallState = z.infer<typeof LocalCallState>;

export const CallInfo = CallView.extend({
  direction: z.enum(['incoming', 'outgoing']),
  peer: UserSummary,
  local: LocalCallState,
  /** This device places the offers (it is the caller's device). */
  isOfferer: z.boolean(),
  /** Callee devices being rung (outgoing calls); 0 = callee offline, pending. */
  ringingDevices: z.number().int().nonnegative().nullable(),
  /** The far end put the call on hold. */
  remoteHeld: z.boolean(),
  /** This side put the call on hold. */
  held: z.boolean(),
  /** DTMF digits received from the far end, in order. */
  receivedDigits: z.string(),
  /**
   * Our call waits in a queue (`queue:waiting`, core/queue-waiting.ts): place in line,
   * estimate, stage; null once it is answered or over. Absent on other calls.
   */
  queueWaiting: QueueWaiting.nullable().optional(),
});
export type CallInfo = z.infer<typeof CallInfo>;

export const MediaWanted = z.object({ callId: Id, stage: z.enum(['preparing', 'active']), call: CallInfo });
export type MediaWanted = z.infer<typeof MediaWanted>;

export const DeviceSettings = z.object({
  serverUrl: z.string().max(2048),
  /** Media device ids chosen by the user ('' = system default). */
  inputDeviceId: z.string().max(512),
  outputDeviceId: z.string().max(512),
  ringtoneDeviceId: z.string().max(512),
  startAtLogin: z.boolean(),
  /** Accelerators for global shortcuts ('' = none). */
  answerShortcut: z.string().max(64),
  hangupShortcut: z.string().max(64),
  /** Agents on the desktop: no input for this many minutes sets them away (0 = never). */
  autoAwayIdleMin: z.number().int().min(0).max(240),
});
export type DeviceSettings = z.infer<typeof DeviceSettings>;

export const DEFAULT_DEVICE_SETTINGS: DeviceSettings = {
  serverUrl: '',
  inputDeviceId: '',
  outputDeviceId: '',
  ringtoneDeviceId: '',
  startAtLogin: false,
  answerShortcut: 'CommandOrControl+Shift+A',
  hangupShortcut: 'CommandOrControl+Shift+H',
  autoAwayIdleMin: 10,
};

export const HostInfo = z.object({
  kind: z.enum(['desktop', 'web']),
  platform: z.string(),
  appVersion: z.string(),
  deviceId: Id,
});
export type HostInfo = z.infer<typeof HostInfo>;

export const SessionState = z.object({
  phase: z.enum(['signed-out', 'signing-in', 'signed-in']),
  serverUrl: z.string(),
  user: UserSummary.nullable(),
  connection: ConnectionState,
  status: SetStatus,
  presence: PresenceStatus,
  account: AccountSettings,
  calls: z.array(CallInfo),
  missedCount: z.number().int().nonnegative(),
  /** Most recent history records (first page), newest first. */
  history: z.array(HistoryRecord),
  /** Last error worth showing, in words a user understands. */
  error: ErrorBody.nullable(),
  /**
   * Support agents (docs/agents.md): this user's server-owned agent state as last heard;
   * null (or absent): not an agent. The UI and the tray only show it and ask for changes.
   */
  agent: AgentView.nullable().optional(),
  /** The not-ready reason codes (system ones too, for labels); empty for non-agents. */
  agentReasons: z.array(Reason).optional(),
  /** Server clock − this device's clock (ms), so agent times count on the server's clock. */
  agentClockOffsetMs: z.number().int().optional(),
});
export type SessionState = z.infer<typeof SessionState>;

/** The supervisor's wallboard as the core last heard it (src/core/wallboard-feed.ts). */
export const WallboardFeedState = z.object({
  /** The server lets this user see the wallboard (supervisor role); the page is offered then. */
  available: z.boolean(),
  /** The page is open: the core is subscribed and the server pushes updates. */
  watching: z.boolean(),
  /** Subscribed on the current connection: the figures are current (false: last known). */
  live: z.boolean(),
  wallboard: Wallboard.nullable(),
  /** Not-ready reason codes a supervisor may force (system ones too, for labels). */
  reasons: z.array(Reason),
  /** Server clock − this device's clock (ms): times in state and waits tick on the server's clock. */
  clockOffsetMs: z.number().int(),
  error: ErrorBody.nullable(),
});
export type WallboardFeedState = z.infer<typeof WallboardFeedState>;

const Empty = z.object({}).strict();
const CallRef = z.object({ callId: Id }).strict();
const Ok = z.object({ ok: z.literal(true) });

/** Renderer → host requests. */
export const hostRequests = {
  'host.info': { request: Empty, response: HostInfo },
  'session.state': { request: Empty, response: SessionState },
  'session.login': {
    request: z
      .object({ serverUrl: z.string().url().max(2048), username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
      .strict(),
    response: SessionState,
  },
  'session.logout': { request: Empty, response: Ok },
  'presence.set': { request: z.object({ status: SetStatus }).strict(), response: Ok },
  'presence.watch': {
    request: z.object({ userIds: z.array(Id).max(500) }).strict(),
    response: z.object({ presence: z.record(z.string(), PresenceStatus) }),
  },
  /** People, and the queues a signed-in user may call (docs/support-line.md). */
  'directory.search': {
    request: z.object({ query: z.string().max(80) }).strict(),
    response: z.object({ users: z.array(DirectoryEntry), queues: z.array(DirectoryQueue) }),
  },
  /** A person, or a queue: the call waits in line until the server offers it to an agent. */
  'call.dial': {
    request: z.union([
      z.object({ userId: Id }).strict(),
      z.object({ username: Username }).strict(),
      z.object({ queue: QueueId }).strict(),
    ]),
    response: CallInfo,
  },
  'call.answer': { request: CallRef, response: CallInfo },
  'call.decline': { request: CallRef, response: Ok },
  'call.hangup': { request: CallRef, response: Ok },
  'call.hold': { request: z.object({ callId: Id, held: z.boolean() }).strict(), response: Ok },
  /** Switch to this call of this device: the others go on hold, this one resumes. */
  'call.swap': { request: CallRef, response: Ok },
  'call.dtmf': { request: z.object({ callId: Id, digits: z.string().regex(/^[0-9A-D*#,]{1,32}$/) }).strict(), response: Ok },
  /** The media this device should run now; a renderer asks once when it starts (or reloads). */
  'call.mediaWanted': { request: z.object({}).strict(), response: z.object({ calls: z.array(MediaWanted) }) },
  /** Media signaling from the renderer's peer connection to the far end. */
  'call.signal': { request: z.object({ callId: Id, signal: MediaSignal }).strict(), response: Ok },
  'history.more': {
    request: z.object({ cursor: z.string().max(128).optional() }).strict(),
    response: z.object({ items: z.array(HistoryRecord), nextCursor: z.string().nullable() }),
  },
  'history.seen': { request: Empty, response: Ok },
  'settings.get': { request: Empty, response: DeviceSettings },
  'settings.set': { request: DeviceSettings.partial().strict(), response: DeviceSettings },
  'account.set': { request: AccountSettings.partial().strict(), response: AccountSettings },
  'media.iceServers': { request: Empty, response: z.object({ iceServers: z.array(IceServer) }) },
  /** The window asks to be hidden (desktop) — e.g. after a call when it was opened by a call. */
  'window.hide': { request: Empty, response: Ok },
  /** Agent: ask for ready / not-ready(reason); pending next status while busy; null cancels it. */
  'agent.set': { request: z.object({ status: AgentStatus.nullable() }).strict(), response: AgentView },
  /** Agent: save the wrap-up's disposition and notes; `done` ends wrap-up now. */
  'agent.wrapup': {
    request: z
      .object({ callId: Id, disposition: DispositionCode.nullable().optional(), notes: CallNotes.optional(), done: z.boolean().optional() })
      .strict(),
    response: AgentView,
  },
  /** Agent: extend the running wrap-up once more (the server knows by how much and how often). */
  'agent.extend': { request: CallRef, response: AgentView },
  /** Agent: their own auto-answer, when a supervisor allows it (`agentMayChange`). */
  'agent.autoAnswer': {
    request: z.object({ autoAnswer: AutoAnswer.omit({ agentMayChange: true }).partial().strict() }).strict(),
    response: AgentView,
  },
  /**
   * Supervisor: the wallboard as last heard (asking starts the feed: the core then learns at
   * each connect whether the server allows it); `wallboard.watch` opens or closes the live feed.
   */
  'wallboard.state': { request: Empty, response: WallboardFeedState },
  'wallboard.watch': { request: z.object({ watching: z.boolean() }).strict(), response: WallboardFeedState },
  /** Supervisor: set another agent's state (force not-ready with a reason, or ready). */
  'supervisor.setAgent': { request: z.object({ userId: Id, status: AgentStatus }).strict(), response: AgentView },
  /** Supervisor: log an agent out of the queues (audited on the server). */
  'supervisor.logout': { request: z.object({ userId: Id }).strict(), response: AgentView },
} as const;

export type HostRequestName = keyof typeof hostRequests;
export const HOST_REQUEST_NAMES = Object.keys(hostRequests) as HostRequestName[];
export type HostRequest<C extends HostRequestName> = z.input<(typeof hostRequests)[C]['request']>;
export type HostResponse<C extends HostRequestName> = z.infer<(typeof hostRequests)[C]['response']>;

/** Host → renderer events. */
export const hostEvents = {
  /** The full session snapshot, whenever it changes. */
  session: SessionState,
  /** Media signaling from the far end for a call active on this device. */
  'call.signal': z.object({ callId: Id, fromDeviceId: Id, signal: MediaSignal }),
  /** Presence of a watched user changed. */
  presence: z.object({ userId: Id, presence: PresenceStatus }),
  /** The host asks the renderer to act (tray, notification, shortcut, link); never to place a call. */
  command: z.discriminatedUnion('type', [
    z.object({ type: z.literal('show'), view: z.enum(['main', 'call', 'settings', 'history']).optional() }),
    /** Fill in the dial field (a tel:/softphone: link); the user still clicks Dial. */
    z.object({ type: z.literal('prefill'), target: z.string().max(256) }),
  ]),
  /**
   * The core decided about this device's media for a call: `wanted` = prepare (stage
   * `preparing`: our call rings, or an answer travels) or run (`active`) media now;
   * `released` = stop it now (tracks, peer connection). The renderer acts on nothing else.
   */
  'call.media': z.discriminatedUnion('media', [
    MediaWanted.extend({ media: z.literal('wanted') }),
    z.object({ callId: Id, media: z.literal('released') }),
  ]),
  /** The core answered this call by itself (agent auto-answer): play the zip tone. */
  'call.auto-answered': z.object({ callId: Id }),
  /** The supervisor's wallboard changed (a push, a (re)subscription, the role learnt). */
  wallboard: WallboardFeedState,
} as const;

export type HostEventName = keyof typeof hostEvents;
export const HOST_EVENT_NAMES = Object.keys(hostEvents) as HostEventName[];
export type HostEvent<E extends HostEventName> = z.infer<(typeof hostEvents)[E]>;

/** Result envelope for requests crossing a process boundary. */
export type HostResult<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/**
 * The single API object the renderer sees (`window.softphone` in Electron
 * and in the harness; built in-page for the web softphone).
 */
export interface SoftphoneApi {
  invoke<C extends HostRequestName>(channel: C, payload: HostRequest<C>): Promise<HostResponse<C>>;
  on<E extends HostEventName>(event: E, listener: (payload: HostEvent<E>) => void): () => void;
}

/** IPC channel names used by the preload and the main process. */
export { IPC } from './ipc-channels.js';

// The preload's zod-free list of event names must match the schemas exactly.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _eventListMatches: SameKeys<HostEventName, HostEventNameFromList> = true;
void _eventListMatches;
