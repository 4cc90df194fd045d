/**
 * Part 7 — agent timers: the server owns every agent timer (docs/agents.md), so how late do
 * they reach the agent? Issue 13 names one figure: a missed offer (RONA) sets the agent
 * `not-ready (missed)` within 100 ms of the offer's deadline.
 *
 * N agents (real socket.io clients through the core's Signaling) sit in one queue with a
 * 1 s agent ring timeout and a 1 s wrap-up. Each round every agent goes ready and a caller
 * places as many queue calls at once, so all N offers run out together (the server's timers
 * for N agents fire in the same instant):
 *   - RONA rounds: nobody answers; lateness = the agent's device receives `not-ready
 *     (missed)` − the `offerDeadline` the server announced with `reserved`.
 *   - Wrap-up rounds: each agent answers, the caller hangs up; lateness = the device
 *     receives the state after wrap-up − the wrap-up `deadline`.
 * Both clocks are this machine's wall clock (the server's deadlines are epoch ms). The
 * `session:ping` round trip of the same run is the floor any server → device figure has.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { type Signaling } from '../../src/core/signaling.js';
import { addQueue } from '../../src/server/agent-admin.js';
import { SqliteStorage } from '../../src/server/store/sqlite.js';
import type { AgentView } from '../../src/shared/protocol/index.js';
import { connectSeeded } from '../lib/connect.js';
import { seedUsers, type SeededDevice } from '../lib/seed.js';
import { freePort, ServerUnderTest } from '../lib/server-process.js';
import { round, summarize } from '../lib/stats.js';
import type { BenchPart } from '../lib/types.js';

const QUEUE = 'bench';
const EVENT_WAIT_MS = 10_000;

interface Agent {
  user: SeededDevice;
  link: Signaling;
  views: { at: number; agent: AgentView }[];
}

/** The first view received at or after index `from` that matches (already in, or the next to come). */
function next(a: Agent, from: number, pred: (v: AgentView) => boolean): Promise<{ at: number; agent: AgentView; index: number }> {
  const find = () => {
    const i = a.views.findIndex((v, k) => k >= from && pred(v.agent));
    return i >= 0 ? { ...a.views[i]!, index: i } : null;
  };
  const found = find();
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${a.user.username}: no matching agent:changed within ${EVENT_WAIT_MS} ms`));
    }, EVENT_WAIT_MS);
    // Subscribed after the recorder: when this runs, the view is in `a.views`.
    const off = a.link.on('agent:changed', () => {
      const hit = find();
      if (!hit) return;
      clearTimeout(timer);
      off();
      resolve(hit);
    });
  });
}

async function allReady(agents: Agent[]): Promise<void> {
  await Promise.all(agents.map((a) => a.link.request('agent:set', { status: { state: 'ready' } })));
}

export const agentTimersPart: BenchPart<'agentTimers'> = {
  name: 'agents',
  keys: ['agentTimers'],
  async run(ctx) {
    const { agents: count, rounds } = ctx.sizes.agents;
    const dataDir = path.join(ctx.runDir, 'agents-data');
    const [callerUser, ...agentUsers] = await seedUsers(dataDir, count + 1, 'ag');
    const storage = SqliteStorage.open(dataDir);
    try {
      await addQueue(storage.queues, QUEUE, { name: 'Bench', ringTimeout: '1', wrapUp: '1' });
      for (const u of agentUsers) {
        await storage.agents.setRoles(u.userId, ['agent']);
        await storage.queues.setMember(QUEUE, u.userId);
      }
    } finally {
      await storage.close();
    }
    const server = await ServerUnderTest.start(ctx.build, {
      kind: 'app',
      port: await freePort(),
      dataDir,
      env: ctx.serverEnv,
      logFile: path.join(ctx.runDir, 'agents-app.log'),
    });
    const links: Signaling[] = [];
    try {
      const caller = await connectSeeded(server.url, callerUser!, 'bench caller');
      links.push(caller);
      const agents: Agent[] = [];
      for (const user of agentUsers) {
        const link = await connectSeeded(server.url, user, 'bench agent');
        links.push(link);
        const a: Agent = { user, link, views: [] };
        link.on('agent:changed', ({ agent }) => a.views.push({ at: Date.now(), agent }));
        agents.push(a);
      }
      const ping: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await caller.request('session:ping', {});
        ping.push(performance.now() - t0);
      }

      const rona: number[] = [];
      const wrapUp: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // RONA: N offers run out together.
        await allReady(agents);
        let marks = agents.map((a) => a.views.length);
        const missedCalls = await Promise.all(
          agents.map(async () => (await caller.request('call:invite', { to: { queue: QUEUE }, callId: randomUUID() })).call.callId),
        );
        await Promise.all(
          agents.map(async (a, i) => {
            const reserved = await next(a, marks[i]!, (v) => v.state === 'reserved');
            const missed = await next(a, reserved.index, (v) => v.state === 'not-ready' && v.reason === 'missed');
            rona.push(missed.at - reserved.agent.offerDeadline!);
          }),
        );
        // A missed queue call goes back in line: the caller gives up on those before the next
        // round, or they would be the first offered when the agents go ready again.
        await Promise.all(missedCalls.map((callId) => caller.request('call:cancel', { callId }).catch(() => undefined)));
        // Wrap-up: every agent answers, the caller hangs up, N wrap-ups run out together.
        await allReady(agents);
        marks = agents.map((a) => a.views.length);
        const callIds = await Promise.all(
          agents.map(async () => (await caller.request('call:invite', { to: { queue: QUEUE }, callId: randomUUID() })).call.callId),
        );
        await Promise.all(
          agents.map(async (a, i) => {
            const reserved = await next(a, marks[i]!, (v) => v.state === 'reserved');
            await a.link.request('call:accept', { callId: reserved.agent.callId! });
          }),
        );
        await Promise.all(callIds.map((callId) => caller.request('call:hangup', { callId })));
        await Promise.all(
          agents.map(async (a, i) => {
            const inWrapUp = await next(a, marks[i]!, (v) => v.state === 'wrap-up' && v.wrapUp?.deadline != null);
            const after = await next(a, inWrapUp.index, (v) => v.state !== 'wrap-up');
            wrapUp.push(after.at - inWrapUp.agent.wrapUp!.deadline!);
          }),
        );
      }
      const ronaMs = summarize(rona);
      const wrapUpMs = summarize(wrapUp);
      const pingP50Ms = round(summarize(ping).p50Ms);
      ctx.log(
        `agents: ${count} agents × ${rounds} rounds; RONA lateness p50 ${ronaMs.p50Ms} p99 ${ronaMs.p99Ms} max ${ronaMs.maxMs} ms; wrap-up lateness p50 ${wrapUpMs.p50Ms} p99 ${wrapUpMs.p99Ms} max ${wrapUpMs.maxMs} ms; ping p50 ${pingP50Ms} ms`,
      );
      return { agentTimers: { status: 'ok', agents: count, rounds, rona: ronaMs, wrapUp: wrapUpMs, pingP50Ms } };
    } finally {
      for (const l of links) l.disconnect();
      await server.stop();
    }
  },
};
