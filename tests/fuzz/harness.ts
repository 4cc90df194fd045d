/**
 * The fuzzer: property-based generation (fast-check) of hostile socket
 * events, call flows, HTTP requests and raw socket.io frames, against a real
 * server in its own process, while two other users hold a real call and keep
 * signaling on it.
 *
 * Properties checked for every message and batch:
 *   - the server process never dies and logs nothing at error level;
 *   - every request is acknowledged with the common envelope; an invalid
 *     request gets `bad_request` (or `rate_limited`), never `internal`; a valid
 *     one gets data matching its response schema or a stable error code;
 *   - an event sent without an acknowledgement callback gets `protocol:error`;
 *   - a message over the size cap drops only its own connection;
 *   - every server event any client receives matches its schema;
 *   - nothing an attacker receives contains the concurrent call's id, the
 *     other users' device ids, server secrets or files outside the web root;
 *   - HTTP never answers 5xx, always in the common error shape, always with
 *     the security headers;
 *   - the concurrent call is untouched: every signal delivered once, in order,
 *     no foreign event about it, and it ends with one record per participant;
 *   - every call the fuzzers created ends with exactly two history records;
 *   - the server heap after the run (after gc) is within a fixed slack of the
 *     heap early in the run.
 * Used by tests/integration/security/fuzz.test.ts (fixed seed, small) and
 * tests/fuzz/run.ts (`npm run fuzz`, ≥ 100 000 messages).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { z } from 'zod';
import {
  CLIENT_EVENT_NAMES,
  ERROR_CODES,
  ErrorBody,
  HttpError,
  LoginRequest,
  LogoutRequest,
  PushRegisterRequest,
  RefreshRequest,
  clientEvents,
  serverEvents,
  type MediaSignal,
} from '../../src/shared/protocol/index.js';
import { NASTY_STRINGS, guided, hostileValue, jsonSchemaOf, onTheWire, wireSize, deepNest, type GuideContext } from './arbitraries.js';
import { Client, closeHttpAgent, login, rawHttp } from './clients.js';
import { FuzzServer } from './fuzz-server.js';

export interface FuzzOptions {
  seed: number;
  /** Fuzz messages to send at least (the concurrent call's own traffic is not counted). */
  messages: number;
  batchSize?: number;
  maxHugeString?: number;
  /** How much the server heap may grow between the baseline and the end. */
  heapSlackBytes?: number;
  progress?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  messages: number;
  batches: number;
  byKind: Record<string, number>;
  ackCodes: Record<string, number>;
  legitSignals: number;
  createdCalls: number;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  durationMs: number;
  slowest: { ms: number; what: string }[];
}

const PASSWORD = 'fuzz-password-0123456789';
const MAX_MESSAGE_BYTES = 262_144;
const ACK_TIMEOUT_MS = 10_000;
const CANARY = 'CANARY-7f3a9c1e-outside-the-web-root';
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

type Side = 'a' | 'b';
const FLOW_ACTIONS = ['invite', 'accept', 'decline', 'cancel', 'hangup', 'claim', 'signal', 'sync'] as const;
type FlowAction = (typeof FLOW_ACTIONS)[number];
const AUTH_KINDS = ['none', 'self', 'garbage', 'basic', 'huge', 'forged', 'alg-none'] as const;
type AuthKind = (typeof AUTH_KINDS)[number];

type EmitMsg = { kind: 'emit'; side: Side; event: string | number; args: unknown[]; ack: boolean; repeat: number };
type FlowMsg = { kind: 'flow'; side: Side; action: FlowAction; slot: number; signal: MediaSignal; repeat: number };
type HttpMsg = {
  kind: 'http';
  route: number;
  method: string | null;
  path: string | null;
  contentType: string | null;
  auth: AuthKind;
  body: string | undefined;
  /** Value for `:params` in the route's URL. */
  param: string;
};
type RawMsg = { kind: 'raw'; frames: (string | Buffer)[] };
type Msg = EmitMsg | FlowMsg | HttpMsg | RawMsg;
type Batch = { mode: 'concurrent' | 'sequential'; messages: Msg[] };

const Envelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody }),
]);
type Envelope = z.infer<typeof Envelope>;

interface Route {
  method: string;
  url: string;
}

/** Routes every server registers (the push routes only when push is built in); the server's own list is added. */
const KNOWN_ROUTES: Route[] = [
  { method: 'GET', url: '/healthz' },
  { method: 'GET', url: '/readyz' },
  { method: 'POST', url: '/api/login' },
  { method: 'POST', url: '/api/refresh' },
  { method: 'POST', url: '/api/logout' },
  { method: 'GET', url: '/api/turn' },
  { method: 'POST', url: '/api/push' },
  { method: 'DELETE', url: '/api/push/:deviceId' },
  { method: 'GET', url: '/' },
  { method: 'GET', url: '/index.html' },
];
const BODY_SCHEMAS: Record<string, z.ZodType> = {
  '/api/login': LoginRequest,
  '/api/refresh': RefreshRequest,
  '/api/logout': LogoutRequest,
  '/api/push': PushRegisterRequest,
};

const TRAVERSALS = [
  '/../canary.txt',
  '/..%2fcanary.txt',
  '/%2e%2e/canary.txt',
  '/%2e%2e%2fsecrets.json',
  '/..%5csecrets.json',
  '/....//....//canary.txt',
  '/%252e%252e/canary.txt',
  '//etc/passwd',
  '/index.html%00.txt',
  '/api/login/../../canary.txt',
  `/${'..%2f'.repeat(12)}etc/passwd`,
  '/softphone.db',
  '/../softphone.db',
  '/..%2fsoftphone.db',
  '/%c0%ae%c0%ae/canary.txt',
  '/%C3%A9',
  `/${'a'.repeat(6_000)}`,
];

