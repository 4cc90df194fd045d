/**
 * A tiny TCP load balancer for tests, standing in for the one in front of a
 * cluster: each new connection goes to the first backend that accepts it, in
 * the order given. When a node dies, its proxied connections close at once
 * (as they would behind a real balancer) and reconnecting clients land on
 * the next node: the clients keep one URL, like in production.
 * WebSocket upgrades and HTTP pass through untouched (it only moves bytes).
 */
import net from 'node:net';

export interface Balancer {
  url: string;
  port: number;
  /** Connections forwarded so far, per backend port. */
  forwarded: Map<number, number>;
  close(): Promise<void>;
}

export async function startBalancer(backendPorts: number[]): Promise<Balancer> {
  const forwarded = new Map<number, number>();
  const open = new Set<net.Socket>();

  const server = net.createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    // Bytes the client sends before a backend is chosen wait in its buffer (not read yet).
    const tryBackend = (i: number) => {
      const port = backendPorts[i];
      if (port === undefined) {
        client.destroy();
        return;
      }
      const upstream = net.connect(port, '127.0.0.1');
      let connected = false;
      open.add(upstream);
      upstream.once('close', () => {
        open.delete(upstream);
        // The node went away (or closed the connection): so does the client's, at once.
        if (connected) client.destroy();
      });
      upstream.on('error', () => {
        upstream.destroy();
        if (!connected) tryBackend(i + 1); // refused: that node is down, try the next
      });
      upstream.once('connect', () => {
        connected = true;
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        forwarded.set(port, (forwarded.get(port) ?? 0) + 1);
        client.pipe(upstream);
        upstream.pipe(client);
        client.once('close', () => upstream.destroy());
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    forwarded,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
