/**
 * What "Call back" dials for a history record: the person, or, for our own call to a queue,
 * the queue again (its agent or the queue party is not who we meant to reach). A guest from
 * the public web page cannot be called back (they have no account): null.
 */
import type { HistoryRecord } from '../../shared/protocol/index.js';

export type CallBackTarget = { target: { userId: string } | { queue: string }; name: string };

export function callBackTarget(r: Pick<HistoryRecord, 'direction' | 'peer' | 'queue' | 'queueCall'>): CallBackTarget | null {
  if (r.direction === 'outgoing' && r.queue) return { target: { queue: r.queue.id }, name: r.queue.name };
  if (r.direction === 'incoming' && r.queueCall?.callerKind === 'guest') return null;
  return { target: { userId: r.peer.id }, name: r.peer.displayName };
}
