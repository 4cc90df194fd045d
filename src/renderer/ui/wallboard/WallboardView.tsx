/**
 * The supervisor's wallboard page (docs/support-line.md "Read the wallboard"): per queue the
 * line, the members by state and today's figures; per agent the state, the time in it, the
 * calls handled today, and two actions (force not-ready with a reason, log out of the
 * queues). Every figure is the server's; only the waits and times in state tick here, on the
 * server's clock. The page subscribes while it is shown.
 */
import { useId, useState } from 'react';
import type { WallboardFeedState } from '../../../shared/contract.js';
import type { AgentStats, AgentStatus, QueueStats, Reason } from '../../../shared/protocol/index.js';
import { agentStateLabel } from '../../state/agent-labels.js';
import {
  agentCounts,
  dayLabel,
  timeInStateLabel,
  describeSupervisorError,
  forcibleReasons,
  longestWaitLabel,
  percentLabel,
  secondsLabel,
  supervisorActions,
} from '../../state/wallboard-labels.js';
import { useServices } from '../app-context.js';
import { useNow } from '../use-now.js';
import { useWallboardWatch } from './use-wallboard.js';

export interface AgentActions {
  setAgent(userId: string, status: AgentStatus): Promise<unknown>;
  logOut(userId: string): Promise<unknown>;
}

/** The page: subscribes while shown and wires the actions to the host. */
export function WallboardView({ feed }: { feed: WallboardFeedState | null }) {
  const { api } = useServices();
  useWallboardWatch(api);
  const actions: AgentActions = {
    setAgent: (userId, status) => api.invoke('supervisor.setAgent', { userId, status }),
    logOut: (userId) => api.invoke('supervisor.logout', { userId }),
  };
  return <Wallboard feed={feed} actions={actions} />;
}

/** The page's content, from the feed alone (tests render it without a host). */
export function Wallboard({ feed, actions }: { feed: WallboardFeedState | null; actions: AgentActions }) {
  const now = useNow(feed?.clockOffsetMs ?? 0);
  const wb = feed?.wallboard ?? null;
  return (
    <section className="view view-wide" aria-labelledby="wallboard-title">
      <header className="view-header">
        <h1 id="wallboard-title" tabIndex={-1}>
          Wallboard
        </h1>
        {wb && (
          <p className="muted small" role="status">
            {feed?.live ? 'Live' : 'Not live: reconnecting…'}
          </p>
        )}
      </header>
      {feed?.error && (
        <div className="alert alert-error" role="alert">
          {describeSupervisorError(feed.error)}
        </div>
      )}
      {!wb && !feed?.error && <p className="empty">Loading the wallboard…</p>}
      {wb && (
        <>
          <h2 className="wallboard-heading">Queues</h2>
          {wb.queues.length === 0 ? (
            <p className="empty">No queues yet.</p>
          ) : (
            <div className="wallboard-queues">
              {wb.queues.map((q) => (
                <QueueCard key={q.queue.id} q={q} now={now} />
              ))}
            </div>
          )}
          <h2 className="wallboard-heading">Agents</h2>
          {wb.agents.length === 0 ? (
            <p className="empty">No agents yet.</p>
          ) : (
            <AgentTable agents={wb.agents} reasons={feed?.reasons ?? []} now={now} dayStart={wb.dayStart} connected={feed?.live ?? false} actions={actions} />
          )}
        </>
      )}
    </section>
  );
}

export function QueueCard({ q, now }: { q: QueueStats; now: number }) {
  const titleId = useId();
  return (
    <article className="card wallboard-queue" aria-labelledby={titleId} data-queue={q.queue.id}>
      <h3 id={titleId}>{q.queue.name}</h3>
      <dl className="wallboard-figures">
        <Figure label="Waiting" value={String(q.waiting)} name="waiting" />
        <Figure label="Longest wait" value={longestWaitLabel(q.oldestWaitingSince, now)} name="longest-wait" />
        <Figure label="Answered" value={String(q.answered)} name="answered" />
        <Figure label="Abandoned" value={String(q.abandoned)} name="abandoned" />
        <Figure label="Unanswered" value={String(q.unanswered)} name="unanswered" />
        <Figure label={`Service level (${q.serviceLevelSec} s)`} value={percentLabel(q.serviceLevelPct)} name="service-level" />
        <Figure label="ASA" value={secondsLabel(q.avgSpeedOfAnswerSec)} name="asa" title="Average speed of answer" />
        <Figure label="AHT" value={secondsLabel(q.avgHandleTimeSec)} name="aht" title="Average handle time (talk)" />
      </dl>
      <p className="visually-hidden">Today: {dayLabel(q)}</p>
      <ul className="wallboard-states" aria-label="Agents by state">
        {agentCounts(q).map((c) => (
          <li key={c.state} className={`agent-${c.state}`} data-state={c.state}>
            <span className="agent-dot" aria-hidden="true" />
            {c.label}: <strong>{c.count}</strong>
          </li>
        ))}
      </ul>
    </article>
  );
}

