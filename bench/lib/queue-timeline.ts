/**
 * Rebuilds, from what each agent's device saw (bench/lib/queue-log.ts), when it was being
 * offered a call, when it was on one, when it was connected (and through which node) and when
 * the server had it ready. Pure: the queue load analysis (queue-analysis.ts) reads these.
 */
import type { AgentLog, AgentStateEvt, Epoch } from './queue-log.js';

/** One offer ringing one agent, device time (start: `call:incoming`; end: what closed it). */
export interface OfferSpan {
  agentId: string;
  callId: string;
  seq: number | null;
  start: number;
  end: number;
  /** The same offer in the server's time: the offer's `at` → the `since` of the agent's next state. */
  serverStart: number;
  serverEnd: number;
  /** How it ended, as the device saw it (offer-ended result, accepted, declined, ended, disconnect, open). */
  closedBy: string;
}

export interface Violation {
  kind: string;
  agentId?: string;
  callId: string;
  otherCallId?: string;
  at: number;
  detail?: string;
}

export interface AgentTimeline {
  agentId: string;
  lb: number;
  epochs: Epoch[];
  offers: OfferSpan[];
  /** Calls this agent answered: accept ack → the call's end on the device. */
  onCall: { callId: string; start: number; end: number }[];
  states: AgentStateEvt[];
  /** Calls this agent answered: its accept got an ok ack, or a sync found the call up on its device. */
  accepted: string[];
  /**
   * `call:incoming` of an offer whose end (call:offer-ended with that seq or higher, or the
   * call's end) this device already had: delivered late by another node. A client drops it
   * (docs/protocol.md: only a higher seq rings again), so it is no offer.
   */
  staleIncoming: number;
  /** An offer rang while another was still ringing here, or while on a call. */
  violations: Violation[];
}

const OPEN = Number.POSITIVE_INFINITY;

/** The connection that was up at `t` (null: disconnected). */
export function epochAt(epochs: Epoch[], t: number): Epoch | null {
  for (let i = epochs.length - 1; i >= 0; i--) {
    const e = epochs[i]!;
    if (e.connectedAt <= t) return e.disconnectedAt === null || t < e.disconnectedAt ? e : null;
  }
  return null;
}

