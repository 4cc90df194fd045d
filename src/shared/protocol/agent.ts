/**
 * Support agents (docs/agents.md, docs/protocol.md "Agent state"): roles, the server-owned
 * agent state, reason codes, wrap-up with dispositions, offers and auto-answer.
 *
 * The server owns every state and every timer here. Clients only ask (`agent:*` events) and
 * show what the server pushes (`agent:changed`); none of them keeps a timer that decides.
 *
 *   offline ──device──► not-ready(reason) ◄──► ready ──offer──► reserved ──answer──► on-call
 *                            ▲    ▲              ▲                 │ timeout/decline    │ hang up
 *                            │    └── RONA ──────┼─────────────────┘                    ▼
 *                            └───── next / previous status ◄──── timer / done ──── wrap-up
 *
 * A drop of the agent's last device keeps the state for a grace period; after it, `offline`.
 */
import { z } from 'zod';
import { Id, Timestamp, UserSummary } from './common.js';

/** What a user may do beyond calling: roles are claims of the access token. */
export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;
export const Roles = z.array(Role).max(ROLES.length);

export const AGENT_STATES = ['offline', 'not-ready', 'ready', 'reserved', 'on-call', 'wrap-up'] as const;
export const AgentState = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentState>;

/**
 * A not-ready reason code. Built in: break, lunch, meeting, training, away (also set by
 * auto-away), missed (set by the server after a missed offer). Admins add more.
 */
export const ReasonCode = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "_" and "-"');
export type ReasonCode = z.infer<typeof ReasonCode>;

export const Reason = z.object({
  code: ReasonCode,
  label: z.string().trim().min(1).max(40),
  /** Set by the server itself (missed, away): shown, but not offered in the agent's menu. */
  system: z.boolean(),
});
export type Reason = z.infer<typeof Reason>;

/** A state an agent (or a supervisor for them) may ask for. */
export const AgentStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('ready') }).strict(),
  z.object({ state: z.literal('not-ready'), reason: ReasonCode }).strict(),
]);
export type AgentStatus = z.infer<typeof AgentStatus>;

/** Who made a change, for the state log. */
export const AGENT_ACTORS = ['agent', 'supervisor', 'system', 'auto-away'] as const;
export const AgentActor = z.enum(AGENT_ACTORS);
export type AgentActor = z.infer<typeof AgentActor>;

export const DispositionCode = ReasonCode;
export const Disposition = z.object({ code: DispositionCode, label: z.string().trim().min(1).max(60) });
export type Disposition = z.infer<typeof Disposition>;

/** Free-text call notes: bounded; control characters other than newlines are removed by the server. */
export const CallNotes = z.string().max(2000);

export const WrapUpView = z.object({
  callId: Id,
  /** When the server's timer ends wrap-up; null: no timer (waiting for a required disposition). */
  deadline: Timestamp.nullable(),
  /** The timer ran out but a disposition is required: wrap-up lasts until one is given. */
  awaitingDisposition: z.boolean(),
  extensionsLeft: z.number().int().nonnegative(),
  extendBySec: z.number().int().positive(),
  dispositions: z.array(Disposition),
  dispositionRequired: z.boolean(),
  /** What was saved so far for the call. */
  disposition: DispositionCode.nullable(),
  notes: CallNotes,
});
export type WrapUpView = z.infer<typeof WrapUpView>;

export const AutoAnswer = z
  .object({
    /** Answer offered queue calls by themselves. */
    queue: z.boolean(),
    /** Also answer person-to-person calls. */
    internal: z.boolean(),
    delayMs: z.number().int().min(0).max(3000),
    /** The agent may change it themselves (else only a supervisor). */
    agentMayChange: z.boolean(),
  })
  .strict();
export type AutoAnswer = z.infer<typeof AutoAnswer>;

