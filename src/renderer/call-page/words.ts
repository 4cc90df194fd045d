/** What the call page says when a step before the call fails (token, microphone, connection). */
import { ProtocolError } from '../../shared/protocol/index.js';

export function startErrorText(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'The call needs your microphone. Allow it for this page in your browser, then try again.';
  }
  if (name === 'NotFoundError') return 'No microphone was found. Connect one, then try again.';
  if (name === 'NotReadableError') return 'Your microphone is in use by another application. Close it, then try again.';
  if (err instanceof ProtocolError) {
    if (err.details?.network) return 'The support line cannot be reached. Check your internet connection, then try again.';
    switch (err.code) {
      case 'rate_limited':
        return 'Too many calls were started from your network just now. Please wait a minute, then try again.';
      case 'not_found':
      case 'forbidden':
        return 'This line does not take calls from the web right now.';
      case 'unauthorized':
        return 'Your call could not be started. Please reload the page and try again.';
      case 'busy':
      case 'conflict':
        return 'Your call could not be placed. Please try again.';
      default:
        break;
    }
  }
  return 'Something went wrong while starting your call. Please try again.';
}

/** "4:07", "1:02:03". */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
