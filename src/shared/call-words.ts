/**
 * The words for an incoming call, shared by every surface that shows one (the incoming-call
 * card, the ringing window, the desktop notification), so they never read differently. A queue
 * offer names the queue, the caller, "via web" for a guest from the public page, and how long
 * the caller has waited.
 */
import type { CallInfo } from './contract.js';
import type { CallView } from './protocol/index.js';

/** An incoming call as this device holds it: `peer` is the caller. */
type IncomingFields = Pick<CallInfo, 'peer' | 'queue' | 'callerKind' | 'queuedAt' | 'offer'>;

/** "mm:ss", or "h:mm:ss" past an hour. */
export function formatDuration(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${String(m).padStart(2, '0')}:${sec}`;
}

/**
 * How long a queue caller has waited (s): when the offer was made (`offer.at − queuedAt`), or,
 * given `now` on the server's clock, until now (a card that ticks while the offer rings; never
 * less than at the offer). null: not a queue call, or nothing to count from.
 */
export function waitedSec(call: Pick<CallView, 'queuedAt' | 'offer'>, now?: number): number | null {
  if (call.queuedAt == null) return null;
  const until = Math.max(call.offer?.at ?? -Infinity, now ?? -Infinity);
  if (!Number.isFinite(until)) return null;
  return Math.max(0, Math.floor((until - call.queuedAt) / 1000));
}

/** "Support · via web · waited 01:12" for a queue call; null for any other call. */
export function queueCallDetail(call: Omit<IncomingFields, 'peer'>, now?: number): string | null {
  if (!call.queue) return null;
  const parts = [call.queue.name];
  if (call.callerKind === 'guest') parts.push('via web');
  const waited = waitedSec(call, now);
  if (waited !== null) parts.push(`waited ${formatDuration(waited)}`);
  return parts.join(' · ');
}

/**
 * The notification of an incoming call: "Bob (bob)"; a queue offer: "Incoming call · Support"
 * and "Web caller · Support · via web · waited 01:12" (a guest's username says nothing).
 */
export function incomingCallText(call: IncomingFields): { title: string; body: string } {
  const detail = queueCallDetail(call);
  if (detail === null) return { title: 'Incoming call', body: `${call.peer.displayName} (${call.peer.username})` };
  return { title: `Incoming call · ${call.queue!.name}`, body: `${call.peer.displayName} · ${detail}` };
}
