/**
 * A TCP proxy between a softphone core and the server that a test controls,
 * to reproduce the network failures a desktop meets:
 * - freeze(): existing connections silently stop carrying data in both
 *   directions — no FIN, no RST (a NAT mapping that expired, a Wi-Fi that
 *   went away, a laptop that slept). Only a heartbeat can notice.
 * - goOffline(): every connection is reset and new ones are refused until
 *   goOnline() (the machine is off the network).
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private readonly sockets = new Set<net.Socket>();
  private offline = false;
  /** Connections accepted so far (a reconnect shows up here). */
  accepted = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get liveConnections(): number {
    return [...this.pairs].filter((p) => !p.frozen).length;
  }

  private accept(client: net.Socket): void {
    if (this.offline) {
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    }
    const pair: Pair = { client, upstream, frozen: false };
    this.pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => {
        // Frozen: bytes vanish, as in a black-holed route.
        if (!pair.frozen && !to.destroyed) to.write(chunk);
      });
      from.on('end', () => {
        if (!pair.frozen) to.end();
      });
      from.on('error', () => undefined);
      from.on('close', () => {
        if (!pair.frozen) to.destroy();
        this.pairs.delete(pair);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  }

  /** Existing connections go silent (both ways) without being closed. */
  freeze(): number {
    let n = 0;
    for (const p of this.pairs) {
      if (!p.frozen) n++;
      p.frozen = true;
    }
    return n;
  }

  /** Resets every connection and refuses new ones. */
  goOffline(): void {
    this.offline = true;
    for (const p of this.pairs) {
      p.frozen = true;
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  goOnline(): void {
    this.offline = false;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
