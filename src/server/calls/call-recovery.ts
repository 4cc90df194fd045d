/**
 * Rebuilding a call the journal shows unfinished and live state lost (the process died; see
 * CallService.recover). A queue call's journal row keeps the queue party as its callee (the
 * callee changes only in live state), so a queue call is recognised by that party: waiting, it
 * ends with the caller's record naming the queue; answered, the agent who answered is found
 * from the answering device, so both records and the agent's reconnect work as for any call.
 */
import type { LiveCall } from '../live/types.js';
import { queueOfParty } from '../queues/queue-call.js';
import type { CallJournalRow, Storage } from '../store/types.js';
import { recoveredCall, summary } from './call-records.js';

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
