/**
 * The agent bar, always shown to agents: the server's agent state with the time in it, a
 * one-click change (Ready, or a reason from the menu), and the pending next status with a
 * way to cancel it. Every change is a request; the bar shows what the server answers.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { AgentStatus, AgentView, Reason } from '../../../shared/protocol/index.js';
import {
  agentMenu,
  agentStateLabel,
  changeIsDeferred,
  currentStatus,
  sameStatus,
  statusLabel,
  timeInState,
} from '../../state/agent-labels.js';
import { describeError } from '../../state/errors.js';
import { useServices } from '../app-context.js';
import { useNow } from '../use-now.js';

export function AgentBar({
  agent,
  reasons,
  clockOffsetMs,
  connected,
  onError,
}: {
  agent: AgentView;
  reasons: Reason[];
  /** Server clock − ours: the view's instants are the server's. */
  clockOffsetMs: number;
  connected: boolean;
  onError: (msg: string) => void;
}) {
  const { api } = useServices();
  const now = useNow(clockOffsetMs);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const menuId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const itemsRef = useRef<(HTMLButtonElement | null)[]>([]);
  const entries = agentMenu(reasons);
  itemsRef.current.length = entries.length;
  const current = currentStatus(agent);
  const deferred = changeIsDeferred(agent.state);

  async function ask(status: AgentStatus | null) {
    setOpen(false);
    setBusy(true);
    try {
      await api.invoke('agent.set', { status });
    } catch (err) {
      onError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (open) itemsRef.current[0]?.focus();
  }, [open]);

  function close(focusButton: boolean) {
    setOpen(false);
    if (focusButton) buttonRef.current?.focus();
  }

  function onMenuKey(e: KeyboardEvent<HTMLUListElement>) {
    const items = itemsRef.current.filter((b): b is HTMLButtonElement => b !== null);
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => items[(to + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') move(i + 1);
    else if (e.key === 'ArrowUp') move(i - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(items.length - 1);
    else if (e.key === 'Escape') close(true);
    else if (e.key === 'Tab') close(false);
    else return;
    e.preventDefault();
  }

  const stateText = agentStateLabel(agent, reasons);
  const canAct = connected && !busy;
  const showReady = agent.state === 'not-ready' && !agent.next;

  return (
    <section className={`agent-bar agent-${agent.state}`} aria-label="Agent state">
      <p className="agent-state">
        <span className="agent-dot" aria-hidden="true" />
        <span role="status" data-testid="agent-state">
          {stateText}
        </span>
        <span className="agent-time muted" data-testid="agent-time">
          <span className="visually-hidden">for </span>
          {timeInState(agent.since, now)}
        </span>
      </p>
      {agent.noOffersUntil !== null && agent.noOffersUntil > now && (
        <p className="agent-next muted small" data-testid="agent-no-offers">
          No offers for {timeInState(now, agent.noOffersUntil)}
        </p>
      )}
      {agent.next && (
        <p className="agent-next" role="status">
          <span>Next: {statusLabel(agent.next, reasons)}</span>
          <button
            type="button"
            className="btn btn-ghost btn-small"
            aria-label={`Cancel next status ${statusLabel(agent.next, reasons)}`}
            disabled={!canAct}
            onClick={() => void ask(null)}
          >
            Cancel
          </button>
        </p>
      )}
      <div className="agent-actions">
        {showReady && (
          <button type="button" className="btn btn-small btn-call" disabled={!canAct} onClick={() => void ask({ state: 'ready' })}>
            Go ready
          </button>
        )}
        <div className="agent-menu">
          <button
            ref={buttonRef}
            type="button"
            className="btn btn-small btn-secondary"
            aria-haspopup="menu"
            aria-expanded={open}
            aria-controls={open ? menuId : undefined}
            disabled={!canAct}
            onClick={() => setOpen((o) => !o)}
          >
            {deferred ? 'Set next status' : 'Change state'}
          </button>
          {open && (
            <ul
              className="agent-menu-list"
              id={menuId}
              role="menu"
              aria-label={deferred ? 'Next status, applied after this call' : 'Agent state'}
              onKeyDown={onMenuKey}
              onBlur={(e) => {
                if (!e.currentTarget.contains(e.relatedTarget) && e.relatedTarget !== buttonRef.current) setOpen(false);
              }}
            >
              {entries.map((entry, i) => {
                const checked = sameStatus(entry.status, deferred ? agent.next : current);
                return (
                  <li key={entry.label} role="none">
                    <button
                      ref={(el) => {
                        itemsRef.current[i] = el;
                      }}
                      type="button"
                      role="menuitemradio"
                      aria-checked={checked}
                      tabIndex={-1}
                      className="agent-menu-item"
                      onClick={() => void ask(entry.status)}
                    >
                      {entry.label}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
