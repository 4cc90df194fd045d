/**
 * The caller's side of a queue call (docs/support-line.md): while our call waits in line,
 * the server sends `queue:waiting` (QueueWaiting) on every change of its place, estimate or
 * stage; the call's model carries the latest one as `queueWaiting` until it is answered or
 * over. The words a caller reads about it are in shared/queue-labels.ts.
 *
 * A `queue:waiting` can overtake the invite's acknowledgement (the server emits both at
 * once): it is kept until the call is known here (`known`), at most a few of them.
 */
import type { CallInfo } from '../shared/contract.js';
import type { CallView, QueueWaiting } from '../shared/protocol/index.js';

/** What the waits need of the call registry (CallRegistry). */
export interface QueueWaitCalls {
  findCall(callId: string): CallInfo | undefined;
  setCall(info: CallInfo): void;
}

const MAX_PENDING = 8;

/** Our outgoing queue call, not answered (or over) yet: it waits in line or rings an agent. */
export function waitsInQueue(c: Pick<CallInfo, 'direction' | 'queue' | 'state'>): boolean {
  return c.direction === 'outgoing' && !!c.queue && c.state === 'ringing';
}

/**
 * The `queueWaiting` a new view of the call keeps: the last place in line while it still
 * waits; null once it is answered or over. Calls that are not our queue calls get none.
 */
export function carriedQueueWaiting(view: CallView, outgoing: boolean, previous: CallInfo | undefined): Partial<Pick<CallInfo, 'queueWaiting'>> {
  if (!outgoing || !view.queue) return {};
  return { queueWaiting: view.state === 'ringing' ? (previous?.queueWaiting ?? null) : null };
}

/**
 * Signaling lost while our queue call waits: the server keeps it in its place (another node
 * takes over its timers), so the ring-loss timer must not end it here — until its max-wait
 * has passed, when the server will have ended it anyway.
 */
export function keepsPlaceOffline(c: CallInfo, now: number): boolean {
  if (c.local !== 'ringing-out' || !waitsInQueue(c)) return false;
  const maxWaitAt = c.queueWaiting?.maxWaitAt ?? null;
  return maxWaitAt === null || now < maxWaitAt;
}

export class QueueWaits {
  private readonly pending = new Map<string, QueueWaiting>();

  constructor(private readonly calls: QueueWaitCalls) {}

  /** A `queue:waiting` push: our waiting call's model takes it (or it waits for the call). */
  waiting(w: QueueWaiting): void {
    const c = this.calls.findCall(w.callId);
    if (!c) {
      this.pending.delete(w.callId);
      this.pending.set(w.callId, w);
      if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      return;
    }
    if (!waitsInQueue(c) || c.local === 'ended') return;
    this.calls.setCall({ ...c, queueWaiting: w });
  }

  /** The call is known here now (invite ack, `call:ringing`): a push that came first applies. */
  known(info: CallInfo): CallInfo {
    const w = this.pending.get(info.callId);
    if (!w) return info;
    this.pending.delete(info.callId);
    this.waiting(w);
    return this.calls.findCall(info.callId) ?? info;
  }

  clear(): void {
    this.pending.clear();
  }
}
