/**
 * Settings for agents: auto-answer (changeable here only when a supervisor allows it) and,
 * on the desktop, after how long without input the app tells the server the agent is away.
 */
import { useId, useState } from 'react';
import type { AgentView } from '../../../shared/protocol/index.js';
import { describeError } from '../../state/errors.js';
import { useServices } from '../app-context.js';

const DELAYS_MS = [0, 500, 1000, 2000, 3000];
const AWAY_AFTER_MIN = [0, 5, 10, 15, 30, 60];

/** Desktop only: the device setting for auto-away after idleness. */
export interface AwayAfter {
  minutes: number;
  set(minutes: number): void;
}

export function AgentSettings({ agent, connected, awayAfter }: { agent: AgentView; connected: boolean; awayAfter?: AwayAfter }) {
  const { api } = useServices();
  const ids = { queue: useId(), internal: useId(), delay: useId(), help: useId(), away: useId(), awayHelp: useId() };
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const a = agent.autoAnswer;
  const disabled = !a.agentMayChange || !connected || saving;

  async function save(patch: { queue?: boolean; internal?: boolean; delayMs?: number }) {
    setError(null);
    setSaving(true);
    try {
      await api.invoke('agent.autoAnswer', { autoAnswer: patch });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card" aria-labelledby="settings-agent">
      <h2 id="settings-agent">Agent</h2>
      <div className="check">
        <input id={ids.queue} type="checkbox" checked={a.queue} disabled={disabled} aria-describedby={ids.help} onChange={(e) => void save({ queue: e.target.checked })} />
        <label htmlFor={ids.queue}>Auto-answer queue calls</label>
      </div>
      <div className="check">
        <input id={ids.internal} type="checkbox" checked={a.internal} disabled={disabled} onChange={(e) => void save({ internal: e.target.checked })} />
        <label htmlFor={ids.internal}>Auto-answer direct calls too</label>
      </div>
      <div className="field">
        <label htmlFor={ids.delay}>Answer after</label>
        <select id={ids.delay} value={a.delayMs} disabled={disabled} onChange={(e) => void save({ delayMs: Number(e.target.value) })}>
          {[...new Set([...DELAYS_MS, a.delayMs])]
            .sort((x, y) => x - y)
            .map((ms) => (
              <option key={ms} value={ms}>
                {ms === 0 ? 'At once' : `${ms / 1000} s`}
              </option>
            ))}
        </select>
      </div>
      <p id={ids.help} className="muted small">
        {a.agentMayChange
          ? 'A short beep tells you a caller is on the line.'
          : 'Set by your supervisor. A short beep tells you a caller is on the line.'}
      </p>
      {awayAfter && (
        <div className="field">
          <label htmlFor={ids.away}>Away after no input for</label>
          <select id={ids.away} value={awayAfter.minutes} aria-describedby={ids.awayHelp} onChange={(e) => awayAfter.set(Number(e.target.value))}>
            {[...new Set([...AWAY_AFTER_MIN, awayAfter.minutes])]
              .sort((x, y) => x - y)
              .map((min) => (
                <option key={min} value={min}>
                  {min === 0 ? 'Never' : `${min} min`}
                </option>
              ))}
          </select>
          <p id={ids.awayHelp} className="muted small">
            Locking the screen always sets you away. Only an away set this way is undone when you come back.
          </p>
        </div>
      )}
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
