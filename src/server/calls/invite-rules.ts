/** Who can be rung: the busy / do-not-disturb rules and the per-callee ring cap (call-service.ts). */
import { ProtocolError, type EndReason } from '../../shared/protocol/index.js';
import type { AgentRecord } from '../agents/agent-machine.js';
import type { LiveCall } from '../live/types.js';
import type { UserRow } from '../store/types.js';

/**
 * What an agent's state (agents/agent-machine.ts) adds to the rules of a person-to-person
 * call: no call reaches an agent in wrap-up or being offered a call, and auto-answer may
 * answer for them. `agent` is undefined for users who are not agents.
 */
export function agentBusyReason(agent: AgentRecord | undefined): EndReason | null {
  return agent && (agent.state === 'wrap-up' || agent.state === 'reserved') ? 'busy' : null;
}

export function agentAutoAnswerMs(agent: AgentRecord | undefined): number | null {
  return agent && agent.state !== 'offline' && agent.autoAnswer.internal ? agent.autoAnswer.delayMs : null;
}

export function busyReason(callee: UserRow, calleeCalls: readonly LiveCall[]): EndReason | null {
  if (callee.status === 'dnd') return 'dnd';
  if (!callee.callWaiting && calleeCalls.some((c) => c.state === 'answered')) return 'busy';
  return null;
}

/**
 * A cap on calls ringing one person at once, so strangers cannot flood a callee's screen
 * with ringing windows: beyond it the invite is refused `busy`, before any record exists,
 * so a flood does not fill the callee's history with missed calls either.
 */
export function checkRingCap(calleeId: string, calleeCalls: readonly LiveCall[], max: number): void {
  const ringing = calleeCalls.filter((c) => c.state === 'ringing' && c.callee.id === calleeId).length;
  if (ringing >= max) {
    throw new ProtocolError('busy', 'too many calls are ringing for this person; try again later');
  }
}
