/**
 * A queue call's transitions, pure: one LiveCall whose callee changes (docs/protocol.md
 * "Queues"). While it waits, its callee is the queue party and `offeredTo` is empty; an offer
 * rings one agent (several with ring-all) and bumps `offerSeq`; a declined, missed or
 * withdrawn offer takes the agent out again and the call is back in its place (its
 * `queuedAt` never changes); an answer makes the answering agent the callee.
 * The queue service (queue-service.ts, queue-dispatch.ts) applies these with the call's
 * compare-and-set, so each is atomic across nodes.
 */
import type { CallerKind, QueueCallRecord, QueueConfig, QueueOutcome, UserSummary } from '../../shared/protocol/index.js';
import type { LiveCall, LiveOffer } from '../live/types.js';

type OfferResult = NonNullable<LiveOffer['result']>;

/** A queue call without max-wait still carries a ring deadline in its view. */
const NO_LIMIT_MS = 24 * 3_600_000;
/** Records list at most this many offers (QueueCallRecord). */
const MAX_RECORDED_OFFERS = 200;

/** Who a waiting queue call's callee is: the queue itself. */
export function queueParty(queue: Pick<QueueConfig, 'id' | 'name'>): UserSummary {
  return { id: `queue-${queue.id}`, username: queue.id, displayName: queue.name };
}

export function newQueueCall(p: {
  callId: string;
  caller: UserSummary;
  callerDeviceId: string;
  queue: QueueConfig;
  priority: number;
  callerKind: CallerKind;
  now: number;
}): LiveCall {
  const maxWaitAt = p.queue.maxWaitSec > 0 ? p.now + p.queue.maxWaitSec * 1000 : null;
  return {
    callId: p.callId,
    version: 0,
    state: 'ringing',
    caller: p.caller,
    callee: queueParty(p.queue),
    callerDeviceId: p.callerDeviceId,
    ringingDeviceIds: [],
    declinedDeviceIds: [],
    answeredDeviceId: null,
    createdAt: p.now,
    answeredAt: null,
    ringDeadline: maxWaitAt ?? p.now + NO_LIMIT_MS,
    endedAt: null,
    outcome: null,
    endReason: null,
    lostDevices: {},
    queue: { id: p.queue.id, name: p.queue.name },
    autoAnswerMs: null,
    queuedAt: p.now,
    priority: p.priority,
    callerKind: p.callerKind,
    maxWaitAt,
    offeredTo: [],
    offerSeq: 0,
    offers: [],
  };
}

export const isWaiting = (c: LiveCall): boolean => c.state === 'ringing' && (c.offeredTo?.length ?? 0) === 0;

/** The offer ringing `agentId` now, if any. */
export function currentOffer(c: LiveCall, agentId: string): LiveOffer | undefined {
  if (!c.offeredTo?.includes(agentId)) return undefined;
  return c.offers?.find((o) => o.agentId === agentId && o.seq === c.offerSeq && o.result === null);
}

/** Waiting → offered to these agents (offer number + 1). */
export function offerTo(
  c: LiveCall,
  agents: { agent: UserSummary; deviceIds: string[]; autoAnswerMs: number | null }[],
  now: number,
  deadline: number,
): LiveCall {
  const seq = (c.offerSeq ?? 0) + 1;
  const fresh: LiveOffer[] = agents.map((a) => ({ agentId: a.agent.id, seq, at: now, deadline, ...a, result: null }));
  return {
    ...c,
    offerSeq: seq,
    offeredTo: agents.map((a) => a.agent.id),
    offers: [...(c.offers ?? []), ...fresh],
    ringingDeviceIds: agents.flatMap((a) => a.deviceIds),
  };
}

/** The agents' offers stop ringing with `result`; none left: the call is back in line. */
export function endOffers(c: LiveCall, agentIds: readonly string[], result: OfferResult): LiveCall {
  const ending = (o: LiveOffer) => agentIds.includes(o.agentId) && o.seq === c.offerSeq && o.result === null;
  const gone = new Set((c.offers ?? []).filter(ending).flatMap((o) => o.deviceIds));
  return {
    ...c,
    offeredTo: (c.offeredTo ?? []).filter((a) => !agentIds.includes(a)),
    offers: (c.offers ?? []).map((o) => (ending(o) ? { ...o, result } : o)),
    ringingDeviceIds: c.ringingDeviceIds.filter((d) => !gone.has(d)),
  };
}

/** Compensation: offers whose agent could not be reserved never happened. */
export function dropOffers(c: LiveCall, agentIds: readonly string[], seq: number): LiveCall {
  const dropped = (o: LiveOffer) => agentIds.includes(o.agentId) && o.seq === seq && o.result === null;
  const gone = new Set((c.offers ?? []).filter(dropped).flatMap((o) => o.deviceIds));
  return {
    ...c,
    offeredTo: (c.offeredTo ?? []).filter((a) => !agentIds.includes(a)),
    offers: (c.offers ?? []).filter((o) => !dropped(o)),
    ringingDeviceIds: c.ringingDeviceIds.filter((d) => !gone.has(d)),
  };
}

/** The agent answers on `deviceId`: they become the callee; other ringing offers are withdrawn. */
export function answerOffer(c: LiveCall, agent: UserSummary, deviceId: string, now: number): LiveCall {
  const seq = c.offerSeq;
  return {
    ...c,
    state: 'answered',
    callee: agent,
    answeredDeviceId: deviceId,
    answeredAt: now,
    ringingDeviceIds: [deviceId],
    offeredTo: [],
    offers: (c.offers ?? []).map((o) =>
      o.seq === seq && o.result === null ? { ...o, result: o.agentId === agent.id ? 'answered' : 'withdrawn' } : o,
    ),
  };
}

/** Offers withdrawn by the answer of `c` (the other agents of a ring-all offer). */
export function withdrawnByAnswer(c: LiveCall): LiveOffer[] {
  return (c.offers ?? []).filter((o) => o.seq === c.offerSeq && o.result === 'withdrawn');
}

export function queueOutcome(c: LiveCall): QueueOutcome {
  if (c.answeredAt !== null) return 'answered';
  if (c.endReason === 'no_agents') return 'refused';
  if (c.endReason === 'cancelled' || c.endReason === 'device_lost' || c.endReason === 'hangup') return 'abandoned';
  return 'unanswered';
}

/** The queue part of both records of an ended queue call. */
export function queueRecord(c: LiveCall): QueueCallRecord {
  const queuedAt = c.queuedAt ?? c.createdAt;
  const end = c.endedAt ?? queuedAt;
  const offers = (c.offers ?? []).map((o) => ({ agent: o.agent, at: o.at, result: o.result ?? ('withdrawn' as const) }));
  return {
    outcome: queueOutcome(c),
    waitSec: Math.max(0, Math.round(((c.answeredAt ?? end) - queuedAt) / 1000)),
    talkSec: c.answeredAt === null ? 0 : Math.max(0, Math.round((end - c.answeredAt) / 1000)),
    offers: offers.slice(-MAX_RECORDED_OFFERS),
    callerKind: c.callerKind ?? 'user',
  };
}
