/** An outgoing call until it is answered: ringing, or why it did not connect. */
import { useEffect, useRef } from 'react';
import type { CallInfo } from '../../../shared/contract.js';
import { outgoingStatus } from '../../state/labels.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';

export function OutgoingCall({ call, onHangup, onClose }: { call: CallInfo; onHangup: () => void; onClose: () => void }) {
  const status = outgoingStatus(call);
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
          {status.detail && <p className="muted">{status.detail}</p>}
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
