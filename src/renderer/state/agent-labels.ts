/** The renderer's words for the agent desk (pure functions; docs/agents.md). */
import type { AgentState, AgentStatus, AgentView, HistoryRecord, Reason, WrapUpView } from '../../shared/protocol/index.js';
import { formatDuration } from './labels.js';

export { AGENT_STATE_LABELS, agentStateLabel, reasonLabel, statusLabel } from '../../shared/agent-labels.js';

/** The entries of the change-state menu: ready, then the reasons an agent may pick (not system ones). */
export function agentMenu(reasons: readonly Reason[]): { status: AgentStatus; label: string }[] {
  return [
    { status: { state: 'ready' }, label: 'Ready' },
    ...reasons.filter((r) => !r.system).map((r) => ({ status: { state: 'not-ready' as const, reason: r.code }, label: r.label })),
  ];
}

/** Is this status what the agent is in (or already has pending)? */
export function sameStatus(a: AgentStatus | null, b: AgentStatus | null): boolean {
  if (!a || !b) return a === b;
  return a.state === b.state && (a.state === 'ready' || (b.state === 'not-ready' && a.reason === b.reason));
}

/** The status the agent is in now, if it is one they can ask for. */
export function currentStatus(agent: Pick<AgentView, 'state' | 'reason'>): AgentStatus | null {
  if (agent.state === 'ready') return { state: 'ready' };
  if (agent.state === 'not-ready' && agent.reason) return { state: 'not-ready', reason: agent.reason };
  return null;
}

/** While on a call, reserved or in wrap-up, a change is kept as the next status. */
export function changeIsDeferred(state: AgentState): boolean {
  return state === 'on-call' || state === 'wrap-up' || state === 'reserved';
}

/** Time in state, display only ("04:12"); the server's clock decided when it began. */
export function timeInState(since: number, now: number): string {
  return formatDuration((now - since) / 1000);
}

/** What the wrap-up countdown says. The server's timer decides; this only shows it. */
export function wrapUpCountdown(w: Pick<WrapUpView, 'deadline' | 'awaitingDisposition'>, now: number): string {
  if (w.awaitingDisposition) return 'Disposition required';
  if (w.deadline === null) return 'No time limit';
  return `Ends in ${formatDuration(Math.ceil((w.deadline - now) / 1000))}`;
}

/** The agent's part of a history row: "Support · resolved · Notes: …" (empty when none). */
export function historyAgentLine(r: Pick<HistoryRecord, 'queue' | 'disposition' | 'notes' | 'queueCall'>): string {
  const parts: string[] = [];
  if (r.queue) parts.push(r.queue.name);
  if (r.queueCall?.callerKind === 'guest') parts.push('via web');
  if (r.queueCall) parts.push(`waited ${formatDuration(r.queueCall.waitSec)}`);
  if (r.disposition) parts.push(r.disposition);
  if (r.notes) parts.push(`Notes: ${r.notes}`);
  return parts.join(' · ');
}
