/**
 * Live agent states in Redis (LiveAgentStore), shared by every node, with the guarantees of
 * the calls (live/redis.ts): a compare-and-set on the version in one Lua step, and one
 * deadline per agent in a sorted set that every node polls and claims atomically (the
 * node that set it also keeps a precise local timer). A wrap-up or an offer timeout set by
 * a node that dies is fired by another node after at most the poll interval.
 *
 * Keys (prefix `sp:` by default):
 *   agent:<userId>    hash { v: version, s: state, j: AgentRecord JSON }
 *   agents            set of user ids with a live agent state
 *   agent-deadlines   sorted set userId → due (ms since epoch)
 */
import type { Redis } from 'ioredis';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { RedisLiveOptions } from './redis.js';
import { type Activity, Script } from './redis-util.js';
import * as lua from './redis-scripts.js';
import type { LiveAgentStore } from './types.js';

/** Compare-and-set of an agent ('' expected: only if absent). KEYS: agent, agents. ARGV: expected, next v, state, json, userId. */
const AGENT_CAS = `
local v = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if v then return 0 end
elseif not v or v ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3], 'j', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
return 1`;

const SCRIPTS = {
  cas: new Script(AGENT_CAS),
  // The calls' claim scripts work unchanged: an agent's hash has a state `s` that is never 'ended'.
  claimDue: new Script(lua.CLAIM_DUE),
  claimOne: new Script(lua.CLAIM_ONE),
};

const MAX_TIMER_MS = 2 ** 31 - 1;
const CLAIM_BATCH = 100;

export class RedisAgentStore implements LiveAgentStore {
  private handler: (userId: string) => void = () => {};
  private readonly localTimers = new Map<string, NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private readonly pollMs: number;
  private readonly leaseMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly activity: Activity,
    private readonly opts: RedisLiveOptions,
    private readonly now: () => number,
  ) {
    this.pollMs = opts.deadlinePollMs ?? 200;
    this.leaseMs = opts.deadlineLeaseMs ?? 5_000;
  }

  private key = (userId: string) => `${this.prefix}agent:${userId}`;
  private get setKey() {
    return `${this.prefix}agents`;
  }
  private get deadlines() {
    return `${this.prefix}agent-deadlines`;
  }

  private run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.activity.track(script.run(this.redis, keys, args));
  }

  async get(userId: string): Promise<AgentRecord | undefined> {
    const json = await this.activity.track(this.redis.hget(this.key(userId), 'j'));
    return json ? (JSON.parse(json) as AgentRecord) : undefined;
  }

  async compareAndSet(next: AgentRecord, expectedVersion: number | null): Promise<boolean> {
    const r = await this.run(
      SCRIPTS.cas,
      [this.key(next.userId), this.setKey],
      [expectedVersion === null ? '' : expectedVersion, next.version, next.state, JSON.stringify(next), next.userId],
    );
    return r === 1;
  }

  async list(): Promise<AgentRecord[]> {
    const ids = await this.activity.track(this.redis.smembers(this.setKey));
    if (ids.length === 0) return [];
    const jsons = await this.activity.track(Promise.all(ids.map((id) => this.redis.hget(this.key(id), 'j'))));
    return jsons.filter((j): j is string => typeof j === 'string').map((j) => JSON.parse(j) as AgentRecord);
  }

  async setDeadline(userId: string, at: number): Promise<void> {
    await this.activity.track(this.redis.zadd(this.deadlines, at, userId));
    this.armLocal(userId, at);
  }

  async clearDeadline(userId: string): Promise<void> {
    this.disarmLocal(userId);
    await this.activity.track(this.redis.zrem(this.deadlines, userId));
  }

  onDeadline(handler: (userId: string) => void): void {
    this.handler = handler;
    if (!this.pollTimer && !this.closed) {
      this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
      this.pollTimer.unref();
    }
  }

  /** Claims and fires every due agent deadline, whichever node set it. */
  async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      for (;;) {
        const ids = (await this.run(SCRIPTS.claimDue, [this.deadlines], [this.now(), this.leaseMs, CLAIM_BATCH, this.key('')])) as string[];
        for (const id of ids) this.fire(id);
        if (ids.length < CLAIM_BATCH || this.closed) break;
      }
    } catch (err) {
      if (!this.closed) this.opts.log?.warn({ err }, 'Redis agent deadline poll failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  private armLocal(userId: string, at: number): void {
    this.disarmLocal(userId);
    const delay = Math.max(0, at - this.now());
    if (this.closed || delay > MAX_TIMER_MS) return;
    const t = setTimeout(() => {
      this.localTimers.delete(userId);
      this.run(SCRIPTS.claimOne, [this.deadlines, this.key(userId)], [userId, this.now(), this.leaseMs])
        .then((claimed) => {
          if (claimed === 1) this.fire(userId);
        })
        .catch((err: unknown) => this.opts.log?.warn({ err }, 'claiming an agent deadline failed'));
    }, delay);
    t.unref();
    this.localTimers.set(userId, t);
  }

  private disarmLocal(userId: string): void {
    const t = this.localTimers.get(userId);
    if (t) clearTimeout(t);
    this.localTimers.delete(userId);
  }

  private fire(userId: string): void {
    this.disarmLocal(userId);
    try {
      this.handler(userId);
    } catch (err) {
      this.opts.log?.error({ err, userId }, 'agent deadline handler threw');
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    for (const t of this.localTimers.values()) clearTimeout(t);
    this.localTimers.clear();
  }
}
