/**
 * The agent service: every agent's state lives here, on the server (docs/agents.md).
 *
 * Each change runs the pure machine (agent-machine.ts) on the stored state and writes the
 * result with a compare-and-set on its version, retried on a race, so changes of one agent
 * are serialised on one node (a promise chain per agent) and across nodes (the version).
 * After a write: the state log is made durable, `agent:changed` goes to all of the agent's
 * devices and to subscribed supervisors, presence is recomputed, and the one deadline the
 * state needs (offer timeout, wrap-up end, grace end) is armed in the live state, which
 * fires it on whichever node is alive (live/redis-agents.ts).
 */
import {
  ProtocolError,
  type AgentLogEntry,
  type AgentView,
  type AutoAnswer,
  type CallView,
  type EndReason,
} from '../../shared/protocol/index.js';
import type { CallService } from '../calls/call-service.js';
import type { LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import { KeyedSerial } from '../keyed-serial.js';
import type { PresenceService } from '../presence.js';
import type { Storage } from '../store/types.js';
import {
  dueAt,
  newAgent,
  step,
  toAgentView,
  type AgentEvent,
  type AgentRecord,
  type MachineConfig,
  type WrapUpSpec,
} from './agent-machine.js';

export interface AgentConfig extends MachineConfig {
  /** Wrap-up after a person-to-person call (0 = none). */
  directWrapUpSec: number;
  wrapUpExtendSec: number;
  wrapUpMaxExtensions: number;
}

export const DEFAULT_AUTO_ANSWER: AutoAnswer = { queue: false, internal: false, delayMs: 0, agentMayChange: false };

export interface AgentServiceDeps {
  storage: Storage;
  live: LiveState;
  calls: CallService;
  presence: PresenceService;
  log: Logger;
  config: AgentConfig;
  /** Sends `agent:changed` to the agent's devices and to subscribed supervisors. */
  publish: (view: AgentView) => void;
  now?: () => number;
}

type EventFor = AgentEvent | ((a: AgentRecord) => AgentEvent | null);

/** What the queue engine hears from the agents (queues/queue-service.ts). */
export interface AgentQueueHooks {
  /** The agent's offer of the call went unanswered (their ring timer, or they went away). */
  offerMissed(callId: string, userId: string): Promise<void>;
  /** An agent's state was committed (they may have become offerable). */
  changed(before: AgentRecord, after: AgentRecord): void;
}

export class AgentService {
  private readonly serial = new KeyedSerial();
  private readonly now: () => number;
  private queues: AgentQueueHooks | undefined;

  constructor(private readonly d: AgentServiceDeps) {
    this.now = d.now ?? Date.now;
    d.live.agents.onDeadline((userId) => void this.safely(this.onTimer(userId), 'agent timer'));
    d.calls.on('answered', (call) => void this.safely(this.onAnswered(call), 'agent answer'));
    d.calls.on('ended', (call) => void this.safely(this.onEnded(call), 'agent call end'));
  }

  attachQueues(hooks: AgentQueueHooks): void {
    this.queues = hooks;
  }

  get config(): AgentConfig {
    return this.d.config;
  }

  async get(userId: string): Promise<AgentRecord | undefined> {
    return this.d.live.agents.get(userId);
  }

  /** The agent's record, created (offline) on first use. */
  async ensure(userId: string): Promise<AgentRecord> {
    const existing = await this.d.live.agents.get(userId);
    if (existing) return existing;
    const user = await this.d.storage.accounts.getUserById(userId);
    if (!user) throw new ProtocolError('not_found', 'no such user');
    const autoAnswer = (await this.d.storage.agents.getAutoAnswer(userId)) ?? DEFAULT_AUTO_ANSWER;
    const fresh = newAgent({ id: user.id, username: user.username, displayName: user.displayName }, autoAnswer, this.now());
    await this.d.live.agents.compareAndSet(fresh, null);
    return (await this.d.live.agents.get(userId)) ?? fresh;
  }

  /** The agent's devices changed (connect, disconnect, a dead node's devices released). */
  async syncDevices(userId: string, isAgent: boolean): Promise<void> {
    const online = (await this.d.live.devices.list(userId)).length > 0;
    if (!isAgent && !(await this.d.live.agents.get(userId))) return;
    if (online) await this.ensure(userId);
    await this.apply(userId, { type: online ? 'device-online' : 'device-gone' });
  }

  /** Applies an event (or the event a function picks from the current state) to one agent. */
  apply(userId: string, ev: EventFor): Promise<AgentRecord> {
    return this.serial.run(userId, () => this.applyNow(userId, ev));
  }

  private async applyNow(userId: string, evFor: EventFor): Promise<AgentRecord> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.ensure(userId);
      const ev = typeof evFor === 'function' ? evFor(current) : evFor;
      if (!ev) return current;
      const now = this.now();
      const s = step(current, ev, now, this.d.config);
      if (s.agent === current) {
        // A timer that found nothing due (fired a moment early, or was claimed late): arm it again.
        if (ev.type === 'timer') await this.rearm(current);
        return current;
      }
      const next = { ...s.agent, version: current.version + 1 };
      if (!(await this.d.live.agents.compareAndSet(next, current.version))) continue;
      await this.committed(current, next, s.log.map((l) => ({ ...l, at: now, userId }) satisfies AgentLogEntry));
      for (const e of s.effects) {
        if (e.type === 'offer-missed') {
          if (this.queues) void this.safely(this.queues.offerMissed(e.callId, userId), 'ending a missed offer');
        }
        else await this.d.storage.agents.saveWrapUp(e.callId, userId, e.disposition, e.notes);
      }
      return next;
    }
    throw new ProtocolError('conflict', 'the agent state is changing too fast; try again');
  }

  private async rearm(a: AgentRecord): Promise<void> {
    const due = dueAt(a);
    if (due === null) await this.d.live.agents.clearDeadline(a.userId);
    else await this.d.live.agents.setDeadline(a.userId, Math.max(due, this.now() + 1));
  }

  private async committed(before: AgentRecord, after: AgentRecord, log: AgentLogEntry[]): Promise<void> {
    if (dueAt(after) !== null || dueAt(before) !== null) await this.rearm(after);
    if (log.length > 0) {
      await this.d.storage.agents.appendLog(log);
      for (const l of log) this.d.log.info({ userId: l.userId, from: l.from, to: l.to, reason: l.reason, cause: l.cause }, 'agent transition');
    }
    this.d.publish(toAgentView(after));
    try {
      this.queues?.changed(before, after);
    } catch (err) {
      this.d.log.error({ err }, 'queue hook failed');
    }
    if (before.state !== after.state) await this.d.presence.refresh(after.userId);
  }

  // ───────────────────────────── calls ─────────────────────────────

  /**
   * The agent's timer. An offer that ran out for a call this agent has answered is no miss:
   * the node that committed the accept died before the agent's reserved → on-call step and
   * before telling the caller. The answer is announced again (the caller hears call:answered,
   * and the `answered` event moves the agent on-call) instead of a RONA.
   */
  private async onTimer(userId: string): Promise<void> {
    const a = await this.d.live.agents.get(userId);
    if (a?.state === 'reserved' && a.callId && a.offerDeadline !== null && a.offerDeadline <= this.now()) {
      const c = await this.d.live.calls.get(a.callId);
      if (c?.state === 'answered' && c.callee.id === userId) {
        this.d.log.warn({ callId: c.callId, userId }, 'an answer whose node died was not announced: announcing it again');
        await this.d.calls.announceAnswer(c, true);
        await this.apply(userId, (x) => (x.state === 'reserved' && x.callId === c.callId ? { type: 'answered', callId: c.callId } : null));
        return;
      }
    }
    await this.apply(userId, { type: 'timer' });
  }

  private async onAnswered(call: CallView): Promise<void> {
    for (const party of [call.caller.id, call.callee.id]) {
      if (await this.d.live.agents.get(party)) await this.apply(party, { type: 'answered', callId: call.callId });
    }
  }

  private async onEnded(call: CallView): Promise<void> {
    const wrapUp = await this.wrapUpFor(call);
    for (const party of [call.caller.id, call.callee.id]) {
      const a = await this.d.live.agents.get(party);
      if (!a || a.callId !== call.callId) continue;
      await this.apply(party, {
        type: 'call-ended',
        callId: call.callId,
        endReason: call.endReason as EndReason,
        answered: call.answeredAt !== null,
        wrapUp,
      });
    }
  }

  private async wrapUpFor(call: CallView): Promise<WrapUpSpec> {
    const c = this.d.config;
    const base = { extendBySec: c.wrapUpExtendSec, extensions: c.wrapUpMaxExtensions };
    const queue = call.queue ? await this.d.storage.queues.get(call.queue.id) : undefined;
    if (!queue) return { ...base, seconds: c.directWrapUpSec, dispositions: [], required: false };
    return { ...base, seconds: queue.wrapUpSec, dispositions: queue.dispositions, required: queue.dispositionRequired };
  }

  private async safely(p: Promise<unknown>, what: string): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof ProtocolError && (err.code === 'conflict' || err.code === 'gone')) return;
      this.d.log.error({ err }, `${what} failed`);
    }
  }
}
