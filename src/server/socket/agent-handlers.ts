/**
 * Gateway handlers of the agent and supervisor events (src/shared/protocol/agent.ts),
 * merged into the gateway's handler map.
 *
 * Roles are checked on every event against the stored roles, read afresh each time (not
 * the token's claims): a demoted agent or supervisor is refused at their next event on the
 * socket they already hold. Taking a role away (`user role`) also records a revocation, which
 * closes the user's open sockets on every node (auth/revocation-watch.ts), so a demoted
 * supervisor also stops receiving the `agent:changed` pushes of `supervisor:agents` at
 * once; the client reconnects and re-subscribes only if it still may.
 */
import type { Socket } from 'socket.io';
import {
  ProtocolError,
  type AgentView,
  type ClientResponse,
  type Role,
  type agentClientEvents,
} from '../../shared/protocol/index.js';
import type { z } from 'zod';
import { toAgentView } from '../agents/agent-machine.js';
import type { AgentService } from '../agents/agent-service.js';
import type { Storage, UserRow } from '../store/types.js';

type AgentEventName = keyof typeof agentClientEvents;
type Req<E extends AgentEventName> = z.infer<(typeof agentClientEvents)[E]['request']>;
export type AnySocket = Pick<Socket, 'join'> & { data: { ctx: { userId: string } } };
type AgentHandler<E extends AgentEventName> = (socket: AnySocket, req: Req<E>) => Promise<ClientResponse<E>>;

/** socket.io room of sockets that asked for every agent's changes. */
export const SUPERVISORS_ROOM = 'supervisors';

/** The socket's user, read from the store now, with one of the roles (else `forbidden`). */
export async function requireRole(storage: Storage, socket: AnySocket, ...anyOf: Role[]): Promise<UserRow> {
  const u = await storage.accounts.getUserById(socket.data.ctx.userId);
  if (!u) throw new ProtocolError('unauthorized', 'the account was removed');
  if (!anyOf.some((r) => u.roles.includes(r))) {
    throw new ProtocolError('forbidden', `this needs the ${anyOf.join(' or ')} role`);
  }
  return u;
}

export function agentHandlers(storage: Storage, agents: AgentService | undefined): { [E in AgentEventName]: AgentHandler<E> } {
  const service = () => {
    if (!agents) throw new ProtocolError('forbidden', 'agents are not enabled on this server');
    return agents;
  };
  const need = (socket: AnySocket, ...anyOf: Role[]): Promise<UserRow> => requireRole(storage, socket, ...anyOf);
  /** Own agent (agent role), or another agent (supervisor role). */
  const target = async (socket: AnySocket, userId: string | undefined): Promise<{ actor: UserRow; userId: string; asSupervisor: boolean }> => {
    if (userId !== undefined && userId !== socket.data.ctx.userId) {
      const actor = await need(socket, 'supervisor');
      const agent = await storage.accounts.getUserById(userId);
      if (!agent?.roles.includes('agent')) throw new ProtocolError('not_found', 'no such agent');
      return { actor, userId, asSupervisor: true };
    }
    const actor = await need(socket, 'agent');
    return { actor, userId: actor.id, asSupervisor: false };
  };
  const view = async (userId: string): Promise<AgentView> => toAgentView(await service().ensure(userId));

  return {
    'agent:reasons': async (socket) => {
      await need(socket, 'agent', 'supervisor');
      return { reasons: await storage.agents.listReasons() };
    },
    'agent:get': async (socket) => {
      const u = await need(socket, 'agent');
      return { agent: await view(u.id) };
    },
    'agent:set': async (socket, req) => {
      const t = await target(socket, req.userId);
      if (req.status?.state === 'not-ready') {
        const code = req.status.reason;
        const reason = (await storage.agents.listReasons()).find((r) => r.code === code);
        if (!reason) throw new ProtocolError('bad_request', `unknown reason ${code}`);
        if (reason.system) throw new ProtocolError('bad_request', `${code} is set by the server only`);
      }
      const a = await service().apply(t.userId, {
        type: 'set',
        status: req.status,
        by: t.asSupervisor ? 'supervisor' : 'agent',
        byUserId: t.asSupervisor ? t.actor.id : null,
      });
      return { agent: toAgentView(a) };
    },
    'agent:wrapup': async (socket, req) => {
      const u = await need(socket, 'agent');
      const a = await service().apply(u.id, { type: 'wrapup', callId: req.callId, disposition: req.disposition, notes: req.notes, done: req.done });
      return { agent: toAgentView(a) };
    },
    'agent:wrapup-extend': async (socket, req) => {
      const u = await need(socket, 'agent');
      return { agent: toAgentView(await service().apply(u.id, { type: 'extend', callId: req.callId })) };
    },
    'agent:auto-away': async (socket, req) => {
      const u = await need(socket, 'agent');
      return { agent: toAgentView(await service().apply(u.id, { type: 'auto-away', away: req.away })) };
    },
    'agent:auto-answer': async (socket, req) => {
      const t = await target(socket, req.userId);
      const current = await service().ensure(t.userId);
      const isSupervisor = t.actor.roles.includes('supervisor');
      if (!isSupervisor && (!current.autoAnswer.agentMayChange || req.autoAnswer.agentMayChange !== undefined)) {
        throw new ProtocolError('forbidden', 'only a supervisor may change this auto-answer setting');
      }
      const autoAnswer = { ...current.autoAnswer, ...req.autoAnswer };
      await storage.agents.setAutoAnswer(t.userId, autoAnswer);
      return { agent: toAgentView(await service().apply(t.userId, { type: 'auto-answer', autoAnswer })) };
    },
    'agent:log': async (socket, req) => {
      const t = await target(socket, req.userId);
      return { entries: await storage.agents.listLog(t.userId, { limit: req.limit ?? 50, before: req.before }) };
    },
    'supervisor:agents': async (socket) => {
      await need(socket, 'supervisor');
      await socket.join(SUPERVISORS_ROOM);
      const users = (await storage.accounts.listUsers()).filter((u) => u.roles.includes('agent'));
      return { agents: await Promise.all(users.map((u) => view(u.id))) };
    },
  };
}