const RAW_FRAMES: (string | Buffer)[][] = [
  ['2'],
  ['2['],
  ['2{}'],
  ['2[]'],
  ['2[null]'],
  ['2[1]'],
  ['2[{}]'],
  ['2"str"'],
  ['2["disconnect"]'],
  ['2["newListener",{}]'],
  ['2["connect"]'],
  ['2["error",{}]'],
  ['2["__proto__",{}]'],
  ['9'],
  [''],
  ['0'],
  ['0{}'],
  ['0/admin,{}'],
  ['1'],
  ['1/admin,'],
  ['3[]'],
  ['31[]'],
  ['3999999999999[{"ok":true}]'],
  ['4{}'],
  ['2/admin,["session:ping",{}]'],
  ['2-1["session:ping",{}]'],
  ['2999999999999999999999["session:ping",{}]'],
  ['51-["call:signal",{"_placeholder":true,"num":0}]'],
  ['511-["session:ping",{}]'],
  ['50-["session:ping"]'],
  ['5abc-["session:ping"]'],
  ['51-["session:ping",{"_placeholder":true,"num":5}]', Buffer.from([1, 2, 3])],
  ['51-["session:ping",{"_placeholder":true,"num":"__proto__"}]', Buffer.from([1])],
  ['51-1234["session:ping",{"_placeholder":true,"num":0}]', Buffer.from([1])],
  ['52-["session:ping",{"_placeholder":true,"num":0}]', 'not binary'],
  [Buffer.from([0, 1, 2, 255])],
  [`2["session:ping",${'['.repeat(100_000)}${']'.repeat(100_000)}]`],
  [`2["presence:subscribe",${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}]`],
  [`51-["session:ping",${'['.repeat(30_000)}{"_placeholder":true,"num":0}${']'.repeat(30_000)}]`, Buffer.from([7])],
];

const VALID_SIGNALS: MediaSignal[] = [
  { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' },
  { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' },
  { type: 'ice', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
  { type: 'ice', candidate: null },
  { type: 'hold', held: true },
  { type: 'dtmf', digits: '123#' },
  { type: 'restart-request', fresh: true },
];

function describeValue(v: unknown, max = 400): string {
  let text: string;
  try {
    text = JSON.stringify(v, function (this: unknown, key: string, value: unknown) {
      const original = (this as Record<string, unknown>)[key];
      if (Buffer.isBuffer(original)) return `<Buffer ${original.length}>`;
      if (typeof value === 'string' && value.length > 60) return `${value.slice(0, 40)}…(${value.length} chars)`;
      return value;
    });
  } catch (err) {
    text = `<unprintable: ${String(err)}>`;
  }
  return text === undefined ? 'undefined' : text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Percent-encodes; a lone surrogate (which encodeURIComponent refuses) becomes the invalid UTF-8 `%ED%A0%80`. */
function encodePathPart(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\ud800-\udfff]/g, '\u0000').split('\u0000').map((p) => encodeURIComponent(p)).join('%ED%A0%80');
  }
}

/** A message label, built only when a failure needs it (describing big payloads is not free). */
type Label = () => string;
function lazy(make: () => string): Label {
  return make;
}

/** Everything in a value, untruncated, for leak checks. */
function fullText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

function isOk(e: unknown): e is { ok: true; data: Record<string, any> } {
  return typeof e === 'object' && e !== null && (e as { ok?: unknown }).ok === true;
}

function errorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || (e as { ok?: unknown }).ok !== false) return undefined;
  return (e as { error?: { code?: string } }).error?.code;
}

class FuzzRun {
  readonly failures: string[] = [];
  readonly byKind: Record<string, number> = { emit: 0, flow: 0, http: 0, raw: 0, oversize: 0 };
  readonly ackCodes: Record<string, number> = {};
  messages = 0;
  batchNo = 0;
  /** Calls any fuzz client created: id → the side that placed it. */
  readonly created = new Map<string, Side>();
  private readonly createdThisBatch = new Set<string>();
  legitSent: Record<Side, string[]> = { a: [], b: [] };
  legitReceived: Record<Side, string[]> = { a: [], b: [] };
  legitRunning = true;
  /** Cleared just before the concurrent call is hung up: from then on, events about it are expected. */
  legitGuard = true;
  heapBefore = 0;
  execMs = 0;
  genMs = 0;
  lastEnd = 0;
  /** The slowest messages (wall time), for the report. */
  readonly slow: { ms: number; what: string }[] = [];
  private sacrificialCount = 0;
  private raw: Client | undefined;
  private forbidden: [string, string][] = [];
  private readonly tag: string;

