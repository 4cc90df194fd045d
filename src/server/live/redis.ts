/**
 * Live state in Redis, shared by every node of a cluster: calls in progress,
 * online devices, last published presence, and the calls' deadlines.
 *
 * Every check-then-write is one Lua script (live/redis-scripts.ts), so the
 * guarantees of the in-memory store hold across nodes:
 * - `compareAndSet` checks the version and writes in one step: the first
 *   device to accept wins even when the accepts reach different nodes;
 * - a device's registry entry carries its socket id: a reconnect on another
 *   node replaces it, and the old connection's late disconnect does nothing;
 * - deadlines live in a sorted set (callId → due time), not in a process
 *   timer: every node polls for due entries and claims each atomically, so a
 *   ring started on a node that dies still times out on time. The node that
 *   set a deadline also keeps a precise local timer for it.
 *
 * Keys (prefix `sp:` by default):
 *   call:<id>            hash { v: version, s: state, j: LiveCall JSON }
 *   ucalls:<userId>      set of the user's calls not yet ended
 *   deadlines            sorted set callId → due (ms since epoch)
 *   devices:<userId>     hash deviceId → OnlineDevice JSON (+ owning node)
 *   node-devices:<node>  set "userId:deviceId" registered through that node
 *   nodes                sorted set nodeId → last heartbeat (ms)
 *   presence:<userId>    last published presence
 *   lease:<job>          which node runs a periodic job this round
 *   agent:<userId>, agents, agent-deadlines   live agent states (live/redis-agents.ts)
 *   qline:<queueId>, qlast:<queueId>          queue lines (live/redis-lines.ts)
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import * as lua from './redis-scripts.js';
import { RedisAgentStore } from './redis-agents.js';
import { Activity, Script } from './redis-util.js';
import { RedisQueueLines } from './redis-lines.js';
import { isPartyNow, partiesOf, type DeviceRegistry, type LiveCall, type LiveCallStore, type LiveState, type OnlineDevice, type PresenceCache } from './types.js';

export interface RedisLiveOptions {
  /** This node's id: device entries record which node holds their connection. */
  nodeId: string;
  keyPrefix?: string;
  /** Ended calls expire after this (set atomically with the end, see COMPARE_AND_SET). */
  endedCallRetentionMs: number;
  /** How often every node looks for due deadlines. */
  deadlinePollMs?: number;
  /** A claimed deadline falls due again after this if its handler never finished (node died). */
  deadlineLeaseMs?: number;
  log?: Logger;
  now?: () => number;
}

const SCRIPTS = {
  insertCall: new Script(lua.INSERT_CALL),
  compareAndSet: new Script(lua.COMPARE_AND_SET),
  activeForUser: new Script(lua.ACTIVE_FOR_USER),
  claimDue: new Script(lua.CLAIM_DUE),
  claimOne: new Script(lua.CLAIM_ONE),
  deviceConnect: new Script(lua.DEVICE_CONNECT),
  deviceDisconnect: new Script(lua.DEVICE_DISCONNECT),
  heartbeat: new Script(lua.HEARTBEAT),
  releaseNode: new Script(lua.RELEASE_NODE),
};

/** setTimeout's ceiling; later deadlines are left to the poller. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Due deadlines claimed per poll round (the round repeats while it gets a full batch). */
const CLAIM_BATCH = 100;
/** Presence cache entries are refreshed on every change; idle users' entries go away. */
const PRESENCE_TTL_SEC = 86_400;

class Keys {
  constructor(readonly prefix: string) {}
  call = (id: string) => `${this.prefix}call:${id}`;
  userCalls = (userId: string) => `${this.prefix}ucalls:${userId}`;
  devices = (userId: string) => `${this.prefix}devices:${userId}`;
  nodeDevices = (nodeId: string) => `${this.prefix}node-devices:${nodeId}`;
  presence = (userId: string) => `${this.prefix}presence:${userId}`;
  get deadlines() {
    return `${this.prefix}deadlines`;
  }
  get nodes() {
    return `${this.prefix}nodes`;
  }
}

type StoredDevice = OnlineDevice & { node?: string };

function parseDevice(json: string): OnlineDevice {
  const { node: _node, ...device } = JSON.parse(json) as StoredDevice;
  return device;
}

