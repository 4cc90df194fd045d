/**
 * Turns host and server errors into sentences a user understands. Error codes
 * are stable (src/shared/protocol/common.ts); messages from the server are
 * for developers and are only shown when nothing better is known.
 */
import type { ErrorCode } from '../../shared/protocol/index.js';

/** `offer`: answering a queue offer (another agent may have taken it, or the caller left). */
export type ErrorContext = 'login' | 'dial' | 'answer' | 'offer' | 'call' | 'general';

export interface UiError {
  code: ErrorCode | 'unknown';
  message: string;
  details?: Record<string, unknown>;
}

/** Normalises what an `invoke` threw (Error with `code`, ErrorBody, anything). */
export function toUiError(err: unknown): UiError {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof e.code === 'string' ? (e.code as ErrorCode) : 'unknown';
    const message = typeof e.message === 'string' ? e.message : '';
    const details = e.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined;
    return { code, message, details };
  }
  return { code: 'unknown', message: typeof err === 'string' ? err : '' };
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return 'Something went wrong.';
  const capital = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

export interface ErrorWords {
  /** Who the action was about, e.g. the person dialled. */
  peerName?: string;
  serverUrl?: string;
}

export function describeError(err: unknown, context: ErrorContext = 'general', words: ErrorWords = {}): string {
  const e = toUiError(err);
  const who = words.peerName ?? 'They';
  if (e.details?.offline) return 'Not connected to the server. Reconnecting… Try again in a moment.';
  if (e.details?.network) {
    const where = words.serverUrl ? ` at ${words.serverUrl}` : '';
    return `Can't reach the server${where}. Check the address and your network connection.`;
  }
  if (context === 'offer' && (e.code === 'conflict' || e.code === 'gone' || e.code === 'not_found')) {
    return 'The call is no longer yours to answer: another agent took it, or the caller hung up.';
  }
  switch (e.code) {
    case 'unauthorized':
      if (context === 'login') return 'Wrong username or password.';
      return sentence(e.message === 'not signed in' ? 'You are signed out. Please sign in again' : e.message);
    case 'rate_limited':
      return context === 'login'
        ? 'Too many sign-in attempts. Please wait a minute and try again.'
        : 'Too many requests. Please wait a moment and try again.';
    case 'busy':
      return `${who} is busy.`;
    case 'not_found':
      if (context === 'dial') return words.peerName ? `There is no one called “${words.peerName}”.` : 'That person does not exist.';
      return 'That call no longer exists.';
    case 'gone':
      return 'The call has already ended.';
    case 'conflict':
      if (context === 'answer') return 'The call was answered on another device.';
      return sentence(e.message);
    case 'forbidden':
      return 'This call is on another of your devices.';
    case 'bad_request':
      if (/call yourself/i.test(e.message)) return "You can't call yourself.";
      return sentence(e.message);
    case 'internal':
      if (/timed? ?out/i.test(e.message)) return 'The server did not answer in time. Please try again.';
      return sentence(e.message);
    default:
      return sentence(e.message);
  }
}
