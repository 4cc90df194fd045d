import type { CallView } from '../../shared/protocol/index.js';

/**
 * What the call service tells its subscribers (push wakes phones on `ring`
 * and sends cancels on `ring-stopped`; the socket layer already got its
 * messages through the notifier).
 */
export interface CallServiceEvents {
  /** A call starts ringing for its callee. */
  ring: [call: CallView];
  /** A ringing call stopped ringing (answered, declined, cancelled, timed out…). */
  'ring-stopped': [call: CallView];
  /** A call ended; its history records are durable. */
  ended: [call: CallView];
  /** A call was answered. */
  answered: [call: CallView];
}