class RedisCallStore implements LiveCallStore {
  private handler: (callId: string) => void = () => {};
  private readonly localTimers = new Map<string, NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private failingSince = 0;
  private readonly pollMs: number;
  private readonly leaseMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly activity: Activity,
    private readonly opts: RedisLiveOptions,
    private readonly now: () => number,
  ) {
    this.pollMs = opts.deadlinePollMs ?? 200;
    this.leaseMs = opts.deadlineLeaseMs ?? 5_000;
  }

  private run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.activity.track(script.run(this.redis, keys, args));
  }

  async insert(call: LiveCall): Promise<boolean> {
    const k = this.keys;
    const r = await this.run(
      SCRIPTS.insertCall,
      [k.call(call.callId), k.userCalls(call.caller.id), k.userCalls(call.callee.id)],
      [call.version, call.state, JSON.stringify(call), call.callId],
    );
    return r === 1;
  }

  async get(callId: string): Promise<LiveCall | undefined> {
    const json = await this.activity.track(this.redis.hget(this.keys.call(callId), 'j'));
    return json ? (JSON.parse(json) as LiveCall) : undefined;
  }

  async compareAndSet(next: LiveCall, expectedVersion: number): Promise<boolean> {
    const k = this.keys;
    const others = partiesOf(next).slice(2).map(k.userCalls);
    const r = await this.run(
      SCRIPTS.compareAndSet,
      [k.call(next.callId), k.userCalls(next.caller.id), k.userCalls(next.callee.id), k.deadlines, ...others],
      [expectedVersion, next.version, next.state, JSON.stringify(next), next.callId, this.opts.endedCallRetentionMs],
    );
    return r === 1;
  }

  async activeForUser(userId: string): Promise<LiveCall[]> {
    const rows = (await this.run(SCRIPTS.activeForUser, [this.keys.userCalls(userId)], [this.keys.call('')])) as string[];
    return rows
      .map((j) => JSON.parse(j) as LiveCall)
      .filter((c) => isPartyNow(c, userId))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async setDeadline(callId: string, at: number): Promise<void> {
    await this.activity.track(this.redis.zadd(this.keys.deadlines, at, callId));
    this.armLocal(callId, at);
  }

  async clearDeadline(callId: string): Promise<void> {
    this.disarmLocal(callId);
    await this.activity.track(this.redis.zrem(this.keys.deadlines, callId));
  }

  onDeadline(handler: (callId: string) => void): void {
    this.handler = handler;
    if (!this.pollTimer && !this.closed) {
      this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
      this.pollTimer.unref();
    }
  }

  async expire(callId: string, ms: number): Promise<void> {
    await this.activity.track(this.redis.pexpire(this.keys.call(callId), ms));
  }

  /** Claims and fires every due deadline, whichever node set it. */
  async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      for (;;) {
        const ids = (await this.run(
          SCRIPTS.claimDue,
          [this.keys.deadlines],
          [this.now(), this.leaseMs, CLAIM_BATCH, this.keys.call('')],
        )) as string[];
        this.healthy();
        for (const id of ids) this.fire(id);
        if (ids.length < CLAIM_BATCH || this.closed) break;
      }
    } catch (err) {
      this.failing(err);
    } finally {
      this.polling = false;
    }
  }

  /** The precise timer of the node that set the deadline; the pollers are the backstop. */
  private armLocal(callId: string, at: number): void {
    this.disarmLocal(callId);
    const delay = Math.max(0, at - this.now());
    if (this.closed || delay > MAX_TIMER_MS) return;
    const t = setTimeout(() => {
      this.localTimers.delete(callId);
      this.run(SCRIPTS.claimOne, [this.keys.deadlines, this.keys.call(callId)], [callId, this.now(), this.leaseMs])
        .then((claimed) => {
          if (claimed === 1) this.fire(callId);
        })
        .catch((err: unknown) => this.failing(err));
    }, delay);
    t.unref();
    this.localTimers.set(callId, t);
  }

  private disarmLocal(callId: string): void {
    const t = this.localTimers.get(callId);
    if (t) clearTimeout(t);
    this.localTimers.delete(callId);
  }

  private fire(callId: string): void {
    this.disarmLocal(callId);
    try {
      this.handler(callId);
    } catch (err) {
      this.opts.log?.error({ err, callId }, 'deadline handler threw');
    }
  }

  /** Logs the first failure of a streak and then every 30 s, not every poll. */
  private failing(err: unknown): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.failingSince === 0 || now - this.failingSince >= 30_000) {
      this.opts.log?.warn({ err }, 'Redis deadline poll failed; retrying');
      this.failingSince = now;
    }
  }

  private healthy(): void {
    if (this.failingSince === 0) return;
    this.failingSince = 0;
    this.opts.log?.info('Redis deadline poll recovered');
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    for (const t of this.localTimers.values()) clearTimeout(t);
    this.localTimers.clear();
  }
}

