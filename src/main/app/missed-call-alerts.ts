/**
 * Missed calls: a notification per missed call, grouped into one growing
 * notification ("3 missed calls") when they arrive close together, the
 * dock/launcher badge, and — the part that matters most — calls missed
 * while this device was asleep or offline, shown once it reconnects.
 *
 * Everything is derived from the session state, not from live events: the
 * core's history after `session:sync` contains what happened while we were
 * away, and live `history:added` records land in the same place. A
 * persisted watermark (per user) remembers what this device already told
 * the user about, so a restart or a reconnect never repeats a notification
 * and never skips one. Records the user has seen on any device
 * (`seen`, server-side) are never announced.
 */
import type { CoreLogger, KeyValueStore } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { SessionState } from '../../shared/contract.js';
import type { HistoryRecord } from '../../shared/protocol/index.js';
import type { Notice, NotificationHandle, NotifierPort, ShellPort } from './ports.js';

export const MISSED_WATERMARK_KEY = 'missed-notified';

interface Watermark {
  userId: string;
  /** endedAt of the newest record announced. */
  upTo: number;
  /** Ids announced with endedAt === upTo (two calls can end in the same millisecond). */
  ids: string[];
}

export interface MissedCallAlertsDeps {
  store: KeyValueStore;
  notifier: NotifierPort;
  shell: ShellPort;
  openHistory(): void;
  callBack(userId: string): void;
  /** Missed calls closer together than this share one notification. */
  groupWindowMs?: number;
  now?: () => number;
  formatTime?: (ms: number) => string;
  log?: CoreLogger;
}

interface Group {
  tag: string;
  records: HistoryRecord[];
  lastAt: number;
  handle: Promise<NotificationHandle | null>;
}

function defaultTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** What a group of missed calls says. Exported for tests and the tray. */
export function missedNotice(records: HistoryRecord[], tag: string, formatTime: (ms: number) => string = defaultTime): Notice {
  const sorted = [...records].sort((a, b) => a.endedAt - b.endedAt);
  const last = sorted[sorted.length - 1]!;
  const peers = new Map<string, { name: string; count: number }>();
  for (const r of sorted) {
    const p = peers.get(r.peer.id) ?? { name: r.peer.displayName, count: 0 };
    p.count++;
    peers.set(r.peer.id, p);
  }
  const onePeer = peers.size === 1;
  if (sorted.length === 1) {
    return {
      tag,
      kind: 'missed-calls',
      title: 'Missed call',
      body: `${last.peer.displayName} called at ${formatTime(last.endedAt)}`,
      actions: [{ key: 'call-back', label: 'Call back' }],
      urgency: 'normal',
      persistent: false,
    };
  }
  const names = [...peers.values()].map((p) => (p.count > 1 ? `${p.name} (${p.count})` : p.name));
  const shown = names.slice(0, 3);
  const rest = names.length - shown.length;
  return {
    tag,
    kind: 'missed-calls',
    title: onePeer ? `${sorted.length} missed calls from ${last.peer.displayName}` : `${sorted.length} missed calls`,
    body: onePeer
      ? `Last at ${formatTime(last.endedAt)}`
      : `${shown.join(', ')}${rest > 0 ? ` and ${rest} other${rest > 1 ? 's' : ''}` : ''}`,
    actions: onePeer ? [{ key: 'call-back', label: 'Call back' }] : [],
    urgency: 'normal',
    persistent: false,
  };
}

export class MissedCallAlerts {
  private watermark: Watermark | null = null;
  private loaded = false;
  private group: Group | null = null;
  private badge = -1;
  private latest: SessionState | null = null;
  private running: Promise<void> | null = null;
  private readonly groupWindowMs: number;
  private readonly now: () => number;
  private readonly log: CoreLogger;

  constructor(private readonly deps: MissedCallAlertsDeps) {
    this.groupWindowMs = deps.groupWindowMs ?? 10_000;
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? silentLogger;
  }

  /**
   * Feeds a session snapshot. States arrive in bursts; only the newest one
   * matters, and processing is serialised (the watermark is persisted).
   * Resolves when that state has been processed.
   */
  update(state: SessionState): Promise<void> {
    this.latest = state;
    this.running ??= (async () => {
      try {
        while (this.latest) {
          const s = this.latest;
          this.latest = null;
          await this.process(s).catch((err: unknown) => this.log.warn('missed-call alerts failed', { error: String(err) }));
        }
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Closes the current missed-call notification (e.g. the user opened the history). */
  dismiss(): void {
    const g = this.group;
    this.group = null;
    void g?.handle.then((h) => h?.close()).catch(() => undefined);
  }

  private setBadge(count: number): void {
    if (count === this.badge) return;
    this.badge = count;
    this.deps.shell.setBadgeCount(count);
  }

  private async process(s: SessionState): Promise<void> {
    const signedIn = s.phase === 'signed-in' && s.user !== null;
    this.setBadge(signedIn ? s.missedCount : 0);
    if (!signedIn) {
      this.dismiss();
      return;
    }
    // Everything seen (on any device): the notification has nothing left to say.
    if (s.missedCount === 0 && this.group) this.dismiss();
    // While disconnected the history is what we had before: nothing new in it.
    if (s.connection !== 'connected') return;

    const userId = s.user!.id;
    if (!this.loaded) {
      this.watermark = (await this.deps.store.get<Watermark>(MISSED_WATERMARK_KEY)) ?? null;
      this.loaded = true;
    }
    const mark: Watermark =
      this.watermark && this.watermark.userId === userId ? this.watermark : { userId, upTo: 0, ids: [] };
    const fresh = s.history.filter(
      (r) => r.missed && !r.seen && (r.endedAt > mark.upTo || (r.endedAt === mark.upTo && !mark.ids.includes(r.id))),
    );
    if (fresh.length === 0) return;

    const upTo = Math.max(mark.upTo, ...fresh.map((r) => r.endedAt));
    const ids = [
      ...(upTo === mark.upTo ? mark.ids : []),
      ...fresh.filter((r) => r.endedAt === upTo).map((r) => r.id),
    ];
    this.watermark = { userId, upTo, ids };
    await this.deps.store.set(MISSED_WATERMARK_KEY, this.watermark);
    this.announce(fresh);
  }

  private announce(records: HistoryRecord[]): void {
    const now = this.now();
    const previous = this.group && now - this.group.lastAt <= this.groupWindowMs ? this.group : null;
    const all = previous ? [...previous.records, ...records] : records;
    const tag = previous?.tag ?? `missed-${now}`;
    const notice = missedNotice(all, tag, this.deps.formatTime);
    const lastPeer = [...all].sort((a, b) => b.endedAt - a.endedAt)[0]!.peer.id;
    const handle = (previous ? previous.handle.then(() => undefined) : Promise.resolve())
      .then(() =>
        this.deps.notifier.show(notice, {
          onClick: () => this.deps.openHistory(),
          onAction: (key) => {
            if (key === 'call-back') this.deps.callBack(lastPeer);
            else this.deps.openHistory();
          },
        }),
      )
      .catch((err: unknown) => {
        this.log.warn('missed-call notification failed', { error: String(err) });
        return null;
      });
    this.group = { tag, records: all, lastAt: now, handle };
  }
}