function Figure({ label, value, name, title }: { label: string; value: string; name: string; title?: string }) {
  return (
    <div className="wallboard-figure" data-figure={name}>
      <dt title={title}>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function AgentTable({
  agents,
  reasons,
  now,
  dayStart,
  connected,
  actions,
}: {
  agents: AgentStats[];
  reasons: Reason[];
  now: number;
  dayStart: number;
  connected: boolean;
  actions: AgentActions;
}) {
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      {error && (
        <div className="alert alert-error notice" role="alert">
          <span>{error}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setError(null)}>
            Dismiss
          </button>
        </div>
      )}
      <table className="wallboard-agents">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">State</th>
            <th scope="col">Time in state</th>
            <th scope="col">Handled today</th>
            <th scope="col">Queues</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <AgentRow key={a.agent.user.id} a={a} reasons={reasons} now={now} dayStart={dayStart} connected={connected} actions={actions} onError={setError} />
          ))}
        </tbody>
      </table>
    </>
  );
}

export function AgentRow({
  a,
  reasons,
  now,
  dayStart,
  connected,
  actions,
  onError,
}: {
  a: AgentStats;
  reasons: Reason[];
  now: number;
  /** The wallboard's start of the day: an agent offline since then was not seen today. */
  dayStart: number;
  connected: boolean;
  actions: AgentActions;
  onError: (msg: string | null) => void;
}) {
  const choices = forcibleReasons(reasons);
  const [picked, setReason] = useState('');
  // The reasons may arrive after the row: until one is picked, the first is selected.
  const reason = choices.some((r) => r.code === picked) ? picked : (choices[0]?.code ?? '');
  const [busy, setBusy] = useState(false);
  const selectId = useId();
  const allowed = supervisorActions(a);
  const name = a.agent.user.displayName;
  const canAct = connected && !busy;

  async function run(what: () => Promise<unknown>) {
    onError(null);
    setBusy(true);
    try {
      await what();
    } catch (err) {
      onError(describeSupervisorError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr className={`agent-${a.agent.state}`} data-agent={a.agent.user.username}>
      <th scope="row">{name}</th>
      <td data-testid="wallboard-agent-state">
        <span className="agent-dot" aria-hidden="true" /> {agentStateLabel(a.agent, reasons)}
      </td>
      <td className="agent-time">{timeInStateLabel(a.agent, now, dayStart)}</td>
      <td>{a.handledToday}</td>
      <td className="small">{a.queues.join(', ')}</td>
      <td>
        <div className="wallboard-actions">
          {allowed.notReady && choices.length > 0 && (
            <>
              <label className="visually-hidden" htmlFor={selectId}>
                Not-ready reason for {name}
              </label>
              <select id={selectId} value={reason} onChange={(e) => setReason(e.target.value)} disabled={!canAct}>
                {choices.map((r) => (
                  <option key={r.code} value={r.code}>
                    {r.label}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="btn btn-small btn-secondary"
                aria-label={`Not ready: ${name}`}
                disabled={!canAct || !reason}
                onClick={() => void run(() => actions.setAgent(a.agent.user.id, { state: 'not-ready', reason }))}
              >
                Not ready
              </button>
            </>
          )}
          {allowed.logOut && (
            <button
              type="button"
              className="btn btn-small btn-danger-outline"
              aria-label={`Log out ${name} from the queues`}
              disabled={!canAct}
              onClick={() => void run(() => actions.logOut(a.agent.user.id))}
            >
              Log out
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
