/** Contacts: the directory (people with live presence, and queues), search, and dialling by name. */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { normalizeUsername, type SessionState } from '../../../shared/contract.js';
import type { DirectoryEntry, DirectoryQueue, PresenceStatus } from '../../../shared/protocol/index.js';
import { describeError } from '../../state/errors.js';
import { PRESENCE_LABELS } from '../../state/labels.js';
import { useServices } from '../app-context.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';
import { QueueList } from './QueueList.js';

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{1,31}$/;
const SEARCH_DEBOUNCE_MS = 200;

export interface DialTarget {
  target: { userId: string } | { username: string } | { queue: string };
  name: string;
}

export function ContactsView({
  session,
  onDial,
  prefill = null,
  onPrefillTaken,
}: {
  session: SessionState;
  onDial: (t: DialTarget) => Promise<string | null>;
  /** Filled in by a tel:/softphone: link: put in the dial field, never dialled without a click. */
  prefill?: { text: string; seq: number } | null;
  onPrefillTaken?: () => void;
}) {
  const { api } = useServices();
  const [query, setQuery] = useState('');
  const [entries, setEntries] = useState<DirectoryEntry[] | null>(null);
  const [queues, setQueues] = useState<DirectoryQueue[]>([]);
  const [presence, setPresence] = useState<Record<string, PresenceStatus>>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [dialText, setDialText] = useState('');
  const [dialError, setDialError] = useState<string | null>(null);
  const [dialing, setDialing] = useState(false);
  const connected = session.connection === 'connected';
  const me = session.user?.id;
  const ids = { search: useId(), dial: useId(), dialErr: useId() };
  const searchSeq = useRef(0);
  const dialInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!prefill) return;
    setDialText(prefill.text);
    setDialError(null);
    dialInput.current?.focus();
    onPrefillTaken?.();
  }, [prefill, onPrefillTaken]);

  // Directory search (debounced); re-run when the connection comes back.
  useEffect(() => {
    if (!connected) return;
    const seq = ++searchSeq.current;
    const timer = setTimeout(() => {
      api.invoke('directory.search', { query: query.trim() }).then(
        ({ users, queues: found }) => {
          if (seq !== searchSeq.current) return;
          setEntries(users.filter((u) => u.id !== me));
          setQueues(found);
          setPresence((p) => ({ ...p, ...Object.fromEntries(users.map((u) => [u.id, u.presence])) }));
          setLoadError(null);
        },
        (err: unknown) => seq === searchSeq.current && setLoadError(describeError(err)),
      );
    }, query ? SEARCH_DEBOUNCE_MS : 0);
    return () => clearTimeout(timer);
  }, [api, query, connected, me]);

  // Live presence for the people shown.
  const shownIds = useMemo(() => (entries ?? []).map((e) => e.id).join(','), [entries]);
  useEffect(() => {
    if (!connected || !shownIds) return;
    api.invoke('presence.watch', { userIds: shownIds.split(',') }).then(
      ({ presence: p }) => setPresence((old) => ({ ...old, ...p })),
      () => undefined,
    );
  }, [api, shownIds, connected]);
  useEffect(() => api.on('presence', ({ userId, presence: p }) => setPresence((old) => ({ ...old, [userId]: p }))), [api]);

  async function dialByName(e: FormEvent) {
    e.preventDefault();
    const text = dialText.trim();
    if (!text) {
      setDialError('Type the name or username of the person to call.');
      return;
    }
    setDialing(true);
    setDialError(null);
    try {
      const lower = text.toLowerCase();
      const username = normalizeUsername(text);
      let target: DialTarget | null = null;
      if (USERNAME_RE.test(username)) {
        target = { target: { username }, name: text };
      } else {
        // A display name: find exactly one person with it.
        const { users } = await api.invoke('directory.search', { query: text.slice(0, 80) });
        const exact = users.filter((u) => u.displayName.toLowerCase() === lower && u.id !== me);
        const pick = exact.length === 1 ? exact[0] : users.length === 1 && users[0]!.id !== me ? users[0] : undefined;
        if (pick) target = { target: { userId: pick.id }, name: pick.displayName };
        else if (users.length > 1) setDialError(`More than one person matches “${text}”. Pick one from the list.`);
        else setDialError(`There is no one called “${text}”.`);
      }
      if (target) {
        const err = await onDial(target);
        if (err) setDialError(err);
        else setDialText('');
      }
    } catch (err) {
      setDialError(describeError(err, 'dial', { peerName: text }));
    } finally {
      setDialing(false);
    }
  }

  return (
    <section className="view" aria-labelledby="contacts-title">
      <header className="view-header">
        <h1 id="contacts-title" tabIndex={-1}>
          Contacts
        </h1>
      </header>
      <div className="toolbar">
        <div className="search">
          <Icon name="search" />
          <label htmlFor={ids.search} className="visually-hidden">
            Search contacts
          </label>
          <input
            id={ids.search}
            type="search"
            placeholder="Search contacts"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            autoComplete="off"
          />
        </div>
        <form className="dial-form" onSubmit={(e) => void dialByName(e)} noValidate>
          <label htmlFor={ids.dial} className="visually-hidden">
            Dial by name
          </label>
          <input
            ref={dialInput}
            id={ids.dial}
            type="text"
            placeholder="Dial by name"
            value={dialText}
            onChange={(e) => setDialText(e.target.value)}
            aria-describedby={dialError ? ids.dialErr : undefined}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" className="btn btn-call" disabled={dialing}>
            <Icon name="phone" />
            Dial
          </button>
        </form>
      </div>
      {dialError && (
        <p id={ids.dialErr} className="alert alert-error" role="alert">
          {dialError}
        </p>
      )}
      {!connected && <p className="alert alert-info">Not connected to the server. Reconnecting…</p>}
      {loadError && (
        <p className="alert alert-error" role="alert">
          {loadError}
        </p>
      )}
      {connected && (
        <QueueList
          queues={queues}
          onCall={(q) => {
            setDialError(null);
            void onDial({ target: { queue: q.id }, name: q.name }).then((err) => err && setDialError(err));
          }}
        />
      )}
      {entries === null ? (
        <p className="muted empty">{connected ? 'Loading contacts…' : ''}</p>
      ) : entries.length === 0 ? (
        <p className="muted empty">{query ? `No one matches “${query}”.` : 'No contacts yet.'}</p>
      ) : (
        <ul className="contact-list" aria-label="Contacts">
          {entries.map((u) => {
            const p = presence[u.id] ?? u.presence;
            return (
              <li key={u.id} className="contact">
                <Avatar name={u.displayName} presence={p} />
                <div className="contact-text">
                  <span className="contact-name">{u.displayName}</span>
                  <span className="contact-sub">
                    <span className={`presence-text presence-${p}`}>{PRESENCE_LABELS[p]}</span>
                    <span className="muted"> · @{u.username}</span>
                  </span>
                </div>
                <button
                  type="button"
                  className="btn btn-call-soft btn-icon-text"
                  aria-label={`Call ${u.displayName}`}
                  onClick={() => {
                    setDialError(null);
                    void onDial({ target: { userId: u.id }, name: u.displayName }).then((err) => err && setDialError(err));
                  }}
                >
                  <Icon name="phone" />
                  <span aria-hidden="true">Call</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
