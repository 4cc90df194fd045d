/**
 * The words a queue caller reads (the call page, the app): their place in line, the
 * estimated wait, and how a queue call ended, so every surface says the same.
 */
import type { CallInfo } from './contract.js';
import type { QueueWaiting } from './protocol/index.js';

/** "You are number 2 in line" / "You are next in line" / "An agent's phone is ringing". */
export function positionText(w: Pick<QueueWaiting, 'position' | 'stage'>): string {
  if (w.stage === 'offered') return 'An agent is being connected to your call.';
  if (w.position === 1) return 'You are next in line.';
  return `You are number ${w.position} in line.`;
}

/** The estimate in whole minutes (or "less than a minute"); null = no estimate yet. */
export function estimateText(sec: number | null): string | null {
  if (sec === null) return null;
  if (sec < 60) return 'Estimated wait: less than a minute';
  const min = Math.round(sec / 60);
  return `Estimated wait: about ${min} minute${min === 1 ? '' : 's'}`;
}

/**
 * How a queue call ended, for the caller. Null for a call that was answered and then hung up
 * normally (nothing to explain).
 */
export function queueEndMessage(c: Pick<CallInfo, 'endReason' | 'outcome' | 'answeredAt'>): string | null {
  switch (c.endReason) {
    case 'max_wait':
      return 'Sorry, nobody could take your call in time. Please try again later.';
    case 'no_agents':
      return 'Sorry, nobody is available to take calls right now. Please try again later.';
    case 'cancelled':
      return 'You left the line.';
    case 'device_lost':
    case 'server_restart':
    case 'failed':
      return 'The call was lost because of a connection problem. Please call again.';
    case 'busy':
    case 'declined':
    case 'dnd':
    case 'timeout':
      return 'Sorry, your call could not be taken. Please try again later.';
    case 'hangup':
    case null:
      return null;
  }
}
