/** Call history: newest first, missed calls highlighted, call back, mark as seen. */
import { useEffect, useMemo, useState } from 'react';
import type { SessionState } from '../../../shared/contract.js';
import type { HistoryRecord } from '../../../shared/protocol/index.js';
import { describeError } from '../../state/errors.js';
import { formatDuration, formatWhen, historyOutcome, missedCallsLabel } from '../../state/labels.js';
import { historyAgentLine } from '../../state/agent-labels.js';
import { callBackTarget, type CallBackTarget } from '../../state/call-back.js';
import { useServices } from '../app-context.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';
import type { DialTarget } from './ContactsView.js';

export function HistoryView({ session, onDial }: { session: SessionState; onDial: (t: DialTarget) => Promise<string | null> }) {
  const { api } = useServices();
  const [older, setOlder] = useState<HistoryRecord[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const connected = session.connection === 'connected';

  // The session carries the newest page; ask once for the cursor to page further back.
  useEffect(() => {
    if (!connected || cursor !== undefined) return;
    api.invoke('history.more', {}).then(
      (page) => setCursor(page.nextCursor),
      () => undefined,
    );
  }, [api, connected, cursor]);

  const records = useMemo(() => {
    const byId = new Map<string, HistoryRecord>();
    for (const r of [...session.history, ...older]) if (!byId.has(r.id)) byId.set(r.id, r);
    return [...byId.values()].sort((a, b) => b.endedAt - a.endedAt);
  }, [session.history, older]);

  async function loadOlder() {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await api.invoke('history.more', { cursor });
      setOlder((o) => [...o, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  }

  async function markSeen() {
    setError(null);
    try {
      await api.invoke('history.seen', {});
      setOlder((o) => o.map((r) => ({ ...r, seen: true })));
    } catch (err) {
      setError(describeError(err));
    }
  }

  async function callBack(target: CallBackTarget) {
    setError(null);
    const err = await onDial(target);
    if (err) setError(err);
  }

  return (
    <section className="view" aria-labelledby="history-title">
      <header className="view-header">
        <h1 id="history-title" tabIndex={-1}>
          History
        </h1>
        <button type="button" className="btn btn-secondary" onClick={() => void markSeen()} disabled={!connected}>
          Mark all as seen
        </button>
      </header>
      {session.missedCount > 0 && (
        <p className="muted history-summary">
          {`${missedCallsLabel(session.missedCount)} you have not seen yet.`}
        </p>
      )}
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {records.length === 0 ? (
        <p className="muted empty">No calls yet.</p>
      ) : (
        <ul className="history-list" aria-label="Call history">
          {records.map((r) => {
            const outcome = historyOutcome(r);
            const missed = r.missed;
            const unseen = missed && !r.seen;
            const agentLine = historyAgentLine(r);
            const back = callBackTarget(r);
            return (
              <li key={r.id} className={`history-item${missed ? ' missed' : ''}${unseen ? ' unseen' : ''}`}>
                <Avatar name={r.peer.displayName} size="sm" />
                <div className="history-text">
                  <span className="contact-name">{r.peer.displayName}</span>
                  <span className="history-sub">
                    <Icon name={r.direction === 'incoming' ? 'incoming' : 'outgoing'} className="dir-icon" />
                    <span className={missed ? 'outcome outcome-missed' : 'outcome'}>{outcome}</span>
                    {r.outcome === 'completed' && <span className="muted"> · {formatDuration(r.durationSec)}</span>}
                    {unseen && <span className="visually-hidden"> (new)</span>}
                  </span>
                  {agentLine && <span className="history-agent muted small">{agentLine}</span>}
                </div>
                <time className="history-when muted" dateTime={new Date(r.endedAt).toISOString()}>
                  {formatWhen(r.endedAt)}
                </time>
                {back && (
                  <button
                    type="button"
                    className="btn btn-ghost btn-icon-text"
                    aria-label={`Call back ${back.name}`}
                    onClick={() => void callBack(back)}
                  >
                    <Icon name="phone" />
                    <span aria-hidden="true">Call back</span>
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {cursor && (
        <button type="button" className="btn btn-secondary load-more" onClick={() => void loadOlder()} disabled={loading}>
          {loading ? 'Loading…' : 'Show older calls'}
        </button>
      )}
    </section>
  );
}
