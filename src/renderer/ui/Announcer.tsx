/**
 * Speaks call state changes to screen readers (an aria-live region): calling,
 * ringing, answered, on hold, ended — without moving the focus.
 */
import { useEffect, useRef, useState } from 'react';
import type { CallInfo, SessionState } from '../../shared/contract.js';
import { queueCallDetail } from '../../shared/call-words.js';
import { outgoingStatus } from '../state/labels.js';

/** What is said about a call that changed (exported for tests). */
export function callAnnouncement(c: CallInfo, previous: CallInfo | undefined): string | null {
  const name = c.peer.displayName;
  if (!previous) {
    if (c.local === 'ringing-in') {
      const queue = queueCallDetail(c);
      return queue ? `Incoming call from ${name}: ${queue}` : `Incoming call from ${name}`;
    }
    if (c.local === 'ringing-out') return `Calling ${name}`;
    if (c.local === 'active') return `In call with ${name}`;
    return null;
  }
  if (previous.local !== c.local) {
    if (c.local === 'active') return `Connected with ${name}`;
    if (c.local === 'ended') {
      if (previous.local === 'ringing-out') return `${outgoingStatus(c).label}: ${name}`;
      if (previous.local === 'ringing-in') return c.outcome === 'missed' ? `Missed call from ${name}` : null;
      return `Call with ${name} ended`;
    }
    if (c.local === 'elsewhere' && previous.local === 'ringing-in') return 'Answered on another device';
  }
  if (previous.ringingDevices !== c.ringingDevices && c.local === 'ringing-out' && c.ringingDevices) return `Ringing ${name}`;
  if (previous.held !== c.held) return c.held ? `${name} is on hold` : `Resumed call with ${name}`;
  if (previous.remoteHeld !== c.remoteHeld) return c.remoteHeld ? `${name} put the call on hold` : `${name} resumed the call`;
  return null;
}

export function Announcer({ session }: { session: SessionState | null }) {
  const previous = useRef(new Map<string, CallInfo>());
  const [message, setMessage] = useState('');
  useEffect(() => {
    const calls = session?.calls ?? [];
    const lines: string[] = [];
    for (const c of calls) {
      const line = callAnnouncement(c, previous.current.get(c.callId));
      if (line) lines.push(line);
    }
    previous.current = new Map(calls.map((c) => [c.callId, c]));
    if (lines.length) setMessage(lines.join('. '));
  }, [session?.calls]);
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {message}
    </div>
  );
}
