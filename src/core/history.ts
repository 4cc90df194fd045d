/**
 * The history cache of the session state (the first page, newest first):
 * pure rules for keeping it true across reconnects without relisting it.
 */
import type { HistoryRecord } from '../shared/protocol/index.js';

export const HISTORY_PAGE = 50;

/** Every record ended at or before `upTo` is seen. */
export function markSeen(history: readonly HistoryRecord[], upTo: number): HistoryRecord[] {
  return history.map((r) => ({ ...r, seen: r.seen || r.endedAt <= upTo }));
}

/** A new record goes first (once), the cache keeps one page. */
export function withRecord(history: readonly HistoryRecord[], record: HistoryRecord): HistoryRecord[] {
  return [record, ...history.filter((r) => r.id !== record.id)].slice(0, HISTORY_PAGE);
}

/**
 * After a resume sync: the cached history is complete when it starts with the server's
 * newest record (records never change, except `seen`), so there is no need to list a page
 * after every reconnect. Returns the cache with `seen` brought up to date (the same array
 * when nothing changed), or 'reload' when a page must be listed.
 */
export function historyAfterSync(
  cached: HistoryRecord[],
  res: { historyHead?: { id: string; endedAt: number } | null; lastSeenMissedAt?: number },
): HistoryRecord[] | 'reload' {
  const cachedHead = cached[0];
  const unchanged =
    res.historyHead !== undefined &&
    (res.historyHead === null
      ? cachedHead === undefined
      : cachedHead?.id === res.historyHead.id && cachedHead.endedAt === res.historyHead.endedAt);
  if (!unchanged || res.lastSeenMissedAt === undefined) return 'reload';
  const seenUpTo = res.lastSeenMissedAt;
  return cached.some((r) => !r.seen && r.endedAt <= seenUpTo) ? markSeen(cached, seenUpTo) : cached;
}
