/**
 * Gateway handlers of the supervisor's queue actions (src/shared/protocol/queue.ts,
 * docs/support-line.md "Add agents"), merged into the gateway's handler map.
 *
 * `supervisor:logout` takes an agent out of the queues: not-ready with the system reason
 * `logged-out` (which no agent can pick themselves), so no offer reaches them until they set
 * themselves ready again. The supervisor role is read from the store on every event; the change
 * goes through the agent service like `agent:set` by a supervisor, so the state log records
 * `by: supervisor` and the supervisor's user id, also when it waits as the next status of an
 * agent who is busy (applied when their call and wrap-up clear, or when the offer rings out).
 */
import type { z } from 'zod';
import { ProtocolError, type ClientResponse, type queueClientEvents } from '../../shared/protocol/index.js';
import { toAgentView } from '../agents/agent-machine.js';
import type { AgentService } from '../agents/agent-service.js';
import type { Storage } from '../store/types.js';
import { requireRole, type AnySocket } from './agent-handlers.js';

/** The system reason of an agent a supervisor logged out (migration: store/queue-rows.ts). */
export const LOGGED_OUT_REASON = 'logged-out';

type Req<E extends keyof typeof queueClientEvents> = z.infer<(typeof queueClientEvents)[E]['request']>;

export function supervisorHandlers(
  storage: Storage,
  agents: AgentService | undefined,
): { 'supervisor:logout': (socket: AnySocket, req: Req<'supervisor:logout'>) => Promise<ClientResponse<'supervisor:logout'>> } {
  return {
    'supervisor:logout': async (socket, req) => {
      const supervisor = await requireRole(storage, socket, 'supervisor');
      if (!agents) throw new ProtocolError('forbidden', 'agents are not enabled on this server');
      const agent = await storage.accounts.getUserById(req.userId);
      if (!agent?.roles.includes('agent')) throw new ProtocolError('not_found', 'no such agent');
      // An offline agent is out of the queues already: nothing to change (and nothing to log).
      const a = await agents.apply(agent.id, (current) =>
        current.state === 'offline'
          ? null
          : { type: 'set', status: { state: 'not-ready', reason: LOGGED_OUT_REASON }, by: 'supervisor', byUserId: supervisor.id },
      );
      return { agent: toAgentView(a) };
    },
  };
}