export const AgentView = z.object({
  user: UserSummary,
  state: AgentState,
  /** The not-ready reason (null in other states). */
  reason: ReasonCode.nullable(),
  /** When the current state began (time in state = now − since). */
  since: Timestamp,
  /** Who set the current state. */
  by: AgentActor,
  /** Asked for while busy (on-call, wrap-up, reserved): applied when they clear. */
  next: AgentStatus.nullable(),
  /** The state to return to after an offer-less call (person-to-person or outbound). */
  previous: AgentStatus.nullable(),
  /** The call an offer (`reserved`) or a call (`on-call`) or a wrap-up is about. */
  callId: Id.nullable(),
  /** `reserved`: when the offer times out. */
  offerDeadline: Timestamp.nullable(),
  wrapUp: WrapUpView.nullable(),
  /** After a declined offer: no offer before this instant (the agent stays ready). */
  noOffersUntil: Timestamp.nullable(),
  /** The agent has no device online; the state is kept until this instant, then `offline`. */
  graceUntil: Timestamp.nullable(),
  autoAnswer: AutoAnswer,
});
export type AgentView = z.infer<typeof AgentView>;

export const AgentLogEntry = z.object({
  at: Timestamp,
  userId: Id,
  from: AgentState,
  to: AgentState,
  reason: ReasonCode.nullable(),
  by: AgentActor,
  /** The supervisor who made it, when `by` is supervisor. */
  byUserId: Id.nullable(),
  callId: Id.nullable(),
  /** Machine-readable cause: set, next, offer, answer, hangup, wrapup-timer, wrapup-done, rona, decline, grace, device. */
  cause: z.string().max(32),
});
export type AgentLogEntry = z.infer<typeof AgentLogEntry>;

const ForAgent = z.object({ userId: Id.optional() });

/** Client → server agent events (merged into `clientEvents`). Role checks on every one. */
export const agentClientEvents = {
  /** Reason codes an agent may pick (and the system ones, for labels). */
  'agent:reasons': { request: z.object({}).strict(), response: z.object({ reasons: z.array(Reason) }) },
  /** The caller's own agent view (agent role). */
  'agent:get': { request: z.object({}).strict(), response: z.object({ agent: AgentView }) },
  /**
   * Ask for a state. While reserved, on-call or in wrap-up it becomes `next` (pending) and is
   * applied the moment those clear; `status: null` cancels a pending next status.
   * A supervisor may set another agent's state with `userId`.
   */
  'agent:set': {
    request: ForAgent.extend({ status: AgentStatus.nullable() }).strict(),
    response: z.object({ agent: AgentView }),
  },
  /** Save the disposition and notes of the call in wrap-up; `done` ends wrap-up now. */
  'agent:wrapup': {
    request: z
      .object({ callId: Id, disposition: DispositionCode.nullable().optional(), notes: CallNotes.optional(), done: z.boolean().optional() })
      .strict(),
    response: z.object({ agent: AgentView }),
  },
  'agent:wrapup-extend': { request: z.object({ callId: Id }).strict(), response: z.object({ agent: AgentView }) },
  /** Desktop auto-away: the screen locked / the system went idle (`away: true`) or came back. */
  'agent:auto-away': { request: z.object({ away: z.boolean() }).strict(), response: z.object({ agent: AgentView }) },
  'agent:auto-answer': {
    request: ForAgent.extend({ autoAnswer: AutoAnswer.partial() }).strict(),
    response: z.object({ agent: AgentView }),
  },
  /** The state log, newest first (own, or any agent's for a supervisor). */
  'agent:log': {
    request: ForAgent.extend({
      limit: z.number().int().min(1).max(200).optional(),
      before: Timestamp.optional(),
    }).strict(),
    response: z.object({ entries: z.array(AgentLogEntry) }),
  },
  /** Supervisor: every agent's view; the socket then gets `agent:changed` for all of them. */
  'supervisor:agents': { request: z.object({}).strict(), response: z.object({ agents: z.array(AgentView) }) },
} as const;

/** Server → client agent events (merged into `serverEvents`). */
export const agentServerEvents = {
  /** To all of the agent's devices and to subscribed supervisors. */
  'agent:changed': z.object({ agent: AgentView }),
} as const;
