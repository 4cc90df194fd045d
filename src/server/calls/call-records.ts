/**
 * A call's records: the client view of a live call, the final view of a journal
 * row, the one history record per participant a call ends in, and telling the
 * participants about those records.
 */
import type { CallView, HistoryRecord, UserSummary } from '../../shared/protocol/index.js';
import { isQueueCall, type LiveCall } from '../live/types.js';
import { queueOfParty, queueRecord } from '../queues/queue-call.js';
import type { CallJournalRow, NewHistoryRecord, Storage, UserRow } from '../store/types.js';
import type { Notifier } from './notifier.js';

export function toView(c: LiveCall): CallView {
  return {
    callId: c.callId,
    state: c.state,
    caller: c.caller,
    callee: c.callee,
    callerDeviceId: c.callerDeviceId,
    answeredDeviceId: c.answeredDeviceId,
    createdAt: c.createdAt,
    answeredAt: c.answeredAt,
    ringDeadline: c.ringDeadline,
    outcome: c.outcome,
    endReason: c.endReason,
    queue: c.queue ?? null,
    autoAnswerMs: c.autoAnswerMs ?? null,
    ...(isQueueCall(c) ? { callerKind: c.callerKind ?? 'user', queuedAt: c.queuedAt } : {}),
  };
}

/** The agent's own ring timer decides a miss (RONA); their client's safety net rings this much longer. */
export const OFFER_VIEW_MARGIN_MS = 2_000;

/** What an offered agent's devices see of a queue call: ringing them, with the offer. */
export function agentView(c: LiveCall, agentId: string): CallView {
  const offer = c.offers?.find((o) => o.agentId === agentId && o.seq === c.offerSeq);
  const view = toView(c);
  if (!offer) return view;
  return {
    ...view,
    callee: offer.agent,
    ringDeadline: offer.deadline + OFFER_VIEW_MARGIN_MS,
    autoAnswerMs: offer.autoAnswerMs,
    offer: { seq: offer.seq, at: offer.at, deadline: offer.deadline },
  };
}

/**
 * A queue call nobody answered: its callee is the queue, and only the caller has a record.
 * Nor does the queue party get one when the agent who answered could not be found again
 * (a call rebuilt from the journal, calls/call-recovery.ts): a queue is not a user.
 */
const callerOnly = (c: LiveCall) => (isQueueCall(c) && c.answeredAt === null) || queueOfParty(c.callee) !== undefined;

/** The final view of a finished call kept only in the durable journal. */
export function journalView(j: CallJournalRow, ringTimeoutMs: number): CallView | undefined {
  if (j.endedAt === null) return undefined;
  return {
    callId: j.callId,
    state: 'ended',
    caller: j.caller,
    callee: j.callee,
    callerDeviceId: j.callerDeviceId,
    answeredDeviceId: j.answeredDeviceId,
    createdAt: j.createdAt,
    answeredAt: j.answeredAt,
    ringDeadline: j.createdAt + ringTimeoutMs,
    outcome: j.outcome,
    endReason: j.endReason,
  };
}

/** A new call, ringing until `now + ringTimeoutMs`. */
export function ringingCall(p: {
  callId: string;
  caller: UserSummary;
  callee: UserSummary;
  callerDeviceId: string;
  now: number;
  ringTimeoutMs: number;
}): LiveCall {
  return {
    callId: p.callId,
    version: 0,
    state: 'ringing',
    caller: p.caller,
    callee: p.callee,
    callerDeviceId: p.callerDeviceId,
    ringingDeviceIds: [],
    declinedDeviceIds: [],
    answeredDeviceId: null,
    createdAt: p.now,
    answeredAt: null,
    ringDeadline: p.now + p.ringTimeoutMs,
    endedAt: null,
    outcome: null,
    endReason: null,
    lostDevices: {},
  };
}

/**
 * A call the journal shows unfinished and live state lost (the process died), rebuilt.
 * Answered: both devices get the full grace from `now` to come back; if neither does, the
 * call ends at the last moment the previous run was known alive.
 */
export function recoveredCall(j: CallJournalRow, now: number, ringTimeoutMs: number, lastAliveAt: number | undefined): LiveCall {
  const call = ringingCall({ ...j, now: j.createdAt, ringTimeoutMs });
  if (j.answeredAt === null) return call;
  call.state = 'answered';
  call.answeredAt = j.answeredAt;
  call.answeredDeviceId = j.answeredDeviceId;
  call.ringingDeviceIds = j.answeredDeviceId ? [j.answeredDeviceId] : [];
  call.lostDevices = { [call.callerDeviceId]: now, [call.answeredDeviceId!]: now };
  if (lastAliveAt !== undefined) call.lastAliveAt = Math.max(lastAliveAt, call.answeredAt);
  return call;
}

export function summary(u: UserRow | UserSummary): UserSummary {
  return { id: u.id, username: u.username, displayName: u.displayName };
}

export function isParty(userId: string, c: { caller: UserSummary; callee: UserSummary }): boolean {
  return c.caller.id === userId || c.callee.id === userId;
}

/** One record per participant, written in one transaction when the call ends. */
export function historyRecords(c: LiveCall): NewHistoryRecord[] {
  const base = {
    callId: c.callId,
    endReason: c.endReason!,
    startedAt: c.createdAt,
    answeredAt: c.answeredAt,
    endedAt: c.endedAt!,
    answeredDeviceId: c.answeredDeviceId,
    queue: c.queue ?? null,
    queueCall: isQueueCall(c) ? queueRecord(c) : null,
  };
  const outcome = c.outcome!;
  if (callerOnly(c)) return [{ ...base, userId: c.caller.id, direction: 'outgoing', peer: c.callee, outcome, missed: false }];
  const calleeMissed = c.answeredAt === null && outcome !== 'declined';
  return [
    { ...base, userId: c.caller.id, direction: 'outgoing', peer: c.callee, outcome, missed: false },
    {
      ...base,
      userId: c.callee.id,
      direction: 'incoming',
      peer: c.caller,
      // The caller heard "busy"; for the callee it is a call they missed.
      outcome: outcome === 'busy' ? 'missed' : outcome,
      missed: calleeMissed,
    },
  ];
}

/** Tells each participant's devices about their new record (with the missed count when it changes). */
export async function announceRecords(
  records: HistoryRecord[],
  c: LiveCall,
  storage: Storage,
  notifier: Notifier,
): Promise<void> {
  await Promise.all(
    records.map(async (record) => {
      const userId = record.direction === 'outgoing' ? c.caller.id : c.callee.id;
      if (callerOnly(c) && userId === c.callee.id) return;
      // Only a missed record changes the user's missed count: count only then.
      if (!record.missed) return notifier.toUser(userId, 'history:added', { record });
      const user = await storage.accounts.getUserById(userId);
      const missedCount = user ? await storage.history.missedCount(userId, user.lastSeenMissedAt) : 0;
      notifier.toUser(userId, 'history:added', { record, missedCount });
    }),
  );
}
