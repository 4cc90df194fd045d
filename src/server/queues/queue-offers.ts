/**
 * Offers of queue calls, applied atomically across nodes (docs/protocol.md "Queues"):
 *
 * - offer: the call's compare-and-set first (waiting → offered to these agents, offer number
 *   + 1), then each agent's (agents.apply with the `offer` event, only while offerable); an
 *   agent who could not be reserved is taken out of the call again (compensation). So no
 *   call is offered twice and no agent holds two offers, whichever nodes race.
 * - the end of one agent's offer (declined, missed, withdrawn): the call's compare-and-set
 *   takes the agent out; `call:offer-ended` goes to the agent's devices; with nobody left
 *   ringing, the call is back in its place in line.
 */
import type { CallView, QueueConfig, UserSummary } from '../../shared/protocol/index.js';
import type { AgentRecord, WrapUpSpec } from '../agents/agent-machine.js';
import type { AgentService } from '../agents/agent-service.js';
import { CallAccess } from '../calls/call-access.js';
import { agentView } from '../calls/call-records.js';
import type { CallService } from '../calls/call-service.js';
import type { Notifier } from '../calls/notifier.js';
import { inQueue, type LiveCall, type LiveOffer, type LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../store/types.js';
import { offerable } from './planner.js';
import { currentOffer, dropOffers, endOffers, isWaiting, offerTo } from './queue-call.js';

export interface OfferDeps {
  storage: Storage;
  live: LiveState;
  calls: CallService;
  agents: AgentService;
  notifier: Notifier;
  log: Logger;
  now: () => number;
}

/** An offer that ends without an answer leaves no wrap-up. */
export const NO_WRAP_UP: WrapUpSpec = { seconds: 0, extendBySec: 1, extensions: 0, dispositions: [], required: false };

type OfferResult = NonNullable<LiveOffer['result']>;

export class Offers {
  readonly access: CallAccess;

  constructor(private readonly d: OfferDeps) {
    // The ring timeout only shapes the final view of calls gone from live state.
    this.access = new CallAccess(d.live, d.storage, 30_000);
  }

  /**
   * Offers the call to the agents (one, or several for ring-all). Returns the agents now
   * ringing, and whether an agent could not be reserved (the line should be looked at again).
   */
  async offer(queue: QueueConfig, call: LiveCall, candidates: AgentRecord[]): Promise<{ ringing: string[]; contended: boolean }> {
    const now = this.d.now();
    const deadline = now + queue.agentRingTimeoutSec * 1000;
    const targets = (
      await Promise.all(
        candidates.map(async (a) => {
          const devices = await this.d.live.devices.list(a.userId);
          if (devices.length === 0 || a.userId === call.caller.id) return null;
          const autoAnswerMs = a.autoAnswer.queue ? a.autoAnswer.delayMs : null;
          return { agent: a.user, deviceIds: devices.map((d) => d.deviceId), autoAnswerMs };
        }),
      )
    ).filter((t): t is { agent: UserSummary; deviceIds: string[]; autoAnswerMs: number | null } => t !== null);
    if (targets.length === 0) return { ringing: [], contended: false };

    const first = await this.access
      .mutate(call.callId, (c) => (inQueue(c) && isWaiting(c) ? offerTo(c, targets, now, deadline) : null))
      .catch(() => undefined);
    if (!first?.changed) return { ringing: [], contended: false };
    const seq = first.call.offerSeq!;

    const reserved = await Promise.all(
      targets.map((t) =>
        this.d.agents
          .apply(t.agent.id, (a) =>
            offerable(a, this.d.now()) ? { type: 'offer', callId: call.callId, queueId: queue.id, deadline } : null,
          )
          .then((a) => a.state === 'reserved' && a.callId === call.callId)
          .catch(() => false),
      ),
    );
    const losers = targets.filter((_, i) => !reserved[i]).map((t) => t.agent.id);
    let offered = first.call;
    if (losers.length > 0) {
      const r = await this.access
        .mutate(call.callId, (c) => (c.offerSeq === seq && c.state === 'ringing' ? dropOffers(c, losers, seq) : null))
        .catch(() => undefined);
      if (r) offered = r.call;
      this.d.log.debug({ callId: call.callId, losers }, 'queue offer: agents taken meanwhile');
    }
    const ringing = targets.map((t) => t.agent.id).filter((id) => !losers.includes(id) && offered.offeredTo?.includes(id));
    if (ringing.length === 0) return { ringing, contended: losers.length > 0 };

    for (const agentId of ringing) {
      const view = agentView(offered, agentId);
      for (const deviceId of currentOffer(offered, agentId)?.deviceIds ?? []) {
        this.d.notifier.toDevice(deviceId, 'call:incoming', { call: view });
      }
      this.emit('ring', view);
    }
    if (queue.strategy === 'round-robin') await this.d.live.lines.setLastOffered(queue.id, ringing[0]!);
    this.d.log.info({ callId: call.callId, queue: queue.id, seq, agents: ringing }, 'queue call offered');
    return { ringing, contended: losers.length > 0 };
  }

  /**
   * The agent's offer of the call ends with `result`. Returns the call after it (unchanged
   * when the agent was not being offered it), and whether it changed.
   */
  async end(callId: string, agentId: string, result: OfferResult): Promise<{ call: LiveCall; changed: boolean } | undefined> {
    const r = await this.access
      .mutate(callId, (c) => (inQueue(c) && currentOffer(c, agentId) ? endOffers(c, [agentId], result) : null))
      .catch(() => undefined);
    if (!r?.changed) return r;
    this.ended(r.call, [agentId], result);
    return r;
  }

  /** Tells the agents their offer of `call` (its latest offer number) is over. */
  ended(call: LiveCall, agentIds: readonly string[], result: OfferResult): void {
    for (const agentId of agentIds) {
      const offer = call.offers?.find((o) => o.agentId === agentId && o.seq === call.offerSeq);
      if (!offer) continue;
      this.d.notifier.toUser(agentId, 'call:offer-ended', { callId: call.callId, seq: offer.seq, result });
      this.emit('ring-stopped', agentView(call, agentId));
    }
    this.d.log.info({ callId: call.callId, agents: agentIds, result }, 'queue offer ended');
  }

  /** Puts an agent still reserved for the call back to what they were doing (the offer was withdrawn). */
  async release(agentId: string, callId: string): Promise<void> {
    await this.d.agents
      .apply(agentId, (a) =>
        a.state === 'reserved' && a.callId === callId
          ? { type: 'call-ended', callId, endReason: 'cancelled', answered: false, wrapUp: NO_WRAP_UP }
          : null,
      )
      .catch((err: unknown) => this.d.log.warn({ err, agentId, callId }, 'releasing an agent failed'));
  }

  /** The push service hears of offers as of any ringing call (calls/call-events.ts). */
  private emit(event: 'ring' | 'ring-stopped', view: CallView): void {
    try {
      this.d.calls.emit(event, view);
    } catch (err) {
      this.d.log.error({ err, event }, 'call event subscriber failed');
    }
  }
}
