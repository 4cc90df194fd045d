/**
 * Presence in the core: the user's own status, and the presence of the people a surface
 * shows (watched), kept current from the server's events.
 *
 * Snapshots (the `presence:subscribe` and `presence:set` acks, directory search results) and
 * events (`presence:changed`, `status:changed`) race: the server reads a snapshot, a change
 * is published, and the event reaches us before the ack that carries the older value. So an
 * event received after a request was sent wins over that request's snapshot, for that user.
 * Every value a surface gets from here has been merged by that rule.
 */
import type {
  ClientEventName,
  ClientRequest,
  ClientResponse,
  DirectoryEntry,
  DirectoryQueue,
  PresenceStatus,
  SetStatus,
} from '../shared/protocol/index.js';

type PresenceEvent = 'presence:set' | 'presence:subscribe' | 'directory:search';

export interface PresenceDeps {
  request<E extends PresenceEvent & ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResponse<E>>;
  /** Another user's presence changed (or was learnt). */
  emit(update: { userId: string; presence: PresenceStatus }): void;
  /** The user's own status and presence changed. */
  setOwn(own: { status: SetStatus; presence: PresenceStatus }): void;
}

interface Known {
  presence: PresenceStatus;
  /** The event count when it was learnt: a snapshot requested at or after it may replace it. */
  seq: number;
}

export class PresenceTracker {
  private watched: string[] = [];
  private readonly known = new Map<string, Known>();
  /** Counts server events about others, and about the user's own status. */
  private seq = 0;
  private ownSeq = 0;

  constructor(private readonly deps: PresenceDeps) {}

  /** `presence:changed` from the server. */
  changed(userId: string, presence: PresenceStatus): void {
    this.known.set(userId, { presence, seq: ++this.seq });
    this.deps.emit({ userId, presence });
  }

  /** `status:changed` from the server (set from any of the user's devices). */
  ownChanged(status: SetStatus, presence: PresenceStatus): void {
    this.ownSeq++;
    this.deps.setOwn({ status, presence });
  }

  async setStatus(status: SetStatus): Promise<void> {
    const mark = this.ownSeq;
    const res = await this.deps.request('presence:set', { status });
    // A `status:changed` received meanwhile is at least as new as this ack (our own change
    // comes as one too, before the ack); only without one does the ack decide.
    if (this.ownSeq === mark) this.deps.setOwn({ status: res.status, presence: res.presence });
  }

  /** Replaces the watched users; returns their current presence. */
  watch(userIds: string[]): Promise<Record<string, PresenceStatus>> {
    this.watched = [...new Set(userIds)];
    return this.subscribe();
  }

  /** After a reconnect: subscribe again and announce what changed while we were away. */
  async resubscribe(): Promise<void> {
    if (this.watched.length === 0) return;
    const presence = await this.subscribe();
    for (const [userId, p] of Object.entries(presence)) this.deps.emit({ userId, presence: p });
  }

  async search(query: string, limit = 100): Promise<DirectoryEntry[]> {
    return (await this.directory(query, limit)).users;
  }

  /** The directory: people (presence merged as above) and the queues that match. */
  async directory(query: string, limit = 100): Promise<{ users: DirectoryEntry[]; queues: DirectoryQueue[] }> {
    const mark = this.seq;
    const { users, queues = [] } = await this.deps.request('directory:search', { query, limit });
    const merged = this.absorb(Object.fromEntries(users.map((u) => [u.id, u.presence])), mark);
    return { users: users.map((u) => ({ ...u, presence: merged[u.id] ?? u.presence })), queues };
  }

  clear(): void {
    this.watched = [];
    this.known.clear();
    this.seq = 0;
    this.ownSeq = 0;
  }

  private async subscribe(): Promise<Record<string, PresenceStatus>> {
    const mark = this.seq;
    const { presence } = await this.deps.request('presence:subscribe', { userIds: this.watched });
    return this.absorb(presence, mark);
  }

  /** Merges a snapshot taken after event `mark`: newer events win, the rest is learnt. */
  private absorb(snapshot: Record<string, PresenceStatus>, mark: number): Record<string, PresenceStatus> {
    const out: Record<string, PresenceStatus> = {};
    for (const [userId, p] of Object.entries(snapshot)) {
      const k = this.known.get(userId);
      if (k && k.seq > mark) {
        out[userId] = k.presence;
      } else {
        out[userId] = p;
        this.known.set(userId, { presence: p, seq: mark });
      }
    }
    return out;
  }
}
