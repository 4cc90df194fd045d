/**
 * What the call service hands to the queue engine (queues/queue-service.ts): a queue call
 * that is waiting or ringing agents has no callee to decline, claim or time out like a
 * person-to-person call. Answering, cancelling and hanging up stay in the call service
 * (an answer makes the agent the callee, queues/queue-call.ts answerOffer).
 */
import type { CallView } from '../../shared/protocol/index.js';
import type { LiveCall } from '../live/types.js';
import type { DeviceContext } from './call-service.js';

export interface QueueCallHooks {
  /** An offered agent declines (their offer ends `declined`; the call goes back in line). */
  decline(ctx: DeviceContext, call: LiveCall): Promise<CallView>;
  /** A device of an offered agent asks to ring for the offer (reconnect, push wake-up). */
  claim(ctx: DeviceContext, call: LiveCall): Promise<CallView>;
  /** The call's deadline fell due (max-wait, a tier threshold, an offer, a lost caller device). */
  deadline(call: LiveCall): Promise<void>;
  /** Arms the call's one deadline (it changed: a device was lost or came back). */
  armDeadline(call: LiveCall): Promise<void>;
  /** A device of `userId` that the call was ringing went away (already taken out of `call`). */
  ringingDeviceLost(call: LiveCall, userId: string, deviceId: string): Promise<void>;
}
