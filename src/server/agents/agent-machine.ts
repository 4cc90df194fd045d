/**
 * The agent state machine, pure: (agent, event, now) → new agent + state-log drafts +
 * effects for the service to carry out. No clock, timer, store or socket here: the
 * service (agent-service.ts) serialises events per agent, stores the result, arms the one
 * deadline `dueAt` names and runs the effects. Diagram: docs/protocol.md, "Agent state".
 */
import {
  ProtocolError,
  type AgentActor,
  type AgentState,
  type AgentStatus,
  type AgentView,
  type AutoAnswer,
  type Disposition,
  type EndReason,
  type PresenceStatus,
  type UserSummary,
  type WrapUpView,
} from '../../shared/protocol/index.js';
import { sanitizeNotes } from '../store/agent-rows.js';

/** The live state of one agent (live/types.ts stores it; AgentView is what clients see). */
export interface AgentRecord {
  userId: string;
  version: number;
  user: UserSummary;
  state: AgentState;
  reason: string | null;
  since: number;
  by: AgentActor;
  byUserId: string | null;
  next: AgentStatus | null;
  /**
   * Who asked for `next` (a supervisor forcing a busy agent's state), logged when it is applied.
   * Optional: records written before it existed read as the agent's own request.
   */
  nextBy?: { by: AgentActor; byUserId: string | null } | null;
  previous: AgentStatus | null;
  callId: string | null;
  queueId: string | null;
  offerDeadline: number | null;
  wrapUp: WrapUpView | null;
  noOffersUntil: number | null;
  graceUntil: number | null;
  autoAnswer: AutoAnswer;
  /** Offers missed in a row (reset by an answer or by the agent going ready). */
  missedInRow: number;
  /** When the agent last became ready or finished a call: the longest idle is offered first. */
  idleSince: number;
}

export interface MachineConfig {
  /** How long the state outlives the agent's last device. */
  graceMs: number;
  /** Consecutive missed offers before the agent is set not-ready (missed). */
  maxNoAnswer: number;
  /** After a declined offer: no offer for this long. */
  rejectDelayMs: number;
  /** After a missed offer below maxNoAnswer: no offer for this long. */
  noAnswerDelayMs: number;
}

/** Wrap-up rules of the call that ended (its queue's, or the person-to-person default). */
export interface WrapUpSpec {
  seconds: number;
  extendBySec: number;
  extensions: number;
  dispositions: Disposition[];
  required: boolean;
}

export type AgentEvent =
  | { type: 'device-online' }
  | { type: 'device-gone' }
  | { type: 'set'; status: AgentStatus | null; by: AgentActor; byUserId: string | null }
  | { type: 'auto-away'; away: boolean }
  | { type: 'offer'; callId: string; queueId: string; deadline: number }
  | { type: 'answered'; callId: string }
  | { type: 'call-ended'; callId: string; endReason: EndReason; answered: boolean; wrapUp: WrapUpSpec }
  | { type: 'wrapup'; callId: string; disposition?: string | null; notes?: string; done?: boolean }
  | { type: 'extend'; callId: string }
  | { type: 'timer' }
  | { type: 'auto-answer'; autoAnswer: AutoAnswer };

export interface LogDraft {
  from: AgentState;
  to: AgentState;
  reason: string | null;
  by: AgentActor;
  byUserId: string | null;
  callId: string | null;
  cause: string;
}

export type AgentEffect =
  /** An offer went unanswered (timeout, or the agent left): end or re-route the call. */
  | { type: 'offer-missed'; callId: string }
  /** Store the wrap-up on the agent's history record of the call. */
  | { type: 'save-wrapup'; callId: string; disposition: string | null; notes: string };

export interface Step {
  agent: AgentRecord;
  log: LogDraft[];
  effects: AgentEffect[];
}

export const BUSY_STATES: readonly AgentState[] = ['reserved', 'on-call', 'wrap-up'];

