/**
 * `call:invite {to: {queue}}`: the minimum of queues that offers and RONA need (waiting
 * callers, strategies and tiers come later). The call is offered to the member who is
 * ready, not in a reject delay, has a device online and has been idle longest; that agent
 * is `reserved` until the queue's agent ring timeout. Nobody ready: the call ends at once,
 * busy, `no_agents`. A missed or declined offer ends the call (`no_agents` / declined):
 * re-offering would need a call whose callee changes, which the call service does not have.
 */
import { randomUUID } from 'node:crypto';
import { ProtocolError, type CallView } from '../../shared/protocol/index.js';
import { toView, type CallService, type DeviceContext } from '../calls/call-service.js';
import type { LiveState } from '../live/types.js';
import type { Storage } from '../store/types.js';
import type { AgentRecord } from './agent-machine.js';
import type { AgentService } from './agent-service.js';

/** Ready and not inside a reject / no-answer delay (checked again under the agent's serial change). */
function offerable(a: AgentRecord, now: number): boolean {
  return a.state === 'ready' && (a.noOffersUntil === null || a.noOffersUntil <= now);
}

/** The call's own ring timeout outlasts the offer, so the agent's timer (RONA) decides. */
const RING_MARGIN_MS = 2_000;

export class QueueRouter {
  constructor(
    private readonly storage: Storage,
    private readonly live: LiveState,
    private readonly calls: CallService,
    private readonly agents: AgentService,
    private readonly now: () => number = Date.now,
  ) {}

  async invite(ctx: DeviceContext, queueId: string, callId: string = randomUUID()): Promise<CallView> {
    const queue = await this.storage.queues.get(queueId);
    if (!queue) throw new ProtocolError('not_found', 'no such queue');
    const ref = { id: queue.id, name: queue.name };
    const existing = await this.live.calls.get(callId);
    if (existing) {
      if (existing.caller.id === ctx.userId && existing.callerDeviceId === ctx.deviceId && existing.queue?.id === queue.id) {
        return toView(existing);
      }
      throw new ProtocolError('conflict', 'call id already in use');
    }
    const ringMs = queue.agentRingTimeoutSec * 1000;
    for (const candidate of await this.candidates(queue.id, ctx.userId)) {
      const deadline = this.now() + ringMs;
      const reserved = await this.agents
        .apply(candidate.userId, (a) =>
          offerable(a, this.now()) ? { type: 'offer', callId, queueId: queue.id, deadline } : null,
        )
        .catch(() => undefined);
      if (!reserved || reserved.state !== 'reserved' || reserved.callId !== callId) continue;
      const callee = await this.storage.accounts.getUserById(candidate.userId);
      try {
        if (!callee) throw new ProtocolError('not_found', 'the agent was removed');
        return await this.calls.place(ctx, callee, {
          callId,
          queue: ref,
          ringTimeoutMs: ringMs + RING_MARGIN_MS,
          autoAnswerMs: reserved.autoAnswer.queue ? reserved.autoAnswer.delayMs : null,
        });
      } catch (err) {
        // The call could not ring the agent: they are ready again.
        await this.agents.apply(candidate.userId, (a) =>
          a.state === 'reserved' && a.callId === callId
            ? { type: 'call-ended', callId, endReason: 'failed', answered: false, wrapUp: { seconds: 0, extendBySec: 1, extensions: 0, dispositions: [], required: false } }
            : null,
        );
        throw err;
      }
    }
    const queueParty = { id: `queue-${queue.id}`.slice(0, 64), username: queue.id.toLowerCase(), displayName: queue.name };
    return this.calls.place(ctx, queueParty, { callId, queue: ref, endAtOnce: 'no_agents', calleeIsQueue: true });
  }

  /** Ready members with a device online, not in a reject delay, idle longest first. */
  private async candidates(queueId: string, callerId: string): Promise<AgentRecord[]> {
    const now = this.now();
    const out: AgentRecord[] = [];
    for (const { userId } of await this.storage.queues.members(queueId)) {
      if (userId === callerId) continue;
      const a = await this.agents.get(userId);
      if (a && a.graceUntil === null && offerable(a, now)) out.push(a);
    }
    return out.sort((x, y) => x.idleSince - y.idleSince || x.userId.localeCompare(y.userId));
  }
}
