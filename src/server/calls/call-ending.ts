/**
 * The second half of ending a call: its durable records, then the news. A call is marked
 * `ended` in live state first (the compare-and-set decides which ending wins) with
 * `unrecordedSince`, and only marked recorded once its records are committed. A node that
 * dies between the two steps leaves a call every other node recognises as ended but
 * unrecorded (`unrecordedSince` set): its deadline (armed for that case), a retried hangup or cancel, and the
 * journal reconciler then write the same records (idempotent: one per call and user) and
 * tell the parties and the agent service, as the dead node would have.
 */
import type { CallView } from '../../shared/protocol/index.js';
import type { LiveCall, LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../store/types.js';
import type { CallAccess } from './call-access.js';
import { announceRecords, historyRecords, toView } from './call-records.js';
import type { Notifier } from './notifier.js';

/** The deadline an ending call keeps until its records are committed (fires only if its node died). */
export const RECORD_RETRY_MS = 5_000;
/** An ending this old that is still unrecorded lost its node: any later ending request completes it. */
export const RECORD_STALE_MS = 2_000;

export interface EndingDeps {
  storage: Storage;
  live: LiveState;
  notifier: Notifier;
  access: CallAccess;
  log: Logger;
  retentionMs: number;
  /** The call service's `ended` / `ring-stopped` events (agents, push, queues listen). */
  emit: (event: 'ended' | 'ring-stopped', view: CallView) => void;
  refreshPresence: (c: LiveCall) => void;
}

/** Ended in live state, records not (yet) committed. */
export function unrecorded(c: LiveCall): boolean {
  return c.state === 'ended' && c.unrecordedSince !== undefined;
}

/** Unrecorded long enough that the node ending it is presumed dead. */
export function staleEnding(c: LiveCall, now: number): boolean {
  return unrecorded(c) && now - c.unrecordedSince! >= RECORD_STALE_MS;
}

/**
 * Commits the records of a call already marked ended, tells both users and the subscribers,
 * marks the call recorded and lets it expire. Safe to run more than once, on any node.
 */
export async function recordEnding(d: EndingDeps, c: LiveCall): Promise<CallView> {
  const records = await d.storage.history.finishCall(
    c.callId,
    { endedAt: c.endedAt!, outcome: c.outcome!, endReason: c.endReason! },
    historyRecords(c),
  );
  const view = toView(c);
  const wasAnswered = c.answeredAt !== null;
  d.emit('ended', view);
  d.notifier.toUser(c.caller.id, 'call:ended', { call: view });
  d.notifier.toUser(c.callee.id, 'call:ended', { call: view });
  if (!wasAnswered) d.emit('ring-stopped', view);
  await announceRecords(records, c, d.storage, d.notifier);
  const marked = (x: LiveCall) => {
    const { unrecordedSince: _, ...rest } = x;
    return rest;
  };
  await d.access.mutate(c.callId, (x) => (unrecorded(x) ? marked(x) : null)).catch((err: unknown) => {
    d.log.warn({ err, callId: c.callId }, 'marking a call recorded failed');
  });
  await d.live.calls.clearDeadline(c.callId);
  await d.live.calls.expire(c.callId, d.retentionMs);
  if (wasAnswered) d.refreshPresence(c);
  return view;
}

/** Completes the ending of a call whose node died after marking it ended (see the module comment). */
export async function completeEnding(d: EndingDeps, c: LiveCall, by: string): Promise<CallView> {
  d.log.warn({ callId: c.callId, by, endedAt: c.endedAt, outcome: c.outcome }, 'writing the records of a call whose ending was cut off');
  return recordEnding(d, c);
}
