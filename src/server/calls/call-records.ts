/**
 * A call's records: the client view of a live call, the final view of a journal
 * row, the one history record per participant a call ends in, and telling the
 * participants about those records.
 */
import type { CallView, HistoryRecord, UserSummary } from '../../shared/protocol/index.js';
import type { LiveCall } from '../live/types.js';
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
  };
}

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
  };
  const outcome = c.outcome!;
  if (c.calleeIsQueue) return [{ ...base, userId: c.caller.id, direction: 'outgoing', peer: c.callee, outcome, missed: false }];
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
      if (c.calleeIsQueue && userId === c.callee.id) return;
      // Only a missed record changes the user's missed count: count only then.
      if (!record.missed) return notifier.toUser(userId, 'history:added', { record });
      const user = await storage.accounts.getUserById(userId);
      const missedCount = user ? await storage.history.missedCount(userId, user.lastSeenMissedAt) : 0;
      notifier.toUser(userId, 'history:added', { record, missedCount });
    }),
  );
}
