/**
 * The queue load test's verdict, computed from what the devices saw (queue-log.ts) and the
 * durable records the nodes wrote: the invariants (no double offer, no lost call,
 * every call answered or ended with a reason, one record per participant) and the offer
 * latency. Pure: the runner collects the logs and the records, this only counts.
 *
 * Offer latency (the issue: "call queued with a ready agent → `call:incoming` at the agent"):
 * for every call queued while more agents were idle (connected, ready, past any no-offer
 * delay, not ringing, not on a call — as their devices knew it) than calls were waiting ahead
 * of it, the time from its enqueue (the server's `queuedAt`; the caller's invite ack on a
 * server that does not say) to the first `call:incoming` of the call at any agent. Such a
 * call never offered counts with the time until it ended, so a stuck call cannot hide. The
 * same from the invite's departure is reported too (it adds the invite's way in).
 */
import type { AgentLog, CallerCall, CallerLog } from './queue-log.js';
import { buildTimeline, epochAt, idleAt, type AgentTimeline, type OfferSpan, type Violation } from './queue-timeline.js';

/** What the runner read of one history record (storage.history.recordsForCall). */
export interface RecordLite {
  userId: string;
  endReason: string;
  /** queueCall.outcome (null: the record has no queue details). */
  queueOutcome: string | null;
}

export interface LatencySample {
  callId: string;
  /**
   * From the call's enqueue (the server's `queuedAt`, on the machine's clock like the devices'
   * times; the invite's ack on a server without it) to the first `call:incoming` (ms), and
   * from the invite leaving the caller.
   */
  ms: number;
  fromSendMs: number;
  /** Node of the agent the call was offered to (the caller's, when it never was). */
  node: string;
  afterKill: boolean;
  /** When the call was queued (epoch ms). */
  at: number;
  neverOffered: boolean;
}

export interface QueueCounts {
  placed: number;
  answered: number;
  /** By the caller's end reason (answered calls end `hangup`). */
  endReasons: Record<string, number>;
  abandoned: number;
  /** Invites whose ack was lost and that no node had placed (none expected but at the kill). */
  neverPlaced: number;
  /** Invites whose ack was lost, placed and ended meanwhile (their records say how). */
  endedUnseen: number;
  inviteErrors: Record<string, number>;
  skipped: number;
  offers: number;
  reOffers: number;
  /** Offers whose `call:incoming` came after the device had their end (see queue-timeline.ts). */
  staleIncoming: number;
  /**
   * Calls an agent answered whose caller was never told (`call:answered` lost with a node
   * that died just after the answer); they still end with a reason and both records.
   */
  answerUnseenByCaller: number;
  offerResults: Record<string, number>;
}

export interface QueueInvariants {
  /** An agent rang for a second call while the first still rang, or while on a call. */
  doubleOffers: number;
  offersWhileOnCall: number;
  /** One call ringing two agents at once (server times of the offers overlap). */
  callsOfferedTwice: number;
  /** Two agents answered one call, or the caller was connected to another agent than the one who answered. */
  answeredTwice: number;
  answerMismatches: number;
  /** Placed calls neither answered-and-ended nor ended at the caller. */
  lostCalls: number;
  endedWithoutReason: number;
  missingCallerRecords: number;
  duplicateCallerRecords: number;
  missingAgentRecords: number;
  duplicateAgentRecords: number;
  /** Records of users who did not take part (e.g. an agent who only missed the offer). */
  extraRecords: number;
  /** The caller's record says another end reason than the caller saw. */
  recordMismatches: number;
  /** Records without queue details, and with a queue outcome other than the call's. */
  missingQueueOutcome: number;
  wrongQueueOutcome: number;
  /** A few of each, for the report (ids and times). */
  examples: Violation[];
}

export interface QueueAnalysis {
  counts: QueueCounts;
  invariants: QueueInvariants;
  /** Calls worth a look that break no invariant (e.g. an answer the caller never heard of). */
  observations: Violation[];
  samples: LatencySample[];
}