/** The last state the server told this device at or before `t` (binary search). */
export function stateAt(states: AgentStateEvt[], t: number): AgentStateEvt | null {
  let lo = 0;
  let hi = states.length - 1;
  let found: AgentStateEvt | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (states[mid]!.t <= t) {
      found = states[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function buildTimeline(log: AgentLog, endOfRun: number): AgentTimeline {
  const tl: AgentTimeline = {
    agentId: log.userId,
    lb: log.lb,
    epochs: log.epochs,
    offers: [],
    onCall: [],
    states: [],
    accepted: [],
    staleIncoming: 0,
    violations: [],
  };
  const events = [
    ...log.events,
    ...log.epochs.flatMap((e) => (e.disconnectedAt === null ? [] : [{ t: e.disconnectedAt, kind: 'disconnect' as const }])),
  ].sort((a, b) => a.t - b.t);
  const offers = new Map<string, OfferSpan>();
  const calls = new Map<string, number>();
  /** Per call, the highest offer seq this device saw end (Infinity: the call itself ended), and when. */
  const over = new Map<string, number>();
  const endedAt = new Map<string, number>();
  const endSeq = (callId: string, seq: number, t: number) => {
    over.set(callId, Math.max(over.get(callId) ?? 0, seq));
    endedAt.set(callId, t);
  };
  /** A sync's answer is as of some moment after it was sent: an end seen since is newer. */
  const staleFor = (callId: string, sentAt: number) => (endedAt.get(callId) ?? -Infinity) >= sentAt;
  /** When the agent let go of an offer itself (its decline left the device). */
  const letGo = new Map<OfferSpan, number>();
  const closeOffer = (callId: string, t: number, how: string) => {
    const o = offers.get(callId);
    if (!o) return;
    o.end = t;
    o.closedBy = how;
    offers.delete(callId);
  };
  const closeCall = (callId: string, t: number) => {
    const start = calls.get(callId);
    if (start === undefined) return;
    tl.onCall.push({ callId, start, end: t });
    calls.delete(callId);
  };
  const open = (callId: string, seq: number | null, t: number, serverStart: number) => {
    for (const other of offers.keys()) {
      if (other !== callId) tl.violations.push({ kind: 'double-offer', agentId: log.userId, callId, otherCallId: other, at: t });
    }
    for (const other of calls.keys()) {
      if (other !== callId) tl.violations.push({ kind: 'offer-while-on-call', agentId: log.userId, callId, otherCallId: other, at: t });
    }
    closeOffer(callId, t, 'rang-again');
    const span: OfferSpan = { agentId: log.userId, callId, seq, start: t, end: OPEN, serverStart, serverEnd: OPEN, closedBy: 'open' };
    offers.set(callId, span);
    tl.offers.push(span);
  };
  for (const e of events) {
    switch (e.kind) {
      case 'incoming':
        if (e.seq !== null && e.seq <= (over.get(e.callId) ?? 0)) tl.staleIncoming++;
        else open(e.callId, e.seq, e.t, e.offerAt ?? e.t);
        break;
      case 'offer-ended':
        endSeq(e.callId, e.seq, e.t);
        closeOffer(e.callId, e.t, e.result);
        break;
      case 'accepted':
        closeOffer(e.callId, e.t, e.ok ? 'accepted' : `accept-${e.code ?? 'failed'}`);
        if (e.ok) {
          calls.set(e.callId, e.t);
          tl.accepted.push(e.callId);
        }
        break;
      case 'declined': {
        // The offer it declined (its offer-ended may have come before the decline's ack).
        const o = tl.offers.findLast((x) => x.callId === e.callId && x.start <= e.sentAt);
        if (o) letGo.set(o, e.sentAt);
        closeOffer(e.callId, e.t, 'declined');
        break;
      }
      case 'ended':
        endSeq(e.callId, Number.POSITIVE_INFINITY, e.t);
        closeOffer(e.callId, e.t, `ended-${e.endReason ?? 'unknown'}`);
        closeCall(e.callId, e.t);
        break;
      case 'disconnect':
        // The device cannot tell while it is away; the sync after the reconnect says what still rings.
        for (const id of [...offers.keys()]) closeOffer(id, e.t, 'disconnect');
        break;
      case 'synced':
        // Not up any more (unless it was answered after the sync was sent).
        for (const [id, start] of [...calls]) if (!e.active.includes(id) && start < e.sentAt) closeCall(id, e.t);
        // Answered while the link was down (the accept's ack was lost with its node).
        for (const id of e.active) {
          if (calls.has(id) || staleFor(id, e.sentAt)) continue;
          closeOffer(id, e.t, 'accepted');
          calls.set(id, e.t);
          if (!tl.accepted.includes(id)) tl.accepted.push(id);
        }
        for (const id of e.ringing) if (!offers.has(id) && !staleFor(id, e.sentAt)) open(id, null, e.t, e.t);
        break;
      case 'state':
        tl.states.push(e);
        break;
    }
  }
  for (const id of [...offers.keys()]) closeOffer(id, endOfRun, 'open');
  for (const id of [...calls.keys()]) closeCall(id, endOfRun);
  // Server-time ends: the agent's first state after the offer began that is not this offer,
  // or the moment the agent declined it (the call may be offered on before the agent's own
  // state is written).
  for (const o of tl.offers) {
    const next = tl.states.find((s) => s.since >= o.serverStart && s.t >= o.start && !(s.state === 'reserved' && s.callId === o.callId));
    o.serverEnd = Math.min(next?.since ?? Infinity, letGo.get(o) ?? Infinity, o.end);
  }
  return tl;
}

/** Whether the server had this agent offerable at `t`, as its device knew it. */
export function idleAt(tl: AgentTimeline, t: number): boolean {
  if (!epochAt(tl.epochs, t)) return false;
  const s = stateAt(tl.states, t);
  if (!s || s.state !== 'ready' || (s.noOffersUntil ?? 0) > t || s.graceUntil !== null) return false;
  if (tl.offers.some((o) => o.start <= t && t < o.end)) return false;
  return !tl.onCall.some((c) => c.start <= t && t < c.end);
}
