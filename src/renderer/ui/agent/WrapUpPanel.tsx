/**
 * After-call work: the countdown to the server's deadline (display only: the server's timer
 * ends wrap-up), extend, done, the disposition (required ones marked) and notes. Each
 * choice is saved on the server at once, so closing the app loses nothing. Rendered with
 * `key={callId}`, so a new wrap-up starts from what the server holds for its call.
 */
import { useId, useState } from 'react';
import type { WrapUpView } from '../../../shared/protocol/index.js';
import { wrapUpCountdown } from '../../state/agent-labels.js';
import { describeError } from '../../state/errors.js';
import { useServices } from '../app-context.js';
import { useNow } from '../use-now.js';

const NOTES_MAX = 2000;

export function WrapUpPanel({ wrapUp, clockOffsetMs, connected }: { wrapUp: WrapUpView; clockOffsetMs: number; connected: boolean }) {
  const { api } = useServices();
  const now = useNow(clockOffsetMs);
  const titleId = useId();
  const dispositionId = useId();
  const notesId = useId();
  const hintId = useId();
  const [notes, setNotes] = useState(wrapUp.notes);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const callId = wrapUp.callId;

  async function send(what: () => Promise<unknown>) {
    setError(null);
    setBusy(true);
    try {
      await what();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const missing = wrapUp.dispositionRequired && wrapUp.disposition === null;
  const saveNotes = () => {
    if (notes !== wrapUp.notes) void send(() => api.invoke('agent.wrapup', { callId, notes }));
  };
  const done = () => {
    if (missing) {
      setError('Pick a disposition to finish wrap-up.');
      document.getElementById(dispositionId)?.focus();
      return;
    }
    void send(() => api.invoke('agent.wrapup', { callId, notes, done: true }));
  };
  const canAct = connected && !busy;

  return (
    <section className="wrapup card" aria-labelledby={titleId}>
      <header className="wrapup-header">
        <h2 id={titleId}>Wrap-up</h2>
        <span className="wrapup-countdown" data-testid="wrapup-countdown">
          {wrapUpCountdown(wrapUp, now)}
        </span>
      </header>
      {wrapUp.awaitingDisposition && (
        <p className="alert alert-warning" role="alert">
          Disposition required: wrap-up lasts until you pick one.
        </p>
      )}
      <div className="field">
        <label htmlFor={dispositionId}>
          Disposition
          {wrapUp.dispositionRequired && <span className="required"> (required)</span>}
        </label>
        <select
          id={dispositionId}
          value={wrapUp.disposition ?? ''}
          aria-required={wrapUp.dispositionRequired}
          aria-invalid={wrapUp.awaitingDisposition || undefined}
          disabled={!canAct}
          onChange={(e) => {
            const disposition = e.target.value || null;
            void send(() => api.invoke('agent.wrapup', { callId, disposition }));
          }}
        >
          <option value="">{wrapUp.dispositionRequired ? 'Choose…' : 'None'}</option>
          {wrapUp.dispositions.map((d) => (
            <option key={d.code} value={d.code}>
              {d.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={notesId}>Notes</label>
        <textarea
          id={notesId}
          value={notes}
          maxLength={NOTES_MAX}
          rows={3}
          aria-describedby={hintId}
          onChange={(e) => setNotes(e.target.value)}
          onBlur={saveNotes}
        />
        <span id={hintId} className="muted small">
          Saved with the call when you leave the field or finish. {notes.length}/{NOTES_MAX}
        </span>
      </div>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="wrapup-actions">
        <button
          type="button"
          className="btn btn-secondary"
          disabled={!canAct || wrapUp.extensionsLeft === 0 || wrapUp.deadline === null}
          onClick={() => void send(() => api.invoke('agent.extend', { callId }))}
        >
          {`Extend +${wrapUp.extendBySec} s`}
          <span className="visually-hidden">{` (${wrapUp.extensionsLeft} left)`}</span>
        </button>
        <button type="button" className="btn btn-primary" disabled={!canAct} onClick={done}>
          Done
        </button>
      </div>
    </section>
  );
}
