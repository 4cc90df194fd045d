/**
 * Gateway handlers of the agent and supervisor events (src/shared/protocol/agent.ts),
 * merged into the gateway's handler map.
 */
import { ProtocolError, type agentClientEvents } from '../../shared/protocol/index.js';

type AgentEventName = keyof typeof agentClientEvents;

/** Until the agent service is wired, every agent event is refused. */
export function agentHandlers(): { [E in AgentEventName]: () => Promise<never> } {
  const refuse = async (): Promise<never> => {
    throw new ProtocolError('forbidden', 'agent events are not enabled on this server');
  };
  return {
    'agent:reasons': refuse,
    'agent:get': refuse,
    'agent:set': refuse,
    'agent:wrapup': refuse,
    'agent:wrapup-extend': refuse,
    'agent:auto-away': refuse,
    'agent:auto-answer': refuse,
    'agent:log': refuse,
    'supervisor:agents': refuse,
  };
}
