/** The call in progress: state, timer, mute, hold, keypad, devices and live quality. */
import { useEffect, useId, useRef, useState } from 'react';
import type { CallInfo } from '../../../shared/contract.js';
import type { MediaStatus } from '../../media/call-media.js';
import { formatDuration } from '../../state/labels.js';
import { useDeviceSettings, useServices } from '../app-context.js';
import { Avatar } from '../components/Avatar.js';
import { DeviceSelect, useAudioDevices } from '../components/DeviceSelect.js';
import { Icon } from '../components/Icon.js';
import { Keypad } from './Keypad.js';
import { useNow } from '../use-now.js';

function useElapsed(since: number | null, running: boolean): number {
  const now = useNow(0, running);
  return since ? Math.max(0, Math.floor((now - since) / 1000)) : 0;
}

function statusLine(call: CallInfo, media: MediaStatus | undefined): string {
  if (call.local === 'ended') return 'Call ended';
  if (call.held) return 'On hold';
  if (call.remoteHeld) return `${call.peer.displayName} put the call on hold`;
  switch (media?.phase) {
    case 'connected':
      return 'Connected';
    case 'reconnecting':
      return 'Reconnecting…';
    default:
      return 'Connecting audio…';
  }
}

/** Why the server ended a call, when it was not simply hung up. */
function serverEndReason(call: CallInfo): string | null {
  switch (call.endReason) {
    case 'device_lost':
      return 'The connection to the other side was lost.';
    case 'server_restart':
      return 'The call was interrupted because the server restarted.';
    case 'failed':
      return 'The call failed.';
    default:
      return null;
  }
}

const fmt = (v: number | null | undefined, unit: string, digits = 0) => (v === null || v === undefined ? '–' : `${v.toFixed(digits)} ${unit}`);

export function CallScreen({
  call,
  media,
  onHangup,
  onHold,
  onClose,
  others,
  onSwitch,
}: {
  call: CallInfo;
  media: MediaStatus | undefined;
  onHangup: () => void;
  onHold: (held: boolean) => void;
  onClose: () => void;
  /** Other calls active on this device (call waiting), shown so the user can switch. */
  others: CallInfo[];
  onSwitch: (call: CallInfo) => void;
}) {
  const services = useServices();
  const settings = useDeviceSettings();
  const devices = useAudioDevices();
  const [keypadOpen, setKeypadOpen] = useState(false);
  const [dtmfError, setDtmfError] = useState<string | null>(null);
  const keypadId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const ended = call.local === 'ended';
  const elapsed = useElapsed(call.answeredAt, !ended);
  const muted = media?.muted ?? false;

  useEffect(() => heading.current?.focus(), [call.callId]);

  function sendDigit(d: string) {
    setDtmfError(null);
    services.media?.sendDtmf(call.callId, d).catch(() => setDtmfError('The digit could not be sent.'));
  }

  const q = media?.quality;
  const endReason = media?.endReason ?? (ended ? serverEndReason(call) : null);

  return (
    <section className="call-pane" aria-label={`Call with ${call.peer.displayName}`} data-call-state={call.local}>
      <div className="call-stage">
        {others.length > 0 && (
          <ul className="other-calls" aria-label="Other calls">
            {others.map((o) => (
              <li key={o.callId}>
                <span>
                  {o.peer.displayName} · <span className="muted">{o.held ? 'on hold' : 'in call'}</span>
                </span>
                <button type="button" className="btn btn-secondary btn-small" onClick={() => onSwitch(o)}>
                  Switch to {o.peer.displayName}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="call-hero">
          <Avatar name={call.peer.displayName} size="lg" />
          <h1 ref={heading} tabIndex={-1} className="call-peer">
            {call.peer.displayName}
          </h1>
          <p className={`call-status${ended ? ' call-status-ended' : ''}`}>{statusLine(call, media)}</p>
          <div role="timer" className="call-timer">
            {formatDuration(elapsed)}
          </div>
          {ended && endReason && (
            <p className="alert alert-error" role="alert">
              {endReason}
            </p>
          )}
          {!ended && media?.micError && (
            <p className="alert alert-warning" role="alert">
              {media.micError}
            </p>
          )}
        </div>

        {ended ? (
          <div className="call-controls">
            <button type="button" className="btn btn-secondary" onClick={onClose}>
              Close
            </button>
          </div>
        ) : (
          <>
            <div className="call-controls">
              <button
                type="button"
                className="btn btn-round"
                aria-pressed={muted}
                onClick={() => services.media?.setMuted(call.callId, !muted)}
              >
                <Icon name={muted ? 'micOff' : 'mic'} />
                <span>Mute</span>
              </button>
              <button type="button" className="btn btn-round" aria-pressed={call.held} onClick={() => onHold(!call.held)}>
                <Icon name="pause" />
                <span>Hold</span>
              </button>
              <button
                type="button"
                className="btn btn-round"
                aria-expanded={keypadOpen}
                aria-controls={keypadOpen ? keypadId : undefined}
                onClick={() => setKeypadOpen((o) => !o)}
              >
                <Icon name="keypad" />
                <span>Keypad</span>
              </button>
              <button type="button" className="btn btn-hangup btn-round-lg" onClick={onHangup}>
                <Icon name="hangup" />
                <span>Hang up</span>
              </button>
            </div>
            {keypadOpen && <Keypad id={keypadId} onDigit={sendDigit} disabled={call.held || call.remoteHeld} />}
            {dtmfError && (
              <p className="alert alert-error" role="alert">
                {dtmfError}
              </p>
            )}
          </>
        )}
      </div>

      <div className="call-details">
        <p className="digits">
          <span className="muted">Digits received: </span>
          <span data-testid="received-digits" className="mono">
            {call.receivedDigits}
          </span>
        </p>
        {!ended && (
          <div className="call-devices">
            <DeviceSelect
              label="Microphone"
              kind="input"
              value={settings.inputDeviceId}
              devices={devices}
              onChange={(v) => void services.settings.update({ inputDeviceId: v })}
            />
            <DeviceSelect
              label="Speaker"
              kind="output"
              value={settings.outputDeviceId}
              devices={devices}
              onChange={(v) => void services.settings.update({ outputDeviceId: v })}
            />
          </div>
        )}
        <section className="quality" aria-label="Call quality">
          <h2 className="quality-title">
            <Icon name="signal" /> Call quality
          </h2>
          <dl>
            <div>
              <dt>Round trip (RTT)</dt>
              <dd data-testid="quality-rtt">{fmt(q?.rttMs, 'ms')}</dd>
            </div>
            <div>
              <dt>Jitter</dt>
              <dd data-testid="quality-jitter">{fmt(q?.jitterMs, 'ms', 1)}</dd>
            </div>
            <div>
              <dt>Packet loss</dt>
              <dd data-testid="quality-loss">{fmt(q?.lossPct, '%', 1)}</dd>
            </div>
          </dl>
        </section>
      </div>
    </section>
  );
}
