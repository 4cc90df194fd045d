/**
 * Queue calls in tests: queues with members at levels, agents signed in and ready on a real
 * socket (TestDevice), and what the caller and agents receive.
 */
import type { AgentView, CallView, QueueConfig, QueueStrategy } from '../../src/shared/protocol/index.js';
import { connectDevice, type TestDevice } from './device.js';
import type { TestServer } from './server.js';
import { waitFor } from './wait.js';

export interface QueueSpec {
  strategy?: QueueStrategy;
  /** Agent ring timeout (s). */
  ring?: number;
  maxWait?: number;
  joinEmpty?: boolean;
  tierWait?: number;
  wrapUp?: number;
  public?: boolean;
}

/** Creates the queue with its members (in this order, each `[userId, level]`). */
export async function makeQueue(
  server: Pick<TestServer, 'storage'>,
  id: string,
  members: [string, number][],
  spec: QueueSpec = {},
): Promise<QueueConfig> {
  const q = await server.storage.queues.add({
    id,
    name: `Queue ${id}`,
    strategy: spec.strategy ?? 'longest-idle',
    agentRingTimeoutSec: spec.ring ?? 10,
    maxWaitSec: spec.maxWait ?? 600,
    joinEmpty: spec.joinEmpty ?? true,
    tierWaitSec: spec.tierWait ?? 30,
    wrapUpSec: spec.wrapUp ?? 0,
    public: spec.public ?? false,
  });
  for (const [userId, level] of members) await server.storage.queues.setMember(id, userId, level);
  return q;
}

export interface TestAgent {
  id: string;
  username: string;
  dev: TestDevice;
}

/** A user with the agent role and one device (not ready yet). */
export async function agentDevice(server: TestServer, username: string, open: TestDevice[]): Promise<TestAgent> {
  const id = await server.addUser(username);
  await server.storage.agents.setRoles(id, ['agent']);
  const dev = await connectDevice(server, username);
  open.push(dev);
  await agentChanged(dev, (a) => a.state === 'not-ready');
  return { id, username, dev };
}

export async function setReady(a: TestAgent): Promise<AgentView> {
  return (await a.dev.request('agent:set', { status: { state: 'ready' } })).agent;
}

export function agentChanged(d: TestDevice, pred: (a: AgentView) => boolean, timeoutMs = 5_000) {
  return d.waitFor('agent:changed', (p) => pred(p.agent), timeoutMs);
}

/** The first `agent:changed` matching `pred` received from now on (not one already received). */
export function nextAgentChange(d: TestDevice, pred: (a: AgentView) => boolean, timeoutMs = 5_000): () => Promise<AgentView> {
  const from = d.events.length;
  const find = () =>
    d.events.slice(from).find((e) => e.event === 'agent:changed' && pred((e.payload as { agent: AgentView }).agent));
  return async () => {
    await waitFor(() => find() !== undefined, `${d.deviceId}: agent change`, { timeoutMs });
    return (find()!.payload as { agent: AgentView }).agent;
  };
}

/** The offer of `callId` reaching the agent (the `seq`-th offer of that call, if given). */
export function offerOf(a: TestAgent, callId: string, seq?: number, timeoutMs = 5_000) {
  return a.dev.waitFor('call:incoming', (p) => p.call.callId === callId && (seq === undefined || p.call.offer?.seq === seq), timeoutMs);
}

/** Agents among `agents` whose devices received an offer of `callId`. */
export function offeredTo(agents: TestAgent[], callId: string): string[] {
  return agents
    .filter((a) => a.dev.count('call:incoming', (p) => (p as { call: CallView }).call.callId === callId) > 0)
    .map((a) => a.username);
}

/** Answers the offer, then the caller hangs up; resolves once the agent is ready again. */
export async function answerAndEnd(a: TestAgent, caller: TestDevice, callId: string): Promise<void> {
  await a.dev.request('call:accept', { callId });
  await agentChanged(a.dev, (x) => x.state === 'on-call' && x.callId === callId);
  const ready = nextAgentChange(a.dev, (x) => x.state === 'ready' && x.callId === null);
  await caller.request('call:hangup', { callId });
  await ready();
}

export async function dial(caller: TestDevice, queue: string, priority?: number): Promise<CallView> {
  return (await caller.request('call:invite', { to: priority === undefined ? { queue } : { queue, priority } })).call;
}
