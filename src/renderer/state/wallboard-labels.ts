/**
 * The wallboard's words (pure; docs/support-line.md "Read the wallboard"). The server computes
 * every figure; these only format them and the waits and times in state that tick on screen.
 */
import type { AgentState, AgentStats, QueueStats, Reason } from '../../shared/protocol/index.js';
import { AGENT_STATE_LABELS } from '../../shared/agent-labels.js';
import { describeError, toUiError } from './errors.js';
import { formatDuration } from './labels.js';

/** No figure yet (no call today): a dash, never a misleading 0. */
export const NO_FIGURE = '—';

/** "92 %", "87.5 %"; null → "—". */
export function percentLabel(pct: number | null): string {
  if (pct === null) return NO_FIGURE;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)} %`;
}

/** ASA / AHT as a duration ("00:18", "1:02:05"); null → "—". */
export function secondsLabel(sec: number | null): string {
  return sec === null ? NO_FIGURE : formatDuration(Math.round(sec));
}

/** The longest wait, ticking from when the first caller in line joined; nobody waiting → "—". */
export function longestWaitLabel(since: number | null, now: number): string {
  return since === null ? NO_FIGURE : formatDuration((now - since) / 1000);
}

/** Time in state, ticking; "—" for an agent offline since the day began (not seen today). */
export function timeInStateLabel(agent: Pick<AgentStats['agent'], 'state' | 'since'>, now: number, dayStart: number): string {
  if (agent.state === 'offline' && agent.since <= dayStart) return NO_FIGURE;
  return formatDuration((now - agent.since) / 1000);
}

/** Order in which the agent counts are shown: who can take a call first. */
export const STATE_ORDER: readonly AgentState[] = ['ready', 'reserved', 'on-call', 'wrap-up', 'not-ready', 'offline'];

/** The queue's members by state, in STATE_ORDER, each with its label. */
export function agentCounts(q: Pick<QueueStats, 'agents'>): { state: AgentState; label: string; count: number }[] {
  return STATE_ORDER.map((state) => ({ state, label: AGENT_STATE_LABELS[state], count: q.agents[state] ?? 0 }));
}

/** "3 answered · 1 abandoned · 0 unanswered" for screen readers and the summary line. */
export function dayLabel(q: Pick<QueueStats, 'answered' | 'abandoned' | 'unanswered' | 'refused'>): string {
  const parts = [`${q.answered} answered`, `${q.abandoned} abandoned`, `${q.unanswered} unanswered`];
  if (q.refused > 0) parts.push(`${q.refused} refused`);
  return parts.join(' · ');
}

/** The system reason `supervisor:logout` sets. */
export const LOGGED_OUT_REASON = 'logged-out';

/** What a supervisor may do to this agent now: nothing while they are offline; no second log-out. */
export function supervisorActions(a: Pick<AgentStats, 'agent'>): { notReady: boolean; logOut: boolean } {
  const online = a.agent.state !== 'offline';
  const loggedOut = a.agent.state === 'not-ready' && a.agent.reason === LOGGED_OUT_REASON;
  return { notReady: online, logOut: online && !loggedOut };
}

/** The reasons a supervisor may force (not the ones only the server sets). */
export function forcibleReasons(reasons: readonly Reason[]): Reason[] {
  return reasons.filter((r) => !r.system);
}

/** A refused wallboard request or supervisor action, in words (the call-centred defaults do not fit). */
export function describeSupervisorError(err: unknown): string {
  const e = toUiError(err);
  if (e.code === 'forbidden') return 'This needs the supervisor role.';
  if (e.code === 'not_found') return /not (available|enabled)/i.test(e.message) ? 'This server does not offer that.' : 'That agent no longer exists.';
  return describeError(err);
}
