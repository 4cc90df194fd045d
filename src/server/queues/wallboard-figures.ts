/**
 * The wallboard's figures, pure (docs/support-line.md "Read the wallboard"): from what the
 * service read (queues, the day's counts from the durable records, the line, the live agents,
 * the memberships) to the `Wallboard` the supervisors see. No store, clock or socket here.
 */
import {
  AGENT_STATES,
  type AgentState,
  type AgentStats,
  type AgentView,
  type QueueConfig,
  type QueueStats,
  type UserSummary,
  type Wallboard,
} from '../../shared/protocol/index.js';
import { newAgent, toAgentView, type AgentRecord } from '../agents/agent-machine.js';
import { DEFAULT_AUTO_ANSWER } from '../agents/agent-service.js';
import type { QueueDayCounts, QueueMemberRow } from '../store/queue-types.js';
import type { WaitingCall } from './types.js';

/** "Today" starts at the server's local midnight. */
export function dayStartOf(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export interface WallboardInput {
  now: number;
  dayStart: number;
  queues: QueueConfig[];
  counts: Map<string, QueueDayCounts>;
  waiting: Map<string, WaitingCall[]>;
  /** Live agent records (any node's), by user id. */
  agents: Map<string, AgentRecord>;
  members: QueueMemberRow[];
  /** Members with no live record yet (never signed in since the live state began). */
  users: Map<string, UserSummary>;
  /** Queue calls each agent answered that ended since dayStart. */
  handled: Record<string, number>;
}

/** One decimal: figures that do not change do not look changed (no push for a rounding jitter). */
const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Service level: answered within the threshold, as a % of the calls that ended answered,
 * abandoned or unanswered (refused calls never waited). ASA: the mean wait of the answered
 * calls. AHT: their mean talk time (answer to hang-up); wrap-up is not in it, because the
 * records hold no wrap-up time (docs/support-line.md says so).
 */
export function dayFigures(c: QueueDayCounts): Pick<QueueStats, 'serviceLevelPct' | 'avgSpeedOfAnswerSec' | 'avgHandleTimeSec'> {
  const offered = c.answered + c.abandoned + c.unanswered;
  return {
    serviceLevelPct: offered === 0 ? null : round1((100 * c.answeredWithinServiceLevel) / offered),
    avgSpeedOfAnswerSec: c.answered === 0 ? null : round1(c.totalWaitMs / c.answered / 1000),
    avgHandleTimeSec: c.answered === 0 ? null : round1(c.totalTalkMs / c.answered / 1000),
  };
}

const NO_COUNTS: QueueDayCounts = {
  answered: 0,
  abandoned: 0,
  unanswered: 0,
  refused: 0,
  answeredWithinServiceLevel: 0,
  totalWaitMs: 0,
  totalTalkMs: 0,
};

function noAgents(): Record<AgentState, number> {
  return Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<AgentState, number>;
}

export function buildWallboard(i: WallboardInput): Wallboard {
  const views = new Map<string, AgentView>();
  const viewOf = (userId: string): AgentView | undefined => {
    let v = views.get(userId);
    if (v) return v;
    const rec = i.agents.get(userId);
    const user = rec?.user ?? i.users.get(userId);
    if (!user) return undefined;
    // Never seen since the live state began: offline, counted from the start of the day.
    v = toAgentView(rec ?? newAgent(user, DEFAULT_AUTO_ANSWER, i.dayStart));
    views.set(userId, v);
    return v;
  };

  const queuesOf = new Map<string, string[]>();
  for (const m of i.members) queuesOf.set(m.userId, [...(queuesOf.get(m.userId) ?? []), m.queueId]);

  const queues: QueueStats[] = i.queues.map((q) => {
    const line = i.waiting.get(q.id) ?? [];
    const c = i.counts.get(q.id) ?? NO_COUNTS;
    const agents = noAgents();
    for (const m of i.members) {
      if (m.queueId !== q.id) continue;
      const v = viewOf(m.userId);
      if (v) agents[v.state]++;
    }
    return {
      queue: { id: q.id, name: q.name },
      serviceLevelSec: q.serviceLevelSec,
      waiting: line.length,
      oldestWaitingSince: line.length === 0 ? null : Math.min(...line.map((w) => w.enqueuedAt)),
      agents,
      answered: c.answered,
      abandoned: c.abandoned,
      unanswered: c.unanswered,
      refused: c.refused,
      ...dayFigures(c),
    };
  });

  const ids = new Set([...i.agents.keys(), ...queuesOf.keys()]);
  const agents: AgentStats[] = [];
  for (const id of ids) {
    const agent = viewOf(id);
    if (!agent) continue;
    agents.push({ agent, queues: [...(queuesOf.get(id) ?? [])].sort(), handledToday: i.handled[id] ?? 0 });
  }
  agents.sort(
    (a, b) => a.agent.user.displayName.localeCompare(b.agent.user.displayName) || a.agent.user.id.localeCompare(b.agent.user.id),
  );
  return { at: i.now, dayStart: i.dayStart, queues, agents };
}

/** Two wallboards that show the same (only `at` differs): no push needed. */
export function sameFigures(a: Wallboard, b: Wallboard): boolean {
  return JSON.stringify({ ...a, at: 0 }) === JSON.stringify({ ...b, at: 0 });
}
