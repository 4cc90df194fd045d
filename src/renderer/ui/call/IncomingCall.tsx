/**
 * A call ringing on this device: answer or decline. A queue offer says which queue, "via web"
 * for a guest from the public page, and how long the caller has waited (ticking while it rings).
 */
import { useEffect, useId, useRef } from 'react';
import { queueCallDetail } from '../../../shared/call-words.js';
import type { CallInfo } from '../../../shared/contract.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';
import { useNow } from '../use-now.js';

export function IncomingCall({
  call,
  otherCall,
  onAnswer,
  onDecline,
  busy,
  compact = false,
  clockOffsetMs = 0,
}: {
  call: CallInfo;
  /** A call already in progress here (call waiting): answering puts it on hold. */
  otherCall?: CallInfo;
  onAnswer: () => void;
  onDecline: () => void;
  busy?: boolean;
  compact?: boolean;
  /** Server clock − this device's (the agent's): a queue caller's wait counts on the server's clock. */
  clockOffsetMs?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const descId = useId();
  const now = useNow(clockOffsetMs, call.queuedAt != null);
  const queueDetail = queueCallDetail(call, now);
  // Draw attention without pressing anything: focus the dialog, not its buttons, and never
  // pull the focus out of a field the user is typing in (the aria-live region announces the call).
  useEffect(() => {
    const active = document.activeElement;
    const typing =
      active instanceof HTMLTextAreaElement ||
      (active instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(active.type));
    if (!typing) ref.current?.focus();
  }, [call.callId]);
  return (
    <div
      ref={ref}
      role="dialog"
      aria-modal="false"
      aria-label="Incoming call"
      aria-describedby={descId}
      tabIndex={-1}
      className={compact ? 'incoming incoming-compact' : 'incoming'}
    >
      <div className="incoming-who">
        <Avatar name={call.peer.displayName} size={compact ? 'md' : 'lg'} />
        <div>
          <p className="incoming-label">Incoming call</p>
          <p className="incoming-name">{call.peer.displayName}</p>
          <p id={descId} className="muted small">
            {queueDetail ?? `${call.peer.displayName} is calling you`}
            {otherCall ? `. Answering puts ${otherCall.peer.displayName} on hold.` : '.'}
            {call.autoAnswerMs != null && ' It is answered for you in a moment.'}
          </p>
        </div>
      </div>
      <div className="incoming-actions">
        <button type="button" className="btn btn-hangup" onClick={onDecline} disabled={busy}>
          <Icon name="hangup" />
          Decline
        </button>
        <button type="button" className="btn btn-answer" onClick={onAnswer} disabled={busy}>
          <Icon name="phone" />
          Answer
        </button>
      </div>
    </div>
  );
}