export function newAgent(user: UserSummary, autoAnswer: AutoAnswer, now: number): AgentRecord {
  return {
    userId: user.id,
    version: 0,
    user,
    state: 'offline',
    reason: null,
    since: now,
    by: 'system',
    byUserId: null,
    next: null,
    nextBy: null,
    previous: null,
    callId: null,
    queueId: null,
    offerDeadline: null,
    wrapUp: null,
    noOffersUntil: null,
    graceUntil: null,
    autoAnswer,
    missedInRow: 0,
    idleSince: now,
  };
}

/** The one instant the agent's timer must fire (offer timeout, wrap-up end, grace end); null = none. */
export function dueAt(a: AgentRecord): number | null {
  const times: number[] = [];
  if (a.state === 'reserved' && a.offerDeadline !== null) times.push(a.offerDeadline);
  if (a.state === 'wrap-up' && a.wrapUp?.deadline != null) times.push(a.wrapUp.deadline);
  // A call in progress is not cut by the grace: it is looked at again when the call ends.
  if (a.graceUntil !== null && a.state !== 'offline' && a.state !== 'on-call') times.push(a.graceUntil);
  return times.length > 0 ? Math.min(...times) : null;
}

/** One source of truth: an agent's presence is derived from the agent state. */
export function agentPresence(state: AgentState): PresenceStatus {
  if (state === 'ready') return 'available';
  if (state === 'not-ready') return 'away';
  if (state === 'offline') return 'offline';
  return 'busy';
}

export function toAgentView(a: AgentRecord): AgentView {
  return {
    user: a.user,
    state: a.state,
    reason: a.reason,
    since: a.since,
    by: a.by,
    next: a.next,
    previous: a.previous,
    callId: a.callId,
    offerDeadline: a.offerDeadline,
    wrapUp: a.wrapUp,
    noOffersUntil: a.noOffersUntil,
    graceUntil: a.graceUntil,
    autoAnswer: a.autoAnswer,
  };
}

function statusOf(a: AgentRecord): AgentStatus | null {
  if (a.state === 'ready') return { state: 'ready' };
  if (a.state === 'not-ready') return { state: 'not-ready', reason: a.reason ?? 'away' };
  return null;
}

class Builder {
  readonly log: LogDraft[] = [];
  readonly effects: AgentEffect[] = [];
  constructor(
    public a: AgentRecord,
    private readonly now: number,
  ) {}

  patch(p: Partial<AgentRecord>): void {
    this.a = { ...this.a, ...p };
  }

  /** A state change: a log entry when the state or the reason changes. */
  move(state: AgentState, reason: string | null, by: AgentActor, cause: string, p: Partial<AgentRecord> = {}, byUserId: string | null = null): void {
    const from = this.a;
    const callId = p.callId !== undefined ? p.callId : from.callId;
    const reset = state === 'ready' || state === 'not-ready' || state === 'offline';
    this.a = {
      ...from,
      ...(reset ? { callId: null, queueId: null, offerDeadline: null, wrapUp: null } : {}),
      ...p,
      state,
      reason: state === 'not-ready' ? reason : null,
      by,
      byUserId,
      since: from.state === state && from.reason === (state === 'not-ready' ? reason : null) ? from.since : this.now,
    };
    if (state === 'ready' && from.state !== 'ready') this.a.idleSince = this.now;
    if (from.state !== state || from.reason !== this.a.reason) {
      this.log.push({ from: from.state, to: state, reason: this.a.reason, by, byUserId, callId: callId ?? from.callId, cause });
    }
  }

  /** The call and its wrap-up are over: the pending next status, else the previous one, else ready. */
  clear(cause: string): void {
    const target = this.a.next ?? this.a.previous ?? { state: 'ready' };
    const asker = this.a.next ? (this.a.nextBy ?? { by: 'agent' as const, byUserId: null }) : { by: 'system' as const, byUserId: null };
    if (this.a.graceUntil !== null && this.a.graceUntil <= this.now) {
      this.move('offline', null, 'system', 'grace', { next: null, nextBy: null, previous: null, graceUntil: null });
      return;
    }
    this.move(
      target.state,
      target.state === 'not-ready' ? target.reason : null,
      asker.by,
      this.a.next ? 'next' : cause,
      { next: null, nextBy: null, previous: null },
      asker.byUserId,
    );
    this.a.idleSince = this.now;
  }

