/** Words and formats shared by the views. */
import type { CallInfo, ConnectionState } from '../../shared/contract.js';
import type { DirectoryQueue, HistoryRecord, PresenceStatus, SetStatus } from '../../shared/protocol/index.js';

export const STATUS_LABELS: Record<SetStatus, string> = {
  available: 'Available',
  busy: 'Busy',
  dnd: 'Do not disturb',
  away: 'Away',
};

export const PRESENCE_LABELS: Record<PresenceStatus, string> = { ...STATUS_LABELS, offline: 'Offline' };

export const CONNECTION_LABELS: Record<ConnectionState, string> = {
  offline: 'Offline',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
};

/** "1 missed call", "3 missed calls": the count in words that read naturally. */
export function missedCallsLabel(count: number): string {
  return count === 1 ? '1 missed call' : `${count} missed calls`;
}

export { formatDuration } from '../../shared/call-words.js';

/** A queue in the directory: "2 of 3 agents ready · 1 waiting", "No agents logged in". */
export function queueAvailability(q: Pick<DirectoryQueue, 'agentsLoggedIn' | 'agentsReady' | 'waiting'>): string {
  const agents =
    q.agentsLoggedIn === 0 ? 'No agents logged in' : `${q.agentsReady} of ${q.agentsLoggedIn} ${q.agentsLoggedIn === 1 ? 'agent' : 'agents'} ready`;
  return q.waiting > 0 ? `${agents} · ${q.waiting} waiting` : agents;
}

/** What the caller sees for an outgoing call that is ringing or ended without an answer. */
export function outgoingStatus(call: CallInfo): { label: string; detail?: string } {
  if (call.local === 'ringing-out') {
    if (call.ringingDevices === null) return { label: 'Calling…' };
    if (call.ringingDevices === 0) return { label: 'Ringing…', detail: `${call.peer.displayName} is not online right now. Trying to reach them…` };
    return { label: 'Ringing…' };
  }
  // Queue calls (the words of why: shared/queue-labels.ts, through OutgoingCall's queueCallStatus).
  if (call.endReason === 'no_agents') return { label: 'No one available' };
  if (call.endReason === 'max_wait') return { label: 'No answer' };
  switch (call.outcome) {
    case 'busy':
      return call.endReason === 'dnd'
        ? { label: 'Busy', detail: `${call.peer.displayName} does not want to be disturbed.` }
        : { label: 'Busy', detail: `${call.peer.displayName} is busy.` };
    case 'missed':
      return { label: 'No answer', detail: `${call.peer.displayName} did not answer.` };
    case 'declined':
      return { label: 'Declined', detail: `${call.peer.displayName} declined the call.` };
    case 'cancelled':
      return { label: 'Cancelled' };
    case 'failed':
      return { label: 'Call failed', detail: failedDetail(call) };
    case 'completed':
      return { label: 'Call ended' };
    default:
      return { label: 'Call ended' };
  }
}

/** Why a call failed before it was answered, as far as this device knows. */
function failedDetail(call: CallInfo): string {
  switch (call.endReason) {
    case 'server_restart':
      return 'The call was interrupted because the server restarted.';
    case 'device_lost':
      // This device's connection or the other side's: either way the call could not go on.
      return 'The connection was lost before the call could be connected.';
    default:
      return 'The call could not be connected.';
  }
}

/**
 * What the callee is told when a call that rang here failed (the server or a
 * connection went away): the incoming dialog just vanishing would leave them
 * wondering. Missed, cancelled and answered-elsewhere calls need no notice.
 */
export function ringingFailedNotice(call: CallInfo): string | null {
  if (call.local !== 'ended' || call.outcome !== 'failed') return null;
  const name = call.peer.displayName;
  return call.endReason === 'server_restart'
    ? `The call from ${name} was interrupted because the server restarted.`
    : `The call from ${name} was cut off before you could answer: the connection was lost.`;
}

/** Outcome words in the history list. */
export function historyOutcome(r: HistoryRecord): string {
  if (r.missed) return 'Missed';
  switch (r.outcome) {
    case 'completed':
      return r.direction === 'outgoing' ? 'Outgoing' : 'Incoming';
    case 'declined':
      return 'Declined';
    case 'busy':
      return r.direction === 'outgoing' ? 'Busy' : 'Missed (busy)';
    case 'cancelled':
      return r.direction === 'outgoing' ? 'Cancelled' : 'Missed';
    case 'missed':
      return r.direction === 'outgoing' ? 'No answer' : 'Missed';
    case 'failed':
      return 'Failed';
  }
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function formatWhen(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const today = new Date(now);
  const sameDay = d.toDateString() === today.toDateString();
  const yesterday = new Date(now - 86_400_000).toDateString() === d.toDateString();
  const time = timeFormat.format(d);
  if (sameDay) return `Today ${time}`;
  if (yesterday) return `Yesterday ${time}`;
  return `${dayFormat.format(d)} ${time}`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0]![0]! + parts[parts.length - 1]![0]! : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}