  constructor(
    readonly server: FuzzServer,
    readonly cfg: { dataDir: string; seed: number },
    readonly users: Record<'alice' | 'bob' | 'mallory' | 'trudy', { id: string; token: string }>,
    readonly clients: { alice: Client; bob: Client; a: Client; b: Client },
    readonly legitCallId: string,
    readonly tokens: { forged: string; algNone: string },
    readonly routes: Route[],
  ) {
    this.tag = `fz${cfg.seed.toString(36).replace('-', 'm')}`;
    const secrets = JSON.parse(fs.readFileSync(path.join(cfg.dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    this.forbidden = [
      ['the concurrent call id', legitCallId],
      ["alice's device id", clients.alice.deviceId],
      ["bob's device id", clients.bob.deviceId],
      ['the JWT secret', secrets.jwtSecret!],
      ['the TURN secret', secrets.turnSecret!],
      ['a file outside the web root', CANARY],
      ['a password hash', 'scrypt$'],
    ];
  }

  fail(what: string): void {
    if (this.failures.length < 25) this.failures.push(what);
  }

  /** `echo`: what the attacker sent; a secret the attacker already named is not a leak when echoed. */
  leakCheck(label: Label, value: unknown, echo: unknown = undefined): void {
    const text = typeof value === 'string' ? value : fullText(value);
    const sent = echo === undefined ? '' : fullText(echo);
    for (const [name, secret] of this.forbidden) {
      if (secret && text.includes(secret) && !sent.includes(secret)) this.fail(`${label()}: leaked ${name}`);
    }
  }

  /** Every server event must match its schema; attackers must see nothing of other people's call. */
  watch(client: Client, name: string, attacker: boolean): void {
    client.onEvent(({ event, payload }) => {
      const schema = (serverEvents as Record<string, z.ZodType>)[event];
      if (!schema) this.fail(`${name} received an undeclared server event ${event}`);
      else if (!schema.safeParse(payload).success) this.fail(`${name} received ${event} not matching its schema: ${describeValue(payload)}`);
      if (attacker) this.leakCheck(() => `${name} event ${event}`, payload);
    });
  }

  watchLegit(): void {
    const { alice, bob } = this.clients;
    const check = (me: Client, peer: Client, side: Side, name: string) =>
      me.onEvent(({ event, payload }) => {
        const p = payload as { callId?: string; fromDeviceId?: string; call?: { callId?: string }; signal?: MediaSignal };
        if (event === 'call:incoming' && this.legitGuard) this.fail(`${name} was rung during her call (busy expected): ${describeValue(payload)}`);
        if (event === 'call:signal') {
          if (p.callId !== this.legitCallId || p.fromDeviceId !== peer.deviceId) {
            this.fail(`${name} received a foreign signal: ${describeValue(payload)}`);
          } else this.legitReceived[side].push(describeValue(p.signal));
          return;
        }
        if (this.legitGuard && (p.call?.callId === this.legitCallId || p.callId === this.legitCallId)) {
          this.fail(`${name} received ${event} about the concurrent call: ${describeValue(payload)}`);
        }
      });
    check(alice, bob, 'a', 'alice');
    check(bob, alice, 'b', 'bob');
  }

  async legitLoop(from: Client, side: Side): Promise<void> {
    let n = 0;
    while (this.legitRunning) {
      n++;
      const signal: MediaSignal =
        n % 5 === 0
          ? { type: 'dtmf', digits: String(n % 10) }
          : {
              type: 'ice',
              candidate: { candidate: `candidate:${side}${n} 1 udp 2122260223 127.0.0.1 ${9000 + (n % 1000)} typ host`, sdpMid: '0', sdpMLineIndex: 0 },
            };
      const ack = await from.call('call:signal', [{ callId: this.legitCallId, signal }], ACK_TIMEOUT_MS);
      if (!isOk(ack) || ack.data.delivered !== 1) {
        this.fail(`the concurrent call's signal #${n} from ${side} was not relayed: ${describeValue(ack)}`);
        return;
      }
      // The peer's receive list is compared with this one at the end.
      this.legitSent[side === 'a' ? 'b' : 'a'].push(describeValue(signal));
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  countCode(ack: unknown): void {
    const key = isOk(ack) ? 'ok' : (errorCode(ack) ?? 'no-ack');
    this.ackCodes[key] = (this.ackCodes[key] ?? 0) + 1;
  }

  /** The acknowledgement contract for one request. Returns the envelope when there is one. */
  verifyAck(label: Label, event: string | number, wireArgs: unknown[], ack: unknown, side: Side | null): Envelope | undefined {
    const attacker = side !== null;
    this.countCode(ack);
    const known = typeof event === 'string' && (CLIENT_EVENT_NAMES as string[]).includes(event);
    const schemas = known ? clientEvents[event as keyof typeof clientEvents] : undefined;
    const valid = Boolean(schemas && wireArgs.length === 1 && schemas.request.safeParse(wireArgs[0]).success);
    if (typeof ack === 'object' && ack !== null && 'timeout' in ack) {
      this.fail(`${label()}: no acknowledgement within ${ACK_TIMEOUT_MS} ms (${describeValue(ack)})`);
      return undefined;
    }
    const env = Envelope.safeParse(ack);
    if (!env.success) {
      this.fail(`${label()}: malformed acknowledgement ${describeValue(ack)}`);
      return undefined;
    }
    const e = env.data;
    if (!e.ok) {
      if (!(ERROR_CODES as readonly string[]).includes(e.error.code)) this.fail(`${label()}: unknown error code ${e.error.code}`);
      if (e.error.code === 'internal') this.fail(`${label()}: internal error ${describeValue(e.error)}`);
      if (!valid && e.error.code !== 'bad_request' && e.error.code !== 'rate_limited') {
        this.fail(`${label()}: invalid request answered ${e.error.code} instead of bad_request`);
      }
      if (attacker) this.leakCheck(label, { ...e.error, message: undefined }, wireArgs);
    } else {
      if (!valid) this.fail(`${label()}: an invalid request was accepted: ${describeValue(e.data)}`);
      else if (!schemas!.response.safeParse(e.data).success) {
        this.fail(`${label()}: response does not match the ${String(event)} response schema: ${describeValue(e.data)}`);
      }
      if (attacker) this.leakCheck(label, e.data, wireArgs);
      const call = (e.data as { call?: { callId?: string; state?: string } } | undefined)?.call;
      if (event === 'call:invite' && call?.callId && side && !this.created.has(call.callId)) {
        this.created.set(call.callId, side);
        this.createdThisBatch.add(call.callId);
      }
    }
    return e;
  }

  /** The caller ends a call it placed: cancel while ringing, hang up once answered. */
  async endCall(callId: string): Promise<void> {
    const side = this.created.get(callId);
    if (!side) return;
    const c = this.client(side);
    const label = () => `cleanup ${side} ${callId}`;
    const r = await c.call('call:cancel', [{ callId }], ACK_TIMEOUT_MS);
    this.verifyAck(label, 'call:cancel', [{ callId }], r, side);
    if (errorCode(r) === 'conflict') {
      const h = await c.call('call:hangup', [{ callId }], ACK_TIMEOUT_MS);
      this.verifyAck(label, 'call:hangup', [{ callId }], h, side);
    }
  }

  client(side: Side): Client {
    return side === 'a' ? this.clients.a : this.clients.b;
  }

  async emit(m: EmitMsg): Promise<void> {
    const sender = this.client(m.side);
    const label = lazy(() => `emit ${m.side} ${String(m.event)} ${describeValue(m.args)}`);
    const size = wireSize(m.event, m.args);
    if (size.text > MAX_MESSAGE_BYTES / 2 || size.largestBinary > MAX_MESSAGE_BYTES / 2) {
      await this.oversize(m, size, label);
      return;
    }
    const wire = onTheWire(m.args);
    for (let i = 0; i < m.repeat; i++) {
      this.messages++;
      this.byKind.emit!++;
      if (!m.ack) {
        sender.expectedProtocolErrors++;
        sender.fire(m.event, m.args);
        continue;
      }
      const ack = await sender.call(m.event, m.args, ACK_TIMEOUT_MS);
      this.verifyAck(label, m.event, wire, ack, m.side);
    }
  }

  /** Big messages go over a throw-away connection: over the cap, only that connection may drop. */
  async oversize(m: EmitMsg, size: { text: number; largestBinary: number }, label: Label): Promise<void> {
    this.messages++;
    this.byKind.oversize!++;
    const userId = this.users.mallory.id;
    const c = await Client.connect(this.server.url, this.users.mallory.token, `mallory-s${++this.sacrificialCount}`, userId);
    this.watch(c, 'sacrificial', true);
    try {
      const over = Math.max(size.text, size.largestBinary) > MAX_MESSAGE_BYTES + 64;
      const under = Math.max(size.text, size.largestBinary) < MAX_MESSAGE_BYTES - 64;
      const dropped = new Promise<'dropped'>((resolve) => c.socket.once('disconnect', () => resolve('dropped')));
      let ack: Promise<unknown>;
      if (m.ack) ack = c.call(m.event, m.args, ACK_TIMEOUT_MS);
      else {
        c.fire(m.event, m.args);
        // No callback to wait for: a round trip shows whether the connection survived.
        ack = c.call('session:ping', [{}], ACK_TIMEOUT_MS).then(() => 'no-ack');
      }
      const outcome = await Promise.race([dropped, ack]);
      if (outcome === 'dropped') {
        if (under) this.fail(`${label()}: a ${size.text}-byte message under the cap dropped the connection`);
      } else if (over) {
        this.fail(`${label()}: a ${size.text}-byte message over the ${MAX_MESSAGE_BYTES}-byte cap was processed`);
      } else if (m.ack) {
        this.verifyAck(label, m.event, onTheWire(m.args), outcome, 'a');
      }
    } finally {
      c.close();
    }
  }

  slotCallId(slot: number): string {
    return `${this.tag}-${this.batchNo}-${slot}`;
  }

  async flow(m: FlowMsg, model: Map<number, { state: 'live' | 'ended'; caller: Side }> | null): Promise<void> {
    const sender = this.client(m.side);
    const callId = this.slotCallId(m.slot);
    const other: Side = m.side === 'a' ? 'b' : 'a';
    let event: string;
    let payload: unknown;
    switch (m.action) {
      case 'invite':
        event = 'call:invite';
        payload = { to: { userId: (other === 'a' ? this.users.mallory : this.users.trudy).id }, callId };
        break;
      case 'signal':
        event = 'call:signal';
        payload = { callId, signal: m.signal };
        break;
      case 'sync':
        event = 'session:sync';
        payload = { calls: [callId, this.legitCallId] };
        break;
      default:
        event = `call:${m.action}`;
        payload = { callId };
    }
    for (let i = 0; i < m.repeat; i++) {
      this.messages++;
      this.byKind.flow!++;
      const label = lazy(() => `flow ${m.side} ${m.action} slot ${m.slot} (${callId}) [${i + 1}/${m.repeat}]`);
      const before = model?.get(m.slot);
      const ack = await sender.call(event, [payload], ACK_TIMEOUT_MS);
      const env = this.verifyAck(label, event, [payload], ack, m.side);
      if (!env) continue;
      if (env.ok && m.action === 'sync') {
        const d = env.data as { calls: { callId: string }[]; ended: { callId: string }[] };
        if ([...d.calls, ...d.ended].some((c) => c.callId === this.legitCallId)) this.fail(`${label()}: sync revealed the concurrent call`);
      }
      if (!model) continue;
      // Sequential batches: the outcome follows from what this batch did to the slot.
      const code = env.ok ? 'ok' : env.error.code;
      if (code === 'rate_limited') continue;
      const view = env.ok ? (env.data as { call?: { state: string } }).call : undefined;
      if (!before) {
        if (m.action === 'invite') {
          if (env.ok && view) model.set(m.slot, { state: view.state === 'ended' ? 'ended' : 'live', caller: m.side });
          else if (code !== 'busy') this.fail(`${label()}: a fresh invite failed with ${code}`);
        } else if (m.action !== 'sync' && code !== 'not_found') {
          this.fail(`${label()}: ${m.action} on a call that does not exist answered ${code}, expected not_found`);
        }
        continue;
      }
      const isCaller = before.caller === m.side;
      if (before.state === 'ended') {
        const allowed: Record<FlowAction, string[]> = {
          invite: isCaller ? ['ok', 'conflict'] : ['conflict'],
          accept: isCaller ? ['forbidden', 'gone'] : ['gone'],
          decline: isCaller ? ['forbidden', 'gone'] : ['gone'],
          claim: isCaller ? ['forbidden', 'gone'] : ['gone'],
          signal: ['forbidden', 'gone'],
          cancel: isCaller ? ['ok', 'gone'] : ['forbidden', 'gone'],
          hangup: ['ok', 'gone'],
          sync: ['ok'],
        };
        if (!allowed[m.action].includes(code)) {
          this.fail(`${label()}: ${m.action} after the call ended answered ${code}, expected ${allowed[m.action].join(' or ')}`);
        }
        if (env.ok && view && view.state !== 'ended') this.fail(`${label()}: an ended call came back as ${view.state}`);
      }
      // `gone` also answers a decline or claim of a call answered on another device ("the ringing
      // is over", docs/mobile.md): only a final state in the details means the call ended.
      const final = !env.ok && (env.error.details?.call as { state?: string } | undefined)?.state === 'ended';
      if ((env.ok && view?.state === 'ended') || final) model.set(m.slot, { ...before, state: 'ended' });
    }
  }

  async http(m: HttpMsg): Promise<void> {
    this.messages++;
    this.byKind.http!++;
    const route = this.routes[m.route % this.routes.length]!;
    const method = m.method ?? route.method;
    const urlPath = m.path ?? route.url.replace(/\*$/, 'index.html').replace(/:[A-Za-z]+/g, encodePathPart(m.param));
    const headers: Record<string, string> = {};
    if (m.contentType) headers['content-type'] = m.contentType;
    const auth: Record<AuthKind, string | undefined> = {
      none: undefined,
      self: `Bearer ${this.users.mallory.token}`,
      garbage: 'Bearer garbage.garbage.garbage',
      basic: `Basic ${Buffer.from('alice:password').toString('base64')}`,
      huge: `Bearer ${'a'.repeat(6_000)}`,
      forged: `Bearer ${this.tokens.forged}`,
      'alg-none': `Bearer ${this.tokens.algNone}`,
    };
    if (auth[m.auth]) headers.authorization = auth[m.auth]!;
    const label = lazy(() => `http ${method} ${urlPath.slice(0, 100)} auth=${m.auth} ct=${m.contentType} body=${describeValue(m.body, 200)}`);
    let res;
    try {
      res = await rawHttp(this.server.url, method, urlPath, headers, method === 'GET' || method === 'HEAD' ? undefined : m.body);
    } catch (err) {
      // Node refuses some requests before sending them (e.g. unescaped characters in the path).
      if (err instanceof TypeError || (err as { code?: string }).code === 'ERR_UNESCAPED_CHARACTERS') return;
      this.fail(`${label()}: request failed: ${String(err)}`);
      return;
    }
    this.ackCodes[`http ${res.status}`] = (this.ackCodes[`http ${res.status}`] ?? 0) + 1;
    if (res.status >= 500) this.fail(`${label()}: answered ${res.status} ${res.body.slice(0, 200)}`);
    if (res.headers['x-content-type-options'] !== 'nosniff') this.fail(`${label()}: no x-content-type-options header`);
    if (res.status >= 400 && method !== 'HEAD') {
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      if (!HttpError.safeParse(json).success) this.fail(`${label()}: error body not in the common shape: ${res.body.slice(0, 200)}`);
    }
    if (route.url === '/api/turn' && method === 'GET' && m.auth !== 'self' && !m.path && res.status !== 401) {
      this.fail(`${label()}: TURN credentials without a valid token answered ${res.status}`);
    }
    this.leakCheck(label, res.body);
  }

  async rawFrames(m: RawMsg): Promise<void> {
    if (!this.raw?.connected) {
      this.raw?.close();
      this.raw = await Client.connect(this.server.url, this.users.mallory.token, 'mallory-raw', this.users.mallory.id);
      this.watch(this.raw, 'raw', true);
    }
    const c = this.raw;
    // Either the server drops this connection for the garbage, or it still answers on it.
    const dropped = new Promise<'dropped'>((resolve) => c.socket.once('disconnect', () => resolve('dropped')));
    for (const frame of m.frames) {
      this.messages++;
      this.byKind.raw!++;
      c.raw(frame);
    }
    const ack = await Promise.race([dropped, c.call('session:ping', [{}], 1_000)]);
    if (!isOk(ack) && c.connected) c.close();
  }

  async run(m: Msg, model: Map<number, { state: 'live' | 'ended'; caller: Side }> | null): Promise<void> {
    const t = performance.now();
    await this.dispatch(m, model);
    const ms = performance.now() - t;
    if (ms > 500) {
      this.slow.push({ ms: Math.round(ms), what: describeValue(m, 160) });
      this.slow.sort((x, y) => y.ms - x.ms).splice(5);
    }
  }

  private async dispatch(m: Msg, model: Map<number, { state: 'live' | 'ended'; caller: Side }> | null): Promise<void> {
    switch (m.kind) {
      case 'emit':
        return this.emit(m);
      case 'flow':
        return this.flow(m, model);
      case 'http':
        return this.http(m);
      case 'raw':
        return this.rawFrames(m);
    }
  }

  async batch(b: Batch): Promise<void> {
    this.batchNo++;
    if (b.mode === 'sequential') {
      // Call flows one after another (their outcome follows from the order); the rest alongside.
      const model = new Map<number, { state: 'live' | 'ended'; caller: Side }>();
      const flows = b.messages.filter((m) => m.kind === 'flow');
      const chain = (async () => {
        for (const m of flows) await this.run(m, model);
      })();
      await Promise.all([chain, ...b.messages.filter((m) => m.kind !== 'flow').map((m) => this.run(m, null))]);
    } else {
      await Promise.all(b.messages.map((m) => this.run(m, null)));
    }
    // End this batch's calls, so the next batch does not find both attackers busy.
    await Promise.all([...this.createdThisBatch].map((callId) => this.endCall(callId)));
    this.createdThisBatch.clear();
    // A round trip per attacker: every protocol:error for events sent without a callback has arrived.
    await Promise.all(
      ([['mallory', this.clients.a], ['trudy', this.clients.b]] as const).map(async ([name, c]) => {
        const ack = await c.call('session:ping', [{}], ACK_TIMEOUT_MS);
        if (!isOk(ack)) this.fail(`${name}'s connection stopped answering: ${describeValue(ack)}`);
        if (c.protocolErrors !== c.expectedProtocolErrors) {
          this.fail(`${name}: ${c.expectedProtocolErrors} events without a callback, ${c.protocolErrors} protocol:error answers`);
        }
        c.protocolErrors = c.expectedProtocolErrors = 0;
      }),
    );
    if (!this.server.alive) this.fail(`the server died: ${this.server.crashed}`);
    for (const e of this.server.errors()) this.fail(`server logged an error: ${e.line.slice(0, 600)}`);
    this.server.logs.length = 0;
    if (this.failures.length > 0) throw new Error(this.failures.join('\n'));
  }
}

function messageArbitrary(run: { pools: GuideContext['pools']; routes: Route[]; maxHugeString: number }): fc.Arbitrary<Msg> {
  const hostile = hostileValue({ maxHugeString: run.maxHugeString, maxDepth: 1_000 });
  const ctx: GuideContext = { pools: run.pools, hostile, validWeight: 10 };
  const side = fc.constantFrom<Side>('a', 'b');
  const repeat = fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) });
  const ack = fc.oneof({ weight: 30, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

  const known: fc.Arbitrary<EmitMsg>[] = CLIENT_EVENT_NAMES.map((event) => {
    const payload = guided(jsonSchemaOf(clientEvents[event].request), ctx);
    const args = fc.oneof(
      { weight: 30, arbitrary: payload.map((p) => [p]) },
      { weight: 1, arbitrary: fc.constant<unknown[]>([]) },
      { weight: 1, arbitrary: fc.tuple(payload, hostile).map((t) => [...t]) },
      { weight: 2, arbitrary: hostile.map((h) => [h]) },
    );
    return fc.record({ kind: fc.constant('emit' as const), side, event: fc.constant<string | number>(event), args, ack, repeat });
  });
  const unknownName = fc
    .oneof(
      fc.constantFrom<string | number>(
        'admin:drop-database',
        'call:invite ',
        'CALL:INVITE',
        'call:',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'error',
        'message',
        'session:shutdown',
        'call:incoming',
        'protocol:error',
        '',
        'push:register:all',
        0,
        -1,
        1e21,
      ),
      fc.string({ unit: 'binary', maxLength: 40 }),
    )
    .filter((n) => typeof n !== 'string' || (!RESERVED.has(n) && !(CLIENT_EVENT_NAMES as string[]).includes(n)));
  const unknown = fc.record({
    kind: fc.constant('emit' as const),
    side,
    event: unknownName,
    args: fc.oneof(fc.constant<unknown[]>([]), fc.constant<unknown[]>([{}]), hostile.map((h) => [h])),
    ack,
    repeat,
  });
  const flow = fc.record({
    kind: fc.constant('flow' as const),
    side,
    action: fc.constantFrom(...FLOW_ACTIONS),
    slot: fc.integer({ min: 0, max: 3 }),
    signal: fc.constantFrom(...VALID_SIGNALS),
    repeat,
  });
  const bodies = (url: string): fc.Arbitrary<string | undefined> => {
    const schema = BODY_SCHEMAS[url];
    const rawBodies = fc.constantFrom<string | undefined>(
      undefined,
      '',
      '{',
      '[]',
      'null',
      '"x"',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"admin":true}}}',
      'x'.repeat(17_000),
      JSON.stringify({ refreshToken: 'r'.repeat(20_000) }),
      `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
      JSON.stringify({ username: '\u0000', password: '\ud800' }),
      JSON.stringify(deepNest(2_000, false)),
    );
    const json = hostile.map((h) => JSON.stringify(h) as string | undefined);
    if (!schema) return fc.oneof(rawBodies, json, guided({}, ctx).map((v) => JSON.stringify(v) as string | undefined));
    // Valid-shaped logins cost a real scrypt each: keep them a minority.
    return fc.oneof(
      { weight: 3, arbitrary: rawBodies },
      { weight: 2, arbitrary: json },
      { weight: 2, arbitrary: guided(jsonSchemaOf(schema), ctx).map((v) => JSON.stringify(v) as string | undefined) },
    );
  };
  const httpMsg = fc.nat({ max: run.routes.length - 1 }).chain((route) =>
    fc.record({
      kind: fc.constant('http' as const),
      route: fc.constant(route),
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | null>(null) },
        { weight: 1, arbitrary: fc.constantFrom<string | null>('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
      ),
      path: fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | null>(null) },
        { weight: 2, arbitrary: fc.constantFrom<string | null>(...TRAVERSALS) },
        {
          weight: 1,
          arbitrary: fc
            .string({ unit: 'binary-ascii', maxLength: 60 })
            .map((q) => `${run.routes[route]!.url.replace(/\*$/, '')}?${encodePathPart(q)}=${encodePathPart(q)}`),
        },
      ),
      contentType: fc.constantFrom<string | null>(
        'application/json',
        'application/json',
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
        'multipart/form-data; boundary=x',
        null,
      ),
      auth: fc.constantFrom(...AUTH_KINDS),
      body: bodies(run.routes[route]!.url),
      param: fc.oneof(fc.constantFrom(...run.pools.ids), fc.constantFrom(...NASTY_STRINGS)),
    }),
  );
  const raw = fc.record({ kind: fc.constant('raw' as const), frames: fc.constantFrom(...RAW_FRAMES) });
  return fc.oneof(
    { weight: 60, arbitrary: fc.oneof(...known) },
    { weight: 4, arbitrary: unknown },
    { weight: 14, arbitrary: flow },
    { weight: 2, arbitrary: httpMsg },
    { weight: 1, arbitrary: raw },
  );
}

async function forgedTokens(userId: string): Promise<{ forged: string; algNone: string }> {
  const forged = await new SignJWT({ fam: 'f' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer('softphone')
    .setAudience('softphone-client')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode('not-the-server-secret-0123456789abcdef'));
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, fam: 'f', iss: 'softphone', aud: 'softphone-client', exp: Math.floor(Date.now() / 1000) + 300 })}.`;
  return { forged, algNone };
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const batchSize = opts.batchSize ?? 40;
  const numRuns = Math.ceil(opts.messages / batchSize);
  const progress = opts.progress ?? (() => {});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softphone-fuzz-'));
  const webRoot = path.join(dataDir, 'web');
  fs.mkdirSync(webRoot);
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>fuzz</title>');
  fs.writeFileSync(path.join(dataDir, 'canary.txt'), CANARY);

  const server = await FuzzServer.start({
    dataDir,
    webRoot,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    ringTimeoutMs: 2_000,
    callReconnectGraceMs: 5_000,
    endedCallRetentionMs: 1_000,
    accessTokenTtlSec: 7_200,
    socketEventsPerSecond: 5_000,
    inviteRatePerMinute: 1_000_000,
    loginRatePerMinute: 100_000,
    loginFailuresPerUsername: 100_000,
    shutdownGraceMs: 1_000,
  });
  const open: Client[] = [];
  try {
    const users = {} as Record<'alice' | 'bob' | 'mallory' | 'trudy', { id: string; token: string }>;
    for (const name of ['alice', 'bob', 'mallory', 'trudy'] as const) {
      const id = await server.addUser(name, PASSWORD);
      users[name] = { id, token: (await login(server.url, name, PASSWORD)).accessToken };
    }
    const connect = async (name: keyof typeof users, deviceId: string) => {
      const c = await Client.connect(server.url, users[name].token, deviceId, users[name].id);
      open.push(c);
      return c;
    };
    const alice = await connect('alice', `alice-legit-${opts.seed}`);
    const bob = await connect('bob', `bob-legit-${opts.seed}`);
    const a = await connect('mallory', 'mallory-main');
    const b = await connect('trudy', 'trudy-main');

    // The concurrent legitimate call, up before the first hostile byte.
    const incoming = new Promise<string>((resolve) =>
      bob.onEvent((e) => e.event === 'call:incoming' && resolve((e.payload as { call: { callId: string } }).call.callId)),
    );
    const invite = await alice.call('call:invite', [{ to: { username: 'bob' } }]);
    if (!isOk(invite)) throw new Error(`could not set up the concurrent call: ${describeValue(invite)}`);
    const legitCallId = invite.data.call.callId as string;
    if ((await incoming) !== legitCallId) throw new Error('bob was rung for another call');
    const accepted = await bob.call('call:accept', [{ callId: legitCallId }]);
    if (!isOk(accepted)) throw new Error(`bob could not answer: ${describeValue(accepted)}`);

    const reported = await server.routes();
    const routes = [...KNOWN_ROUTES];
    for (const r of reported) {
      if (!routes.some((k) => k.method === r.method && k.url === r.url)) routes.push(r);
    }
    const run = new FuzzRun(
      server,
      { dataDir, seed: opts.seed },
      users,
      { alice, bob, a, b },
      legitCallId,
      await forgedTokens(users.alice.id),
      routes,
    );
    run.watch(alice, 'alice', false);
    run.watch(bob, 'bob', false);
    run.watch(a, 'mallory', true);
    run.watch(b, 'trudy', true);
    run.watchLegit();
    const legit = [run.legitLoop(alice, 'a'), run.legitLoop(bob, 'b')];

    const pools = {
      ids: [
        legitCallId,
        users.alice.id,
        users.bob.id,
        users.mallory.id,
        users.trudy.id,
        // Not alice's and bob's device ids: a call the fuzzer creates with such an id
        // would echo it back and look like a leak. The authz tests cover device ids.
        a.deviceId,
        b.deviceId,
        'mallory-raw',
        '00000000-0000-0000-0000-000000000000',
        '__proto__',
        'constructor',
      ],
      usernames: ['alice', 'bob', 'mallory', 'trudy', 'nobody', 'admin', 'root'],
    };
    const batchArb = fc.record({
      mode: fc.constantFrom<Batch['mode']>('concurrent', 'concurrent', 'sequential'),
      messages: fc.array(messageArbitrary({ pools, routes, maxHugeString: opts.maxHugeString ?? 120_000 }), {
        minLength: batchSize,
        maxLength: batchSize,
      }),
    });
    const warmup = Math.max(1, Math.floor(numRuns / 20));
    let lastReport = Date.now();
    // fc.check rather than fc.assert: the report names the failing batch briefly
    // (a counterexample can hold 100 kB strings) and the replay seed and path.
    const details = await fc.check(
      fc.asyncProperty(batchArb, async (batch) => {
        if (run.batchNo === warmup) run.heapBefore = (await server.heap()).heapUsed;
        const t0 = performance.now();
        if (run.lastEnd) run.genMs += t0 - run.lastEnd;
        await run.batch(batch);
        run.lastEnd = performance.now();
        run.execMs += run.lastEnd - t0;
        if (Date.now() - lastReport > 5_000) {
          lastReport = Date.now();
          progress(`  ${run.messages} messages, ${run.batchNo}/${numRuns} batches, ${Math.round(run.messages / ((Date.now() - started) / 1000))}/s, exec ${Math.round(run.execMs)} ms gen ${Math.round(run.genMs)} ms`);
        }
      }),
      // No shrinking: replaying against a live, stateful server would mislead more than help.
      { seed: opts.seed, numRuns, endOnFailure: true },
    );
    if (details.failed) {
      const batch = details.counterexample?.[0];
      const lines = (batch?.messages ?? []).map((m, i) => `  ${i}: ${describeValue(m, 300)}`);
      const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(
        `fuzz property failed in batch ${run.batchNo} after ${run.messages} messages ` +
          `(seed ${opts.seed}, path ${details.counterexamplePath ?? '?'}):\n${error}\n` +
          `batch (${batch?.mode ?? '?'}):\n${lines.join('\n')}`,
      );
    }

    // The concurrent call: still up, every signal delivered once and in order, then ended normally.
    run.legitRunning = false;
    await Promise.all(legit);
    await alice.call('session:ping', [{}]);
    await bob.call('session:ping', [{}]);
    for (const side of ['a', 'b'] as const) {
      const sent = run.legitSent[side];
      const got = run.legitReceived[side];
      if (sent.length !== got.length || sent.some((s, i) => s !== got[i])) {
        run.fail(`the concurrent call's signals to ${side === 'a' ? 'alice' : 'bob'}: sent ${sent.length}, received ${got.length} (or out of order)`);
      }
    }
    const sync = await alice.call('session:sync', [{ calls: [legitCallId] }]);
    const live = isOk(sync) ? (sync.data.calls as { callId: string; state: string }[]).find((c) => c.callId === legitCallId) : undefined;
    if (live?.state !== 'answered') run.fail(`the concurrent call is no longer answered: ${describeValue(sync)}`);
    const bobEnded = new Promise<void>((resolve) =>
      bob.onEvent((e) => e.event === 'call:ended' && (e.payload as { call: { callId: string } }).call.callId === legitCallId && resolve()),
    );
    run.legitGuard = false;
    const hangup = await alice.call('call:hangup', [{ callId: legitCallId }]);
    if (!isOk(hangup) || hangup.data.call.outcome !== 'completed') run.fail(`the concurrent call did not end normally: ${describeValue(hangup)}`);
    await bobEnded;
    const legitRecords = (await server.records([legitCallId]))[legitCallId] ?? [];
    const directions = legitRecords.map((r) => `${r.direction}:${r.peer.username}:${r.outcome}`).sort();
    if (directions.join() !== 'incoming:alice:completed,outgoing:bob:completed') {
      run.fail(`the concurrent call's history is ${JSON.stringify(directions)}, expected one record per participant`);
    }

    // Every call the fuzzers created ends, with exactly one record per participant.
    for (const callId of run.created.keys()) await run.endCall(callId);
    const ids = [...run.created.keys()];
    const deadline = Date.now() + 20_000;
    let open_: string[] = ids;
    while (open_.length > 0 && Date.now() < deadline) {
      const journal = await server.journal(open_);
      open_ = open_.filter((id) => journal[id]?.endedAt == null);
      if (open_.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    if (open_.length > 0) run.fail(`${open_.length} fuzz calls never ended: ${open_.slice(0, 5).join(', ')}`);
    for (let i = 0; i < ids.length; i += 200) {
      const records = await server.records(ids.slice(i, i + 200));
      for (const [id, list] of Object.entries(records)) {
        const dirs = list.map((r) => r.direction).sort().join();
        if (dirs !== 'incoming,outgoing') run.fail(`call ${id} has history ${JSON.stringify(dirs)}, expected one incoming and one outgoing`);
      }
    }
    for (const [name, c] of [['mallory', a], ['trudy', b]] as const) {
      const s = await c.call('session:sync', [{ calls: [] }]);
      if (!isOk(s) || s.data.calls.length > 0) run.fail(`${name} still has live calls after cleanup: ${describeValue(s)}`);
    }

    // Memory: ended calls leave live state after their retention; then the heap must be back near the baseline.
    await new Promise((r) => setTimeout(r, 1_500));
    const heapAfter = (await server.heap()).heapUsed;
    const slack = opts.heapSlackBytes ?? 48 * 1024 * 1024;
    if (run.heapBefore > 0 && heapAfter > run.heapBefore + slack) {
      run.fail(`server heap grew from ${(run.heapBefore / 2 ** 20).toFixed(1)} MiB to ${(heapAfter / 2 ** 20).toFixed(1)} MiB`);
    }
    if (!server.alive) run.fail(`the server died: ${server.crashed}`);
    for (const e of server.errors()) run.fail(`server logged an error: ${e.line.slice(0, 600)}`);
    // Anything on stderr bypassed the structured log (e.g. a library printing attacker-triggered errors).
    if (server.stderrTail.trim()) run.fail(`the server wrote to stderr: ${server.stderrTail.slice(0, 1_000)}`);
    if (run.failures.length > 0) throw new Error(run.failures.join('\n'));

    return {
      seed: opts.seed,
      messages: run.messages,
      batches: run.batchNo,
      byKind: run.byKind,
      ackCodes: run.ackCodes,
      legitSignals: run.legitSent.a.length + run.legitSent.b.length,
      createdCalls: run.created.size,
      heapBeforeMiB: Math.round((run.heapBefore / 2 ** 20) * 10) / 10,
      heapAfterMiB: Math.round((heapAfter / 2 ** 20) * 10) / 10,
      durationMs: Date.now() - started,
      slowest: run.slow,
    };
  } finally {
    for (const c of open) c.close();
    closeHttpAgent();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