export interface AnalysisInput {
  agents: AgentLog[];
  callers: CallerLog;
  records: Map<string, RecordLite[]>;
  /** Which node a connection through balancer `lb` that opened at `connectedAt` reached. */
  nodeOf(lb: number, connectedAt: number): string;
  killAt: number | null;
  endOfRun: number;
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/**
 * A call that reached a node: its ack came, or (ack lost) a later sync found it, or records
 * of it exist (it ended before the caller could ask).
 */
const placed = (c: CallerCall, recs: RecordLite[]) =>
  c.ackError === null || (c.ackError === 'timeout' && (!c.neverPlaced || recs.length > 0));
/** Placed, but its caller never learnt how it ended (its invite's ack was lost): the record says. */
const endedUnseen = (c: CallerCall, recs: RecordLite[]) => c.neverPlaced && recs.length > 0;

/** The queue outcome the records should carry, from what the caller and the agents saw. */
function expectedOutcome(c: CallerCall, taken: boolean): string {
  if (c.answeredAt !== null || taken) return 'answered';
  if (c.endReason === 'max_wait') return 'unanswered';
  if (c.endReason === 'no_agents') return 'refused';
  return 'abandoned';
}

export function analyse(input: AnalysisInput): QueueAnalysis {
  const timelines = input.agents.map((a) => buildTimeline(a, input.endOfRun));
  const calls = input.callers.calls;
  const examples: Violation[] = [];
  const observations: Violation[] = [];
  const note = (v: Violation) => {
    if (examples.filter((e) => e.kind === v.kind).length < 5) examples.push(v);
  };

  const offersByCall = new Map<string, OfferSpan[]>();
  for (const tl of timelines) {
    for (const o of tl.offers) {
      const list = offersByCall.get(o.callId) ?? [];
      list.push(o);
      offersByCall.set(o.callId, list);
    }
  }
  const acceptedBy = new Map<string, string[]>();
  for (const tl of timelines) {
    for (const id of tl.accepted) acceptedBy.set(id, [...(acceptedBy.get(id) ?? []), tl.agentId]);
  }

  const inv: QueueInvariants = {
    doubleOffers: 0,
    offersWhileOnCall: 0,
    callsOfferedTwice: 0,
    answeredTwice: 0,
    answerMismatches: 0,
    lostCalls: 0,
    endedWithoutReason: 0,
    missingCallerRecords: 0,
    duplicateCallerRecords: 0,
    missingAgentRecords: 0,
    duplicateAgentRecords: 0,
    extraRecords: 0,
    recordMismatches: 0,
    missingQueueOutcome: 0,
    wrongQueueOutcome: 0,
    examples,
  };
  // The caller's view of when each call ended: an agent's device that was cut off while on a
  // call learns of its end only from the sync after its reconnect, and may be offered the next
  // call before that sync's answer; a call that had ended by then was no longer up.
  const endedAtCaller = new Map(calls.map((c) => [c.callId, c.endedAt ?? Infinity]));
  for (const tl of timelines) {
    for (const v of tl.violations) {
      if (v.kind === 'double-offer') inv.doubleOffers++;
      else if ((endedAtCaller.get(v.otherCallId!) ?? Infinity) <= v.at) continue;
      else inv.offersWhileOnCall++;
      note(v);
    }
  }
  for (const [callId, spans] of offersByCall) {
    const sorted = [...spans].sort((a, b) => a.serverStart - b.serverStart);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted.slice(0, i).find((p) => p.agentId !== sorted[i]!.agentId && p.serverEnd > sorted[i]!.serverStart);
      if (prev) {
        inv.callsOfferedTwice++;
        note({ kind: 'call-offered-twice', callId, agentId: sorted[i]!.agentId, at: sorted[i]!.serverStart, detail: `still ringing ${prev.agentId} until ${prev.serverEnd.toFixed(1)}` });
        break;
      }
    }
  }