class RedisDeviceRegistry implements DeviceRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly activity: Activity,
    private readonly nodeId: string,
  ) {}

  async connect(device: OnlineDevice): Promise<OnlineDevice | undefined> {
    const k = this.keys;
    const stored: StoredDevice = { ...device, node: this.nodeId };
    const prev = await this.activity.track(
      SCRIPTS.deviceConnect.run(
        this.redis,
        [k.devices(device.userId), k.nodeDevices(this.nodeId)],
        [device.deviceId, JSON.stringify(stored), device.socketId, `${device.userId}:${device.deviceId}`, k.nodeDevices(''), this.nodeId],
      ),
    );
    return typeof prev === 'string' ? parseDevice(prev) : undefined;
  }

  async disconnect(userId: string, deviceId: string, socketId: string): Promise<boolean> {
    const k = this.keys;
    const r = await this.activity.track(
      SCRIPTS.deviceDisconnect.run(this.redis, [k.devices(userId)], [deviceId, socketId, `${userId}:${deviceId}`, k.nodeDevices('')]),
    );
    return r === 1;
  }

  async list(userId: string): Promise<OnlineDevice[]> {
    const values = await this.activity.track(this.redis.hvals(this.keys.devices(userId)));
    return values.map(parseDevice).sort((a, b) => a.connectedAt - b.connectedAt || a.deviceId.localeCompare(b.deviceId));
  }

  async get(userId: string, deviceId: string): Promise<OnlineDevice | undefined> {
    const json = await this.activity.track(this.redis.hget(this.keys.devices(userId), deviceId));
    return json ? parseDevice(json) : undefined;
  }
}

class RedisPresenceCache implements PresenceCache {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly activity: Activity,
  ) {}

  async swap(userId: string, presence: string): Promise<string | undefined> {
    // SET … GET: store and read the previous value in one atomic step.
    const prev = await this.activity.track(
      this.redis.call('SET', this.keys.presence(userId), presence, 'GET', 'EX', PRESENCE_TTL_SEC),
    );
    return typeof prev === 'string' ? prev : undefined;
  }
}

export class RedisLiveState implements LiveState {
  readonly calls: RedisCallStore;
  readonly devices: RedisDeviceRegistry;
  readonly presence: RedisPresenceCache;
  readonly agents: RedisAgentStore;
  readonly lines: RedisQueueLines;
  readonly nodeId: string;
  private readonly keys: Keys;
  private readonly activity = new Activity();
  private readonly now: () => number;
  private isClosed = false;

  constructor(
    private readonly redis: Redis,
    opts: RedisLiveOptions,
  ) {
    this.keys = new Keys(opts.keyPrefix ?? 'sp:');
    this.nodeId = opts.nodeId;
    this.now = opts.now ?? Date.now;
    this.calls = new RedisCallStore(redis, this.keys, this.activity, opts, this.now);
    this.devices = new RedisDeviceRegistry(redis, this.keys, this.activity, opts.nodeId);
    this.presence = new RedisPresenceCache(redis, this.keys, this.activity);
    this.agents = new RedisAgentStore(redis, this.keys.prefix, this.activity, opts, this.now);
    this.lines = new RedisQueueLines(redis, this.keys.prefix, this.activity, this.now);
  }

  // ─────────────── node liveness (used by cluster/node-monitor.ts) ───────────────

  /** Records that this node is alive; false when others declared it dead meanwhile (unless `force`). */
  async heartbeat(force = false): Promise<boolean> {
    const r = await this.activity.track(
      SCRIPTS.heartbeat.run(this.redis, [this.keys.nodes], [this.nodeId, this.now(), force ? '1' : '0']),
    );
    return r === 1;
  }

  /** Nodes whose last heartbeat is older than `before` (ms since epoch). */
  async silentNodes(before: number): Promise<string[]> {
    return this.activity.track(this.redis.zrangebyscore(this.keys.nodes, '-inf', `(${before}`));
  }

  /**
   * Takes over a dead node: removes it from the node registry and unregisters
   * the devices it still held. Returns them, or undefined when another node
   * took it first or it came back. `force` releases regardless of its
   * heartbeat (a node cleaning up after its own previous run, same id).
   */
  async releaseNode(nodeId: string, opts: { silentSince: number } | { force: true }): Promise<OnlineDevice[] | undefined> {
    const arg = 'force' in opts ? 'force' : opts.silentSince;
    const r = await this.activity.track(
      SCRIPTS.releaseNode.run(this.redis, [this.keys.nodes, this.keys.nodeDevices(nodeId)], [nodeId, arg, this.keys.devices('')]),
    );
    return Array.isArray(r) ? (r as string[]).map(parseDevice) : undefined;
  }

  /** True for exactly one caller per `ms` window (a cluster-wide periodic job). */
  async tryLease(name: string, ms: number): Promise<boolean> {
    const r = await this.activity.track(this.redis.set(`${this.keys.prefix}lease:${name}`, this.nodeId, 'PX', ms, 'NX'));
    return r === 'OK';
  }

  /** Stops timers and lets in-flight work finish; the Redis connection belongs to the caller. */
  get closed(): boolean {
    return this.isClosed;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.calls.close();
    this.agents.close();
    await this.activity.settle();
  }
}
