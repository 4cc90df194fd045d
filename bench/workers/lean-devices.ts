/**
 * Load generator: many lightweight devices on raw socket.io-client sockets.
 * Each does on the wire what the softphone core does when idle: connect with
 * its token, `session:sync`, `history:list`, then one `session:ping` every
 * heartbeat interval (the core's default is 30 s), while socket.io answers the
 * server's transport pings. Used for idle memory/CPU (against our server and
 * against the bare socket.io baseline, which acknowledges the same events) and,
 * with `reconnect`, for the reconnect-storm baseline (the core's backoff policy).
 */
import { io, type Socket } from 'socket.io-client';
import { Backoff } from '../../src/core/backoff.js';
import { RESTART_MAX_DELAY_MS, RESTART_RETRY_WINDOW_MS } from '../../src/core/softphone.js';
import { serveCommands } from '../lib/worker-protocol.js';

interface DeviceSpec {
  deviceId: string;
  accessToken: string;
  username: string;
}

interface ConnectArgs {
  url: string;
  devices: DeviceSpec[];
  heartbeatMs: number;
  /** Connections being set up at once (keeps under the server's accept backlog). */
  concurrency: number;
  /**
   * Reconnect after a drop with the core's policy: after the server closed the
   * connection (a restart), the core's restart schedule (full jitter, 500 ms base,
   * RESTART_MAX_DELAY_MS cap, for RESTART_RETRY_WINDOW_MS); otherwise its exponential
   * backoff (full jitter, 500 ms base, 10 s cap: the core's defaults).
   */
  reconnect: boolean;
}

interface Device {
  spec: DeviceSpec;
  socket: Socket;
  heartbeat?: NodeJS.Timeout;
  registered: boolean;
  backoff: Backoff;
  restart: { until: number; backoff: Backoff } | null;
  retry?: NodeJS.Timeout;
}

const devices: Device[] = [];
let armedAt = 0;
/** Epoch ms at which each device was registered again after `arm`. */
const reregistered = new Map<string, number>();

async function register(d: Device): Promise<void> {
  // What the core does after every connect before it is usable: sync, then the first history page.
  await d.socket.timeout(30_000).emitWithAck('session:sync', { calls: [] });
  await d.socket.timeout(30_000).emitWithAck('history:list', { limit: 50 });
  d.registered = true;
  if (armedAt > 0 && !reregistered.has(d.spec.deviceId)) reregistered.set(d.spec.deviceId, Date.now());
}

function openDevice(url: string, spec: DeviceSpec, args: ConnectArgs): Promise<boolean> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token: spec.accessToken, deviceId: spec.deviceId, deviceKind: 'desktop', deviceName: `${spec.username} desk`, appVersion: 'bench' },
  });
  const d: Device = { spec, socket, registered: false, backoff: new Backoff({ baseMs: 500, maxMs: 10_000 }), restart: null };
  devices.push(d);
  const scheduleReconnect = () => {
    if (!args.reconnect || d.retry) return;
    const delay = d.restart && Date.now() < d.restart.until ? d.restart.backoff.next() : d.backoff.next();
    d.retry = setTimeout(() => {
      d.retry = undefined;
      socket.connect();
    }, delay);
  };
  socket.on('disconnect', (reason) => {
    d.registered = false;
    clearInterval(d.heartbeat);
    if (reason === 'io server disconnect') {
      d.restart = { until: Date.now() + RESTART_RETRY_WINDOW_MS, backoff: new Backoff({ baseMs: 500, maxMs: RESTART_MAX_DELAY_MS }) };
    }
    scheduleReconnect();
  });
  socket.on('connect_error', scheduleReconnect);
  return new Promise((resolve) => {
    let first = true;
    socket.on('connect', () => {
      d.backoff.reset();
      d.restart = null;
      clearInterval(d.heartbeat);
      d.heartbeat = setInterval(() => {
        socket.timeout(args.heartbeatMs).emitWithAck('session:ping', {}).catch(() => undefined);
      }, args.heartbeatMs);
      register(d).then(
        () => {
          if (first) resolve(true);
          first = false;
        },
        () => {
          if (first) resolve(false);
          first = false;
        },
      );
    });
    socket.once('connect_error', () => {
      if (first && !args.reconnect) resolve(false);
    });
  });
}

serveCommands({
  async connect(args: ConnectArgs) {
    const started = performance.now();
    let ok = 0;
    let failed = 0;
    let next = 0;
    const lane = async () => {
      while (next < args.devices.length) {
        const spec = args.devices[next++]!;
        if (await openDevice(args.url, spec, args)) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(args.concurrency, args.devices.length) }, lane));
    return { connected: ok, failed, ms: performance.now() - started };
  },
  arm() {
    armedAt = Date.now();
    reregistered.clear();
    return { armedAt };
  },
  status() {
    return {
      total: devices.length,
      registered: devices.filter((d) => d.registered).length,
      reregisteredAt: [...reregistered.values()],
    };
  },
  exit() {
    for (const d of devices) {
      clearInterval(d.heartbeat);
      clearTimeout(d.retry);
      d.socket.disconnect();
    }
  },
});
