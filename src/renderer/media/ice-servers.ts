/**
 * The ICE servers (STUN, TURN with time-limited credentials) for this
 * device's peer connections, fetched from the host once and reused.
 *
 * Asking the host for every call put a host round trip (and, behind it, an
 * HTTP request to the server) on the path of every call setup. The list is
 * now fetched ahead of time (when a call starts ringing) and kept while its
 * TURN credentials are young: TURN REST usernames carry their expiry
 * (`<unix seconds>:<user>`), and a cached list is only handed out during the
 * first half of that lifetime, so a call never starts with credentials that
 * are about to lapse. A failed fetch yields no servers (host candidates still
 * work on the same network) and is not cached.
 */

/** Lists without credentials (STUN only, or none) are refreshed this often. */
export const PLAIN_LIST_MAX_AGE_MS = 10 * 60_000;

export type IceServerFetch = () => Promise<RTCIceServer[]>;

interface Entry {
  servers: RTCIceServer[];
  /** Handed out until then (epoch ms). */
  freshUntil: number;
}

/** Epoch ms at which the TURN REST credentials in `servers` expire, or null when none carry one. */
export function credentialsExpireAt(servers: RTCIceServer[]): number | null {
  let earliest: number | null = null;
  for (const s of servers) {
    if (typeof s.username !== 'string') continue;
    const m = /^(\d{9,12}):/.exec(s.username);
    if (!m) continue;
    const at = Number(m[1]) * 1000;
    earliest = earliest === null ? at : Math.min(earliest, at);
  }
  return earliest;
}

export class IceServerCache {
  private entry: Entry | null = null;
  private inflight: Promise<RTCIceServer[]> | null = null;
  /** Bumped by `clear`, so a fetch started for another account is not kept. */
  private epoch = 0;

  constructor(
    private readonly fetchServers: IceServerFetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached list if it may still be used, without waiting. */
  peek(): RTCIceServer[] | null {
    const e = this.entry;
    return e && this.now() < e.freshUntil ? e.servers : null;
  }

  /** The list to use for a new peer connection: cached, or fetched now (one fetch at a time). */
  get(): Promise<RTCIceServer[]> {
    const cached = this.peek();
    if (cached) return Promise.resolve(cached);
    this.inflight ??= this.fetch();
    return this.inflight;
  }

  /** Fetches in the background if the cached list is missing or too old. */
  prefetch(): void {
    void this.get();
  }

  /** Forgets the list (another account signed in: credentials are per user). */
  clear(): void {
    this.entry = null;
    this.inflight = null;
    this.epoch++;
  }

  private async fetch(): Promise<RTCIceServer[]> {
    const epoch = this.epoch;
    const fetchedAt = this.now();
    try {
      const servers = await this.fetchServers();
      if (epoch === this.epoch) {
        const expiresAt = credentialsExpireAt(servers);
        const freshUntil = expiresAt === null ? fetchedAt + PLAIN_LIST_MAX_AGE_MS : fetchedAt + (expiresAt - fetchedAt) / 2;
        this.entry = { servers, freshUntil };
      }
      return servers;
    } catch {
      return [];
    } finally {
      if (epoch === this.epoch) this.inflight = null;
    }
  }
}
