/**
 * Baseline: a bare socket.io server, nothing of ours. Same socket.io version,
 * same transport settings as the signaling server (ping interval and timeout,
 * message size cap, no served client), on the same kind of Node HTTP server.
 * It acknowledges every event at once with a small `{ ok, data }` envelope, so
 * a load generator can run exactly the traffic it runs against our server:
 * the difference in memory, CPU and latency is what our server adds.
 *
 * Environment: PORT, HOST (127.0.0.1), PING_INTERVAL_MS, PING_TIMEOUT_MS, MAX_MESSAGE_BYTES.
 * SIGTERM: disconnects every socket, closes, exits 0 (like the real server's restart).
 */
import http from 'node:http';
import { Server } from 'socket.io';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const httpServer = http.createServer((req, res) => {
  if (req.url === '/healthz' || req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(httpServer, {
  pingInterval: num('PING_INTERVAL_MS', 25_000),
  pingTimeout: num('PING_TIMEOUT_MS', 20_000),
  maxHttpBufferSize: num('MAX_MESSAGE_BYTES', 262_144),
  serveClient: false,
});

io.on('connection', (socket) => {
  socket.onAny((...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack === 'function') (ack as (r: unknown) => void)({ ok: true, data: { now: Date.now() } });
  });
});

httpServer.listen(num('PORT', 4100), process.env.HOST || '127.0.0.1', () => {
  // Same shape as the real server's log line, so the runner can time startup for both.
  console.log(JSON.stringify({ time: Date.now(), msg: 'server listening' }));
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  io.disconnectSockets(true);
  void io.close(() => process.exit(0));
});
