/**
 * Rebuilding a call the journal shows unfinished and live state lost (the process died; see
 * CallService.recover). A queue call's journal row keeps the queue party as its callee (the
 * callee changes only in live state), so a queue call is recognised by that party: waiting, it
 * ends with the caller's record naming the queue; answered, the agent who answered is found
 * from the answering device, so both records and the agent's reconnect work as for any call.
 */
import type { LiveCall, LiveState } from '../live/types.js';
import { queueOfParty } from '../queues/queue-call.js';
import type { CallJournalRow, Storage } from '../store/types.js';
import { completeEnding, unrecorded, type EndingDeps } from './call-ending.js';
import { recoveredCall, summary } from './call-records.js';

export interface RecoveryDeps {
  storage: Storage;
  live: LiveState;
  ending: EndingDeps;
  ringTimeoutMs: number;
  now: number;
  lastAliveAt: number | undefined;
  /** Ends a rebuilt call that was not answered (failed, server_restart). */
  fail: (callId: string) => Promise<unknown>;
  /** Arms a rebuilt answered call's deadline (its devices have the grace to come back). */
  restore: (call: LiveCall) => Promise<void>;
}

/**
 * At start (and in the cluster's journal reconciler): calls the journal shows unfinished and
 * live state does not know (the process died). Unanswered ones end as failed; answered ones
 * are restored with both devices marked lost, so they are kept if a device comes back within
 * the grace period and ended otherwise. A call live state knows as ended but not recorded
 * lost its node while ending (calls/call-ending.ts): its records are written now.
 */
export async function recoverCalls(d: RecoveryDeps): Promise<{ failed: number; restored: number }> {
  let failed = 0;
  let restored = 0;
  for (const j of await d.storage.history.unfinishedCalls()) {
    const known = await d.live.calls.get(j.callId);
    if (known && unrecorded(known)) await completeEnding(d.ending, known, 'reconciler');
    if (known) continue;
    const call = await rebuildCall(j, d.storage, { now: d.now, ringTimeoutMs: d.ringTimeoutMs, lastAliveAt: d.lastAliveAt });
    await d.live.calls.insert(call);
    if (call.state === 'ringing') {
      await d.fail(call.callId);
      failed++;
    } else {
      await d.restore(call);
      restored++;
    }
  }
  return { failed, restored };
}

export async function rebuildCall(
  j: CallJournalRow,
  storage: Storage,
  o: { now: number; ringTimeoutMs: number; lastAliveAt: number | undefined },
): Promise<LiveCall> {
  const call = recoveredCall(j, o.now, o.ringTimeoutMs, o.lastAliveAt);
  const queue = queueOfParty(j.callee);
  if (!queue) return call;
  Object.assign(call, {
    queue,
    queuedAt: j.createdAt,
    priority: 0,
    callerKind: j.caller.id.startsWith('guest-') ? 'guest' : 'user',
    maxWaitAt: null,
    offeredTo: [],
    offerSeq: 0,
    offers: [],
  } satisfies Partial<LiveCall>);
  if (j.answeredAt === null || !j.answeredDeviceId) return call;
  const device = await storage.accounts.getDevice(j.answeredDeviceId);
  const agent = device ? await storage.accounts.getUserById(device.userId) : undefined;
  if (agent) call.callee = summary(agent);
  return call;
}
