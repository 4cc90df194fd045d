/**
 * One device of the queue load test (bench/lib/queue-load.ts): a raw socket.io client that
 * reconnects by itself through its balancer (like the cluster failover tests' clients: when a
 * node dies, the balancer cuts its connections and the next connect lands on a node that is
 * alive), re-syncs its calls after every connect, and notes when each connection lived so the
 * analysis can tell which node an event came through.
 *
 * Timestamps are epoch ms with sub-ms resolution (`performance.timeOrigin + performance.now()`):
 * every process of the run reads the machine's one clock, so the runner can merge the logs of
 * the agents' and the callers' processes.
 */
import { io, type Socket } from 'socket.io-client';

export const epochNow = (): number => performance.timeOrigin + performance.now();

export interface LinkSpec {
  userId: string;
  username: string;
  deviceId: string;
  accessToken: string;
  /** Index of the balancer this device connects through (0 prefers the node that is killed). */
  lb: number;
}

/** One connection's life: the analysis maps it to a node (bench/lib/queue-analysis.ts). */
export interface Epoch {
  connectedAt: number;
  disconnectedAt: number | null;
}

export type Ack<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: string; message?: string } };

/**
 * A request without an ack this long is given up (a loaded server is slow, not gone: a link
 * that drops fails its pending requests at once).
 */
const REQUEST_TIMEOUT_MS = 30_000;

/** A request that got no ack: its link dropped (its node died), or it timed out. */
const timeoutAck = { ok: false as const, error: { code: 'timeout' } };

export class Link {
  readonly socket: Socket;
  readonly epochs: Epoch[] = [];
  private readonly connectWaiters: (() => void)[] = [];

  constructor(
    url: string,
    readonly spec: LinkSpec,
    /** Runs after every connect (the first one too): re-sync calls, read the agent's state. */
    private readonly onConnect: (link: Link) => void,
  ) {
    this.socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      // Shorter than the core's backoff: a test run has seconds, not minutes, to fail over.
      reconnectionDelay: 100,
      reconnectionDelayMax: 1_000,
      randomizationFactor: 0.5,
      auth: {
        token: spec.accessToken,
        deviceId: spec.deviceId,
        deviceKind: 'desktop',
        deviceName: `${spec.username} bench`,
        appVersion: 'bench',
      },
    });
    this.socket.on('connect', () => {
      this.epochs.push({ connectedAt: epochNow(), disconnectedAt: null });
      for (const w of this.connectWaiters.splice(0)) w();
      this.onConnect(this);
    });
    this.socket.on('disconnect', () => {
      const last = this.epochs[this.epochs.length - 1];
      if (last && last.disconnectedAt === null) last.disconnectedAt = epochNow();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Resolves at the next connect (at once when connected). */
  whenConnected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve) => this.connectWaiters.push(resolve));
  }

  /** A request with its ack; never rejects (a missing ack within `timeoutMs` is a `timeout` error). */
  request<T = unknown>(event: string, payload: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Ack<T>> {
    return new Promise((resolve) => {
      this.socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack<T>) => resolve(err ? timeoutAck : ack));
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Opens links `concurrency` at a time and waits until every one is connected. */
export async function openLinks(specs: LinkSpec[], urls: string[], onConnect: (link: Link) => void, concurrency = 50): Promise<Link[]> {
  const out: Link[] = [];
  for (let i = 0; i < specs.length; i += concurrency) {
    const batch = specs.slice(i, i + concurrency).map((s) => new Link(urls[s.lb]!, s, onConnect));
    await Promise.all(batch.map((l) => l.whenConnected()));
    out.push(...batch);
  }
  return out;
}

export const uniform = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
