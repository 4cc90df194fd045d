/** Sign-in: server address, username, password. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { describeError } from '../../state/errors.js';
import { useDeviceSettings, useServices, useSession } from '../app-context.js';
import { Icon } from '../components/Icon.js';

function normalizeServer(input: string): string {
  const t = input.trim();
  if (!t) return t;
  return /^https?:\/\//i.test(t) ? t : `https://${t}`;
}

export function LoginView() {
  const { api, info } = useServices();
  const session = useSession();
  const settings = useDeviceSettings();
  const [server, setServer] = useState(() => settings.serverUrl || session?.serverUrl || (info.kind === 'web' ? location.origin : ''));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const userRef = useRef<HTMLInputElement>(null);
  const serverRef = useRef<HTMLInputElement>(null);
  const ids = { server: useId(), user: useId(), pass: useId(), err: useId() };

  // The host remembers why a session ended (e.g. it expired): say so.
  const sessionError = session?.error ? describeError(session.error, 'general') : null;

  useEffect(() => {
    // Only on first show: the first empty field gets the focus.
    (server ? userRef : serverRef).current?.focus();
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const serverUrl = normalizeServer(server);
    if (!serverUrl || !username.trim() || !password) {
      setError('Enter the server address, your username and your password.');
      return;
    }
    try {
      new URL(serverUrl);
    } catch {
      setError('The server address is not valid. It looks like https://phone.example.com');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.invoke('session.login', { serverUrl, username: username.trim(), password });
    } catch (err) {
      setError(describeError(err, 'login', { serverUrl }));
      setBusy(false);
    }
  }

  const shownError = error ?? sessionError;
  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-describedby={shownError ? ids.err : undefined} noValidate>
        <div className="login-brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="phone" />
          </span>
          <h1>Sign in to Softphone</h1>
        </div>
        <p className="muted">Use the account your administrator gave you.</p>
        <div className="field">
          <label htmlFor={ids.server}>Server address</label>
          <input
            id={ids.server}
            ref={serverRef}
            type="url"
            inputMode="url"
            autoComplete="url"
            placeholder="https://phone.example.com"
            value={server}
            onChange={(e) => setServer(e.target.value)}
            disabled={busy}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.user}>Username</label>
          <input
            id={ids.user}
            ref={userRef}
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            disabled={busy}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.pass}>Password</label>
          <input
            id={ids.pass}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={busy}
          />
        </div>
        {shownError && (
          <p id={ids.err} className="alert alert-error" role="alert">
            {shownError}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