  const counts: QueueCounts = {
    placed: 0,
    answered: 0,
    endReasons: {},
    abandoned: 0,
    neverPlaced: 0,
    endedUnseen: 0,
    inviteErrors: {},
    skipped: input.callers.skipped,
    offers: 0,
    reOffers: 0,
    staleIncoming: timelines.reduce((n, t) => n + t.staleIncoming, 0),
    answerUnseenByCaller: 0,
    offerResults: {},
  };
  for (const tl of timelines) {
    for (const o of tl.offers) {
      counts.offers++;
      bump(counts.offerResults, o.closedBy);
    }
  }
  for (const c of calls) {
    if (c.ackError !== null) bump(counts.inviteErrors, c.ackError);
    const recs = input.records.get(c.callId) ?? [];
    if (endedUnseen(c, recs)) counts.endedUnseen++;
    else if (c.neverPlaced) counts.neverPlaced++;
    if (!placed(c, recs)) {
      if (recs.length > 0) {
        inv.extraRecords += recs.length;
        note({ kind: 'record-of-unplaced-call', callId: c.callId, at: c.sentAt });
      }
      continue;
    }
    counts.placed++;
    const takers = acceptedBy.get(c.callId) ?? [];
    counts.reOffers += Math.max(0, (offersByCall.get(c.callId)?.length ?? 0) - 1);
    if (endedUnseen(c, recs)) {
      const reason = recs.find((r) => r.userId === c.callerId)?.endReason;
      if (reason) bump(counts.endReasons, reason);
      else inv.endedWithoutReason++;
    } else if (c.endedAt === null) {
      inv.lostCalls++;
      note({ kind: 'lost-call', callId: c.callId, at: c.sentAt, detail: c.answeredAt ? 'answered, never ended' : 'never answered or ended' });
    } else if (!c.endReason) {
      inv.endedWithoutReason++;
      note({ kind: 'ended-without-reason', callId: c.callId, at: c.endedAt });
    } else bump(counts.endReasons, c.endReason);
    if (c.answeredAt !== null || takers.length > 0) counts.answered++;
    else if (c.cancelledAt !== null) counts.abandoned++;
    if (c.answeredAt === null && takers.length > 0) {
      counts.answerUnseenByCaller++;
      if (observations.length < 10) {
        observations.push({ kind: 'answer-unseen-by-caller', callId: c.callId, agentId: takers[0], at: c.sentAt, detail: `ended ${c.endReason ?? 'never'}` });
      }
    }

    if (takers.length > 1) {
      inv.answeredTwice++;
      note({ kind: 'answered-twice', callId: c.callId, at: c.answeredAt ?? c.sentAt, detail: takers.join(', ') });
    }
    const agentId = c.answeredBy ?? takers[0] ?? null;
    if (c.answeredBy !== null && takers.length > 0 && !takers.includes(c.answeredBy)) {
      inv.answerMismatches++;
      note({ kind: 'answer-mismatch', callId: c.callId, at: c.answeredAt!, detail: `caller saw ${c.answeredBy}, accepted by ${takers.join(', ')}` });
    }

    const mine = recs.filter((r) => r.userId === c.callerId);
    if (mine.length === 0) {
      inv.missingCallerRecords++;
      note({ kind: 'missing-caller-record', callId: c.callId, at: c.sentAt });
    } else if (mine.length > 1) {
      inv.duplicateCallerRecords++;
      note({ kind: 'duplicate-caller-record', callId: c.callId, at: c.sentAt });
    }
    const rec = mine[0];
    if (rec && c.endReason && c.endedAt !== null && rec.endReason !== c.endReason) {
      inv.recordMismatches++;
      note({ kind: 'record-mismatch', callId: c.callId, at: c.sentAt, detail: `record ${rec.endReason}, caller saw ${c.endReason}` });
    }
    if (rec && c.endedAt !== null) {
      if (rec.queueOutcome === null) inv.missingQueueOutcome++;
      else if (rec.queueOutcome !== expectedOutcome(c, takers.length > 0)) {
        inv.wrongQueueOutcome++;
        const expected = expectedOutcome(c, takers.length > 0);
        note({ kind: 'wrong-queue-outcome', callId: c.callId, at: c.sentAt, detail: `record ${rec.queueOutcome}, expected ${expected}` });
      }
    }
    if (agentId !== null) {
      const theirs = recs.filter((r) => r.userId === agentId);
      if (theirs.length === 0) {
        inv.missingAgentRecords++;
        note({ kind: 'missing-agent-record', callId: c.callId, agentId, at: c.answeredAt ?? c.sentAt });
      } else if (theirs.length > 1) inv.duplicateAgentRecords++;
    }
    const others = recs.filter((r) => r.userId !== c.callerId && r.userId !== agentId);
    if (others.length > 0) {
      inv.extraRecords += others.length;
      note({ kind: 'extra-record', callId: c.callId, at: c.sentAt, detail: others.map((r) => `${r.userId}:${r.endReason}`).join(', ') });
    }
  }