  missed(cfg: MachineConfig, callId: string): void {
    const missedInRow = this.a.missedInRow + 1;
    const pending = this.a.next;
    if (pending?.state === 'not-ready') {
      // Not-ready was asked for while the offer rang (a break, a supervisor's log-out): it wins,
      // as it does after a decline; staying ready would bring the next offer.
      const asker = this.a.nextBy ?? { by: 'agent' as const, byUserId: null };
      this.move('not-ready', pending.reason, asker.by, 'rona', { next: null, nextBy: null, previous: null, missedInRow: 0 }, asker.byUserId);
    } else if (missedInRow >= cfg.maxNoAnswer) {
      this.move('not-ready', 'missed', 'system', 'rona', { next: null, nextBy: null, previous: null, missedInRow: 0 });
    } else {
      this.move('ready', null, 'system', 'rona', { next: null, nextBy: null, previous: null, missedInRow, noOffersUntil: this.now + cfg.noAnswerDelayMs });
    }
    this.effects.push({ type: 'offer-missed', callId });
  }

  done(): Step {
    return { agent: this.a, log: this.log, effects: this.effects };
  }
}

const conflict = (message: string) => new ProtocolError('conflict', message);

/** Applies one event. Throws a ProtocolError for a request the state does not allow. */
export function step(agent: AgentRecord, ev: AgentEvent, now: number, cfg: MachineConfig): Step {
  const b = new Builder(agent, now);
  const a = agent;
  switch (ev.type) {
    case 'device-online':
      if (a.state === 'offline') b.move('not-ready', 'away', 'system', 'device', { graceUntil: null });
      else if (a.graceUntil !== null) b.patch({ graceUntil: null });
      break;
    case 'device-gone':
      if (a.state !== 'offline' && a.graceUntil === null) b.patch({ graceUntil: now + cfg.graceMs });
      break;
    case 'set': {
      if (ev.status === null) {
        b.patch({ next: null, nextBy: null });
        break;
      }
      if (a.state === 'offline') throw conflict('the agent is offline');
      if (BUSY_STATES.includes(a.state)) {
        b.patch({ next: ev.status, nextBy: { by: ev.by, byUserId: ev.byUserId } });
        break;
      }
      const reason = ev.status.state === 'not-ready' ? ev.status.reason : null;
      b.move(ev.status.state, reason, ev.by, 'set', { next: null, nextBy: null, previous: null, missedInRow: 0, noOffersUntil: null }, ev.byUserId);
      break;
    }
    case 'auto-away':
      if (ev.away && a.state === 'ready') b.move('not-ready', 'away', 'auto-away', 'auto-away', { previous: { state: 'ready' } });
      else if (!ev.away && a.state === 'not-ready' && a.by === 'auto-away') {
        b.move(a.previous?.state ?? 'ready', a.previous?.state === 'not-ready' ? a.previous.reason : null, 'auto-away', 'auto-away', {
          previous: null,
        });
      }
      break;
    case 'offer':
      if (a.state !== 'ready') throw conflict('the agent is not ready');
      if (a.noOffersUntil !== null && a.noOffersUntil > now) throw conflict('the agent declined an offer a moment ago');
      b.move('reserved', null, 'system', 'offer', {
        callId: ev.callId,
        queueId: ev.queueId,
        offerDeadline: ev.deadline,
        previous: { state: 'ready' },
        noOffersUntil: null,
      });
      break;
    case 'answered':
      if (a.state === 'reserved' && a.callId === ev.callId) {
        b.move('on-call', null, 'system', 'answer', { offerDeadline: null, missedInRow: 0 });
      } else if (a.state === 'ready' || a.state === 'not-ready') {
        // A person-to-person or outbound call: back to this status afterwards.
        b.move('on-call', null, 'system', 'answer', { callId: ev.callId, queueId: null, previous: statusOf(a) });
      }
      break;
    case 'call-ended':
      if (a.callId !== ev.callId) break;
      if (a.state === 'reserved') {
        if (ev.endReason === 'declined') {
          b.clear('decline');
          b.patch({ noOffersUntil: now + cfg.rejectDelayMs });
        } else if (ev.endReason === 'timeout' || ev.endReason === 'no_agents') b.missed(cfg, ev.callId);
        else b.clear('offer-cancelled');
      } else if (a.state === 'on-call') {
        const w = ev.wrapUp;
        if (w.seconds > 0 || w.required) {
          b.move('wrap-up', null, 'system', 'hangup', {
            wrapUp: {
              callId: ev.callId,
              deadline: w.seconds > 0 ? now + w.seconds * 1000 : null,
              awaitingDisposition: w.seconds === 0,
              extensionsLeft: w.extensions,
              extendBySec: w.extendBySec,
              dispositions: w.dispositions,
              dispositionRequired: w.required,
              disposition: null,
              notes: '',
            },
          });
        } else b.clear('hangup');
      }
      break;
    case 'wrapup': {
      const w = a.wrapUp;
      if (a.state !== 'wrap-up' || !w || w.callId !== ev.callId) throw conflict('that call is not in wrap-up');
      const disposition = ev.disposition === undefined ? w.disposition : ev.disposition;
      if (disposition !== null && !w.dispositions.some((d) => d.code === disposition)) {
        throw new ProtocolError('bad_request', `unknown disposition ${disposition}`);
      }
      const notes = ev.notes === undefined ? w.notes : sanitizeNotes(ev.notes);
      b.patch({ wrapUp: { ...w, disposition, notes } });
      b.effects.push({ type: 'save-wrapup', callId: w.callId, disposition, notes });
      const finishing = ev.done === true || (w.awaitingDisposition && disposition !== null);
      if (finishing && w.dispositionRequired && disposition === null) {
        throw new ProtocolError('bad_request', 'a disposition is required for this call');
      }
      if (finishing) b.clear('wrapup-done');
      break;
    }
    case 'extend': {
      const w = a.wrapUp;
      if (a.state !== 'wrap-up' || !w || w.callId !== ev.callId) throw conflict('that call is not in wrap-up');
      if (w.deadline === null || w.extensionsLeft <= 0) throw conflict('wrap-up cannot be extended any more');
      b.patch({ wrapUp: { ...w, deadline: Math.max(w.deadline, now) + w.extendBySec * 1000, extensionsLeft: w.extensionsLeft - 1 } });
      break;
    }
    case 'auto-answer':
      b.patch({ autoAnswer: ev.autoAnswer });
      break;
    case 'timer':
      timer(b, a, now, cfg);
      break;
  }
  return b.done();
}

function timer(b: Builder, a: AgentRecord, now: number, cfg: MachineConfig): void {
  if (a.graceUntil !== null && a.graceUntil <= now && a.state !== 'offline' && a.state !== 'on-call') {
    // The agent never came back: offline, out of the queues. A call in progress keeps them (on-call).
    if (a.state === 'reserved' && a.callId) b.effects.push({ type: 'offer-missed', callId: a.callId });
    b.move('offline', null, 'system', 'grace', { next: null, nextBy: null, previous: null, graceUntil: null, missedInRow: 0 });
    return;
  }
  if (a.state === 'reserved' && a.offerDeadline !== null && a.offerDeadline <= now && a.callId) {
    b.missed(cfg, a.callId);
    return;
  }
  const w = a.wrapUp;
  if (a.state === 'wrap-up' && w && w.deadline !== null && w.deadline <= now) {
    if (w.dispositionRequired && w.disposition === null) b.patch({ wrapUp: { ...w, deadline: null, awaitingDisposition: true } });
    else b.clear('wrapup-timer');
  }
}
