/**
 * An outgoing call until it is answered: ringing, or why it did not connect. A call to a
 * queue waits in line instead of ringing: its place and estimate (`queue:waiting`) are shown
 * and spoken as they change, and its end says why in the queue's words.
 */
import { useEffect, useRef } from 'react';
import type { CallInfo } from '../../../shared/contract.js';
import { estimateText, positionText, queueEndMessage } from '../../../shared/queue-labels.js';
import { outgoingStatus } from '../../state/labels.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';

/** The status line of a queue call: in line (place, estimate) or why it ended. */
export function queueCallStatus(call: CallInfo): { label: string; detail?: string } {
  if (call.local === 'ringing-out') {
    const w = call.queueWaiting ?? null;
    if (!w) return { label: 'Joining the line…' };
    const estimate = estimateText(w.estimatedWaitSec);
    return {
      label: w.stage === 'offered' ? 'Connecting you to an agent…' : 'Waiting in line…',
      detail: estimate ? `${positionText(w)} ${estimate}.` : positionText(w),
    };
  }
  const status = outgoingStatus(call);
  const why = call.endReason === 'cancelled' ? null : queueEndMessage(call);
  return why ? { label: status.label, detail: why } : status;
}

export function OutgoingCall({ call, onHangup, onClose }: { call: CallInfo; onHangup: () => void; onClose: () => void }) {
  const status = call.queue ? queueCallStatus(call) : outgoingStatus(call);
  const ringing = call.local === 'ringing-out';
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="call-pane call-pane-simple" aria-label="Outgoing call" data-call-state={call.local}>
      <div className="call-stage">
        <div className="call-hero">
          <Avatar name={call.peer.displayName} size="lg" />
          <h1 ref={heading} tabIndex={-1} className="call-peer">
            {call.peer.displayName}
          </h1>
          <p className={`call-status${ringing ? ' pulsing' : ' call-status-ended'}`}>{status.label}</p>
          {status.detail && (
            <p className="muted" data-testid="outgoing-detail" aria-live={call.queue ? 'polite' : undefined}>
              {status.detail}
            </p>
          )}
        </div>
        <div className="call-controls">
          {ringing ? (
            <button type="button" className="btn btn-hangup btn-round-lg" onClick={onHangup}>
              <Icon name="hangup" />
              <span>Hang up</span>
            </button>
          ) : (
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Close
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
