/**
 * Load generator for call setup. Holds a set of devices (one per user) on raw
 * socket.io-client sockets and places calls between random free pairs at a
 * fixed offered rate (open loop: a call is due at its time whether or not
 * earlier ones finished, so a slow server cannot slow the offered load down).
 * Per call, against our server:
 *   caller  call:invite ─► callee receives call:incoming   (ring latency)
 *   callee  call:accept ─► caller receives call:answered   (answer latency)
 *   caller  call:hangup ─► ack after both history records are committed
 * Against the bare socket.io baseline each "call" is one request/ack round trip.
 * Latencies are measured in this process with performance.now().
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { openLoop } from '../lib/open-loop.js';
import { serveCommands } from '../lib/worker-protocol.js';

interface DeviceSpec {
  userId: string;
  username: string;
  deviceId: string;
  accessToken: string;
}

interface Device {
  spec: DeviceSpec;
  socket: Socket;
}

interface Call {
  callId: string;
  caller: Device;
  callee: Device;
  record: boolean;
  tInvite: number;
  tAccept: number;
  tHangup: number;
}

type Ack = { ok: boolean; error?: { code: string } };

let mode: 'app' | 'bare' = 'app';
const devices: Device[] = [];
let free: Device[] = [];
const calls = new Map<string, Call>();
let ring: number[] = [];
let answer: number[] = [];
let hangup: number[] = [];
let rtt: number[] = [];
let errors = 0;
const errorCodes = new Map<string, number>();
let inflightRtt = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

function noteError(code: string): void {
  errors++;
  errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
}

function release(c: Call): void {
  if (!calls.delete(c.callId)) return;
  free.push(c.caller, c.callee);
}

function onIncoming(d: Device, payload: { call: { callId: string } }): void {
  const c = calls.get(payload.call.callId);
  if (!c || c.callee !== d) return;
  const now = performance.now();
  if (c.record) ring.push(now - c.tInvite);
  c.tAccept = now;
  d.socket.emit('call:accept', { callId: c.callId }, (ack: Ack) => {
    if (!ack.ok) {
      noteError(`accept:${ack.error?.code}`);
      release(c);
    }
  });
}

function onAnswered(d: Device, payload: { call: { callId: string } }): void {
  const c = calls.get(payload.call.callId);
  if (!c || c.caller !== d) return;
  const now = performance.now();
  if (c.record) answer.push(now - c.tAccept);
  c.tHangup = now;
  d.socket.emit('call:hangup', { callId: c.callId }, (ack: Ack) => {
    if (!ack.ok) noteError(`hangup:${ack.error?.code}`);
    else if (c.record) hangup.push(performance.now() - c.tHangup);
    release(c);
  });
}

function take(): Device | undefined {
  if (free.length === 0) return undefined;
  const i = Math.floor(Math.random() * free.length);
  const d = free[i]!;
  free[i] = free[free.length - 1]!;
  free.pop();
  return d;
}

/** Places one call (or one round trip against the baseline); false when no pair was free. */
function place(record: boolean): boolean {
  if (mode === 'bare') {
    const d = devices[Math.floor(Math.random() * devices.length)]!;
    const t = performance.now();
    inflightRtt++;
    d.socket.emit('session:ping', {}, () => {
      inflightRtt--;
      if (record) rtt.push(performance.now() - t);
    });
    return true;
  }
  if (free.length < 2) return false;
  const caller = take()!;
  const callee = take()!;
  const c: Call = { callId: randomUUID(), caller, callee, record, tInvite: performance.now(), tAccept: 0, tHangup: 0 };
  calls.set(c.callId, c);
  caller.socket.emit('call:invite', { to: { userId: callee.spec.userId }, callId: c.callId }, (ack: Ack) => {
    if (!ack.ok) {
      noteError(`invite:${ack.error?.code}`);
      release(c);
    }
  });
  return true;
}

function open(url: string, spec: DeviceSpec): Promise<Device> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token: spec.accessToken, deviceId: spec.deviceId, deviceKind: 'desktop', deviceName: `${spec.username} desk`, appVersion: 'bench' },
  });
  const d: Device = { spec, socket };
  socket.on('call:incoming', (p: { call: { callId: string } }) => onIncoming(d, p));
  socket.on('call:answered', (p: { call: { callId: string } }) => onAnswered(d, p));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.emit('session:sync', { calls: [] }, () => resolve(d));
    });
    socket.once('connect_error', (err) => reject(err));
  });
}

serveCommands({
  async connect(args: { url: string; devices: DeviceSpec[]; mode: 'app' | 'bare' }) {
    mode = args.mode;
    for (let i = 0; i < args.devices.length; i += 100) {
      const batch = await Promise.all(args.devices.slice(i, i + 100).map((s) => open(args.url, s)));
      devices.push(...batch);
    }
    free = [...devices];
    return { connected: devices.length };
  },
  /** Offers `rate` calls/s for `durationMs`, then waits up to `drainMs` for calls in flight. */
  async run(args: { rate: number; durationMs: number; drainMs: number; record: boolean }) {
    ring = [];
    answer = [];
    hangup = [];
    rtt = [];
    errors = 0;
    errorCodes.clear();
    let skipped = 0;
    let placed = 0;
    loopDelay.reset();
    loopDelay.enable();
    const start = performance.now();
    await openLoop(args.rate, args.durationMs, () => {
      if (place(args.record)) placed++;
      else skipped++;
    });
    const offeredMs = performance.now() - start;
    const drainUntil = performance.now() + args.drainMs;
    while ((calls.size > 0 || inflightRtt > 0) && performance.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 10));
    }
    loopDelay.disable();
    const unfinished = mode === 'bare' ? inflightRtt : calls.size;
    // Calls that never finished keep their devices out of the pool; the server ends them eventually.
    calls.clear();
    inflightRtt = 0;
    return {
      placed,
      skipped,
      offeredMs,
      errors,
      errorCodes: Object.fromEntries(errorCodes),
      unfinished,
      ring,
      answer,
      hangup,
      rtt,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    };
  },
  exit() {
    for (const d of devices) d.socket.disconnect();
  },
});