  return { counts, invariants: inv, observations, samples: latencySamples(input, timelines, offersByCall) };
}

function latencySamples(input: AnalysisInput, timelines: AgentTimeline[], offersByCall: Map<string, OfferSpan[]>): LatencySample[] {
  const calls = input.callers.calls.filter((c) => c.ackAt !== null && c.ackError === null);
  const order = (c: CallerCall) => c.queuedAt ?? c.ackAt ?? c.sentAt;
  const firstOffer = new Map<string, OfferSpan>();
  for (const [id, spans] of offersByCall) firstOffer.set(id, spans.reduce((a, b) => (b.start < a.start ? b : a)));
  const byId = new Map(timelines.map((t) => [t.agentId, t]));
  const callerEpochs = new Map(input.callers.epochs.map((e) => [e.userId, e]));
  const ringingAt = (callId: string, t: number) => (offersByCall.get(callId) ?? []).some((o) => o.start <= t && t < o.end);
  const waitingAt = (c: CallerCall, t: number) =>
    (c.queuedAt ?? c.ackAt!) <= t && (c.endedAt === null || c.endedAt > t) && (c.answeredAt === null || c.answeredAt > t) && !ringingAt(c.callId, t);
  const out: LatencySample[] = [];
  for (const c of calls) {
    const t = c.queuedAt ?? c.ackAt!;
    const idle = timelines.filter((tl) => idleAt(tl, t)).length;
    if (idle === 0) continue;
    const ahead = calls.filter((o) => o !== c && order(o) < order(c) && waitingAt(o, t)).length;
    if (idle <= ahead) continue;
    const first = firstOffer.get(c.callId);
    const afterKill = input.killAt !== null && t >= input.killAt;
    if (first) {
      const tl = byId.get(first.agentId)!;
      const epoch = epochAt(tl.epochs, first.start);
      out.push({
        callId: c.callId,
        // Clamped: the server's clock reading has 1 ms resolution; an offer cannot precede its call.
        ms: Math.max(0, first.start - t),
        fromSendMs: first.start - c.sentAt,
        node: epoch ? input.nodeOf(tl.lb, epoch.connectedAt) : 'none',
        afterKill,
        at: t,
        neverOffered: false,
      });
    } else {
      const ce = callerEpochs.get(c.callerId);
      const epoch = ce ? epochAt(ce.epochs, t) : null;
      const end = c.endedAt ?? input.endOfRun;
      out.push({
        callId: c.callId,
        ms: end - t,
        fromSendMs: end - c.sentAt,
        node: epoch && ce ? input.nodeOf(ce.lb, epoch.connectedAt) : 'none',
        afterKill,
        at: t,
        neverOffered: true,
      });
    }
  }
  return out;
}
