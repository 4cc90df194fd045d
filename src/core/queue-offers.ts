/**
 * Queue offers on an agent's device (docs/protocol.md "Queues"). A queue call rings an agent
 * once per offer: `call:incoming` carries `offer {seq, at, deadline}`, and `seq` grows with
 * every offer of the call. `call:offer-ended {callId, seq}` stops that offer here while the call
 * goes on (missed, declined, taken by another agent, the caller left), so the device lets go of
 * the call quietly. A later offer of the same call (a higher seq) rings again like a new call;
 * word about an older offer (a lower seq) changes nothing.
 *
 * This module only decides; call-registry.ts applies the decisions to the session state.
 */
import type { CallInfo } from '../shared/contract.js';
import type { CallView } from '../shared/protocol/index.js';

/**
 * What to do with a server view of a call:
 * - `apply`: the usual rules (call-registry.ts);
 * - `stale`: about an offer that is over here (or older than the one ringing): ignore it;
 * - `new-offer`: a later offer of a call this device still holds: forget the old one, ring anew.
 */
export type OfferVerdict = 'apply' | 'stale' | 'new-offer';

/** When a call stops ringing here: its offer's deadline (queue calls), else the call's ring deadline. */
export function ringDeadlineOf(c: Pick<CallView, 'ringDeadline' | 'offer'>): number {
  return c.offer?.deadline ?? c.ringDeadline;
}

/** An offer of a queue call that still rings (or was declined) on this device. */
export function isPendingOffer(c: CallInfo): boolean {
  return c.offer != null && c.state === 'ringing' && (c.local === 'ringing-in' || c.local === 'elsewhere');
}

/** How many ended offers are remembered (oldest forgotten first): enough for a day of offers. */
const MAX_REMEMBERED = 500;

export class OfferBook {
  /** The highest offer seq that ended on this device, per call. */
  private readonly ended = new Map<string, number>();

  constructor(private readonly max = MAX_REMEMBERED) {}

  endedSeq(callId: string): number {
    return this.ended.get(callId) ?? 0;
  }

  /** The offer `seq` of the call is over here (and every older one). */
  markEnded(callId: string, seq: number): void {
    const seqNow = Math.max(seq, this.endedSeq(callId));
    this.ended.delete(callId);
    this.ended.set(callId, seqNow);
    while (this.ended.size > this.max) this.ended.delete(this.ended.keys().next().value as string);
  }

  /**
   * Word that the offer `seq` ended, for the call as this device holds it: false when it is
   * about an older offer than the one ringing here (stale, ignored).
   */
  endedIsCurrent(previous: CallInfo | undefined, seq: number): boolean {
    return !(previous?.offer && seq < previous.offer.seq);
  }

  verdict(view: CallView, previous: CallInfo | undefined, userId: string): OfferVerdict {
    const ended = this.endedSeq(view.callId);
    if (view.offer && view.state === 'ringing') {
      const seq = view.offer.seq;
      if (seq <= ended) return 'stale';
      if (!previous || previous.local === 'active') return 'apply';
      const before = previous.offer?.seq;
      if (before === undefined) return previous.state === 'ringing' && previous.local !== 'ringing-in' ? 'new-offer' : 'apply';
      if (seq < before) return 'stale';
      return seq > before ? 'new-offer' : 'apply';
    }
    // Not an offer: news of a queue call whose offers to this device are over (another agent
    // answered it, or it ended for the line) is not this device's business.
    if (!previous && ended > 0 && view.caller.id !== userId) return 'stale';
    return 'apply';
  }

  clear(): void {
    this.ended.clear();
  }
}
