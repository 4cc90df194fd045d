/** Settings: audio devices, call waiting, start at login (desktop), auto-answer (agents), sign out. */
import { useId, useState } from 'react';
import type { DeviceSettings, SessionState } from '../../../shared/contract.js';
import { describeError } from '../../state/errors.js';
import { useDeviceSettings, useServices } from '../app-context.js';
import { DeviceSelect, useAudioDevices } from '../components/DeviceSelect.js';
import { AgentSettings } from '../agent/AgentSettings.js';

export function SettingsView({ session }: { session: SessionState }) {
  const { api, info, settings } = useServices();
  const current = useDeviceSettings();
  const devices = useAudioDevices();
  const [error, setError] = useState<string | null>(null);
  const [savingWaiting, setSavingWaiting] = useState(false);
  const ids = { waiting: useId(), login: useId(), waitingHelp: useId() };

  async function save(patch: Partial<DeviceSettings>) {
    setError(null);
    try {
      await settings.update(patch);
    } catch (err) {
      setError(describeError(err));
    }
  }

  async function setCallWaiting(callWaiting: boolean) {
    setError(null);
    setSavingWaiting(true);
    try {
      await api.invoke('account.set', { callWaiting });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSavingWaiting(false);
    }
  }

  async function signOut() {
    try {
      await api.invoke('session.logout', {});
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view-header">
        <h1 id="settings-title" tabIndex={-1}>
          Settings
        </h1>
      </header>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="settings-grid">
        <section className="card" aria-labelledby="settings-audio">
          <h2 id="settings-audio">Audio</h2>
          <DeviceSelect label="Microphone" kind="input" value={current.inputDeviceId} devices={devices} onChange={(v) => void save({ inputDeviceId: v })} />
          <DeviceSelect label="Speaker" kind="output" value={current.outputDeviceId} devices={devices} onChange={(v) => void save({ outputDeviceId: v })} />
          <DeviceSelect
            label="Ringtone device"
            kind="output"
            value={current.ringtoneDeviceId}
            devices={devices}
            onChange={(v) => void save({ ringtoneDeviceId: v })}
          />
        </section>
        <section className="card" aria-labelledby="settings-calls">
          <h2 id="settings-calls">Calls</h2>
          <div className="check">
            <input
              id={ids.waiting}
              type="checkbox"
              checked={session.account.callWaiting}
              disabled={savingWaiting || session.connection !== 'connected'}
              onChange={(e) => void setCallWaiting(e.target.checked)}
              aria-describedby={ids.waitingHelp}
            />
            <label htmlFor={ids.waiting}>Call waiting</label>
          </div>
          <p id={ids.waitingHelp} className="muted small">
            Let a second call ring while you are on a call, instead of callers hearing busy.
          </p>
          {info.kind === 'desktop' && (
            <div className="check">
              <input id={ids.login} type="checkbox" checked={current.startAtLogin} onChange={(e) => void save({ startAtLogin: e.target.checked })} />
              <label htmlFor={ids.login}>Start at login</label>
            </div>
          )}
        </section>
        {session.agent && (
          <AgentSettings
            agent={session.agent}
            connected={session.connection === 'connected'}
            awayAfter={info.kind === 'desktop' ? { minutes: current.autoAwayIdleMin, set: (m) => void save({ autoAwayIdleMin: m }) } : undefined}
          />
        )}
        <section className="card" aria-labelledby="settings-account">
          <h2 id="settings-account">Account</h2>
          <dl className="facts">
            <dt>Signed in as</dt>
            <dd>
              {session.user?.displayName} <span className="muted">(@{session.user?.username})</span>
            </dd>
            <dt>Server</dt>
            <dd>{session.serverUrl}</dd>
            <dt>Version</dt>
            <dd>
              {info.appVersion} · {info.kind === 'desktop' ? 'Desktop app' : 'Web'}
            </dd>
          </dl>
          <button type="button" className="btn btn-danger-outline" onClick={() => void signOut()}>
            Sign out
          </button>
        </section>
      </div>
    </section>
  );
}
