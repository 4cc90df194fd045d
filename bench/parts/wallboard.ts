/**
 * Part 9 — the wallboard (issue 14): how late does a change reach a supervisor's wallboard,
 * and does the push rate stay at most 4 a second under a stream of changes?
 *
 * N agents in Q queues (each agent in every queue) on one node; a supervisor subscribed with
 * `wallboard:subscribe`. For the window, an open-loop schedule sets a random agent ready or
 * not-ready `rate` times a second. Lateness of one change = the supervisor's device receives
 * the first `wallboard:update` showing it (the agent's `since` at least the one the change's
 * ack returned) − the moment the change was sent. Every update is a full recomputation from
 * the stores (the day's counts by SQL per queue, the live agents, the memberships), so the
 * figure includes what a bigger team costs. Target: every change ≤ 1 s, ≤ 4 updates a second.
 */
import path from 'node:path';
import type { Signaling } from '../../src/core/signaling.js';
import { SqliteStorage } from '../../src/server/store/sqlite.js';
import type { Wallboard } from '../../src/shared/protocol/index.js';
import { connectSeeded } from '../lib/connect.js';
import { seedUsers } from '../lib/seed.js';
import { freePort, ServerUnderTest } from '../lib/server-process.js';
import { round, sleep, summarize } from '../lib/stats.js';
import type { BenchPart } from '../lib/types.js';

/** The most updates inside any window of `ms` (half-open). */
export function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  let lo = 0;
  const sorted = [...times].sort((a, b) => a - b);
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

export const wallboardPart: BenchPart<'wallboard'> = {
  name: 'wallboard',
  keys: ['wallboard'],
  async run(ctx) {
    const { agents: count, queues, rate, windowSec } = ctx.sizes.wallboard;
    const dataDir = path.join(ctx.runDir, 'wallboard-data');
    const [supUser, ...agentUsers] = await seedUsers(dataDir, count + 1, 'wb');
    const storage = SqliteStorage.open(dataDir);
    try {
      await storage.agents.setRoles(supUser!.userId, ['supervisor']);
      for (let q = 0; q < queues; q++) await storage.queues.add({ id: `bench-${q}`, name: `Bench ${q}` });
      for (const u of agentUsers) {
        await storage.agents.setRoles(u.userId, ['agent']);
        for (let q = 0; q < queues; q++) await storage.queues.setMember(`bench-${q}`, u.userId);
      }
    } finally {
      await storage.close();
    }
    const server = await ServerUnderTest.start(ctx.build, {
      kind: 'app',
      port: await freePort(),
      dataDir,
      env: ctx.serverEnv,
      logFile: path.join(ctx.runDir, 'wallboard-app.log'),
    });
    const links: Signaling[] = [];
    try {
      const agents: { userId: string; link: Signaling; ready: boolean }[] = [];
      for (const u of agentUsers) {
        const link = await connectSeeded(server.url, u, 'bench agent');
        links.push(link);
        agents.push({ userId: u.userId, link, ready: false });
      }
      const sup = await connectSeeded(server.url, supUser!, 'bench supervisor');
      links.push(sup);
      const updates: { at: number; since: Map<string, number> }[] = [];
      sup.on('wallboard:update', ({ wallboard }: { wallboard: Wallboard }) => {
        updates.push({ at: performance.now(), since: new Map(wallboard.agents.map((a) => [a.agent.user.id, a.agent.since])) });
      });
      const ping: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await sup.request('session:ping', {});
        ping.push(performance.now() - t0);
      }
      await sup.request('wallboard:subscribe', {});

      // Open loop: one change every 1/rate s, whatever the answers do.
      const changes: { userId: string; sentAt: number; since: number }[] = [];
      const pending: Promise<void>[] = [];
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < windowSec * 1_000) {
        const a = agents[Math.floor(Math.random() * agents.length)]!;
        a.ready = !a.ready;
        const sentAt = performance.now();
        const status = a.ready ? { state: 'ready' as const } : { state: 'not-ready' as const, reason: 'break' };
        pending.push(
          a.link.request('agent:set', { status }).then(({ agent }) => {
            changes.push({ userId: a.userId, sentAt, since: agent.since });
          }),
        );
        n++;
        const due = start + (n * 1_000) / rate;
        await sleep(Math.max(0, due - performance.now()));
      }
      await Promise.all(pending);
      // Let the last changes show (≤ 1 s each; 3 s is generous), then measure.
      await sleep(3_000);
      const lateness: number[] = [];
      let neverShown = 0;
      for (const c of changes) {
        const u = updates.find((x) => x.at >= c.sentAt && (x.since.get(c.userId) ?? -1) >= c.since);
        if (u) lateness.push(u.at - c.sentAt);
        else neverShown++;
      }
      const latenessMs = summarize(lateness);
      const maxPerSecond = maxInWindow(
        updates.map((u) => u.at),
        1_000,
      );
      const pingP50Ms = round(summarize(ping).p50Ms);
      ctx.log(
        `wallboard: ${count} agents in ${queues} queues, ${changes.length} changes at ${rate}/s; lateness p50 ${latenessMs.p50Ms} p99 ${latenessMs.p99Ms} max ${latenessMs.maxMs} ms; ${updates.length} updates, at most ${maxPerSecond} in a second; ${neverShown} never shown`,
      );
      return {
        wallboard: {
          status: 'ok',
          agents: count,
          queues,
          rate,
          changes: changes.length,
          updates: updates.length,
          maxUpdatesPerSecond: maxPerSecond,
          neverShown,
          lateness: latenessMs,
          pingP50Ms,
        },
      };
    } finally {
      for (const l of links) l.disconnect();
      await server.stop();
    }
  },
};
