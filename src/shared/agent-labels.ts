/**
 * The words for an agent's state, shared by every surface that shows it (the window's
 * agent bar, the tray), so they never read differently.
 */
import type { AgentState, AgentStatus, AgentView, Reason } from './protocol/index.js';

export const AGENT_STATE_LABELS: Record<AgentState, string> = {
  offline: 'Offline',
  'not-ready': 'Not ready',
  ready: 'Ready',
  reserved: 'Call offered',
  'on-call': 'On a call',
  'wrap-up': 'Wrap-up',
};

/** A reason code's label; an unknown code (added by an admin since we read the list) reads as itself. */
export function reasonLabel(code: string | null, reasons: readonly Reason[]): string {
  if (code === null) return '';
  return reasons.find((r) => r.code === code)?.label ?? code.charAt(0).toUpperCase() + code.slice(1);
}

/** "Ready", "Not ready · Break". */
export function agentStateLabel(agent: Pick<AgentView, 'state' | 'reason'>, reasons: readonly Reason[]): string {
  const base = AGENT_STATE_LABELS[agent.state];
  return agent.state === 'not-ready' && agent.reason ? `${base} · ${reasonLabel(agent.reason, reasons)}` : base;
}

/** A status the agent asks for, as a menu entry or a pending next status: "Ready", "Break". */
export function statusLabel(status: AgentStatus, reasons: readonly Reason[]): string {
  return status.state === 'ready' ? 'Ready' : reasonLabel(status.reason, reasons);
}
