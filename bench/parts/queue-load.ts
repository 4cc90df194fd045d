/**
 * Part 8 — a support queue under load on two nodes (issue 14): N agents in one longest-idle
 * queue, calls at a fixed rate, agents changing state at random, and the first node SIGKILLed
 * halfway. The scenario and its checks are bench/lib/queue-load.ts and queue-analysis.ts (the
 * acceptance test tests/load/queue-load.test.ts runs the same at full size).
 *
 * Measured: the offer latency (a call queued while an agent was ready → `call:incoming` at the
 * agent) on the surviving node, against plain person-to-person time to ring (invite → the
 * callee's `call:incoming`) measured on that node in the same window; and the invariants
 * (no double offer, no lost call, an end reason for every call, one record per participant).
 *
 * The nodes are the built server bundle, each its own process, on one Redis and one PostgreSQL
 * (the Debian packages, on loopback ports, like the cluster tests).
 */
import path from 'node:path';
import { PostgresStorage } from '../../src/server/store/postgres.js';
import { startBalancer, type Balancer } from '../../tests/integration/cluster/support/balancer.js';
import { startPostgres, startRedis } from '../../tests/helpers/services.js';
import { exited } from '../lib/children.js';
import { LOAD_NODE_ENV, runQueueLoad, seedQueueLoad, summarizeQueueLoad, type QueueLoadSeed } from '../lib/queue-load.js';
import { cpuMs } from '../lib/proc.js';
import { freePort, ServerUnderTest } from '../lib/server-process.js';
import { round } from '../lib/stats.js';
import type { BenchPart } from '../lib/types.js';

export const queueLoadPart: BenchPart<'queueLoad'> = {
  name: 'queue',
  keys: ['queueLoad'],
  async run(ctx) {
    const sizes = ctx.sizes.queueLoad;
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const nodes: ServerUnderTest[] = [];
    const balancers: Balancer[] = [];
    try {
      const databaseUrl = await postgres.createDatabase('softphone');
      const storage = await PostgresStorage.connect(databaseUrl, { poolSize: 8 });
      let seed: QueueLoadSeed;
      try {
        seed = await seedQueueLoad(storage, (await storage.sharedSecrets()).jwtSecret, sizes);
      } finally {
        await storage.close();
      }
      const start = async (id: string) =>
        ServerUnderTest.start(ctx.build, {
          kind: 'app',
          port: await freePort(),
          dataDir: path.join(ctx.runDir, `queue-${id}`),
          env: { ...ctx.serverEnv, ...LOAD_NODE_ENV, NODE_ID: `queue-${id}`, REDIS_URL: redis.url, DATABASE_URL: databaseUrl },
          logFile: path.join(ctx.runDir, `queue-${id}.log`),
        });
      // One after the other: the first applies the schema, the second finds it applied.
      nodes.push(await start('a'));
      nodes.push(await start('b'));
      const [a, b] = nodes as [ServerUnderTest, ServerUnderTest];
      balancers.push(await startBalancer([a.spec.port, b.spec.port]), await startBalancer([b.spec.port, a.spec.port]));
      ctx.log(`queue: 2 nodes on Redis + PostgreSQL, ${sizes.agents} agents, ${sizes.rate} calls/s for ${sizes.durationSec} s, kill at ${sizes.killAtSec ?? '–'} s`);
      const cpuBefore = cpuMs(b.pid);
      const run = await runQueueLoad(
        seed,
        {
          balancers: [balancers[0]!.url, balancers[1]!.url],
          survivorUrl: b.url,
          databaseUrl,
          kill: async () => {
            a.child.kill('SIGKILL');
            await exited(a.child);
          },
        },
        { agents: ctx.build.workers.queueAgents, callers: ctx.build.workers.queueCallers, callLoad: ctx.build.workers.callLoad, nodeArgs: [] },
        sizes,
        (msg) => ctx.log(msg),
        ctx.runDir,
      );
      // The survivor's CPU from the connects to the drain, per call placed (robust to other load).
      const r = { ...summarizeQueueLoad(run, sizes, seed), survivorCpuMsPerCall: round((cpuMs(b.pid) - cpuBefore) / Math.max(1, run.analysis.counts.placed)) };
      const bad = Object.entries(r.invariants).filter(([k, v]) => k !== 'examples' && v !== 0);
      ctx.log(
        `queue: ${r.counts.placed} calls, ${r.counts.answered} answered; offer latency on the survivor p50 ${r.offerSurvivor.p50Ms} p99 ${r.offerSurvivor.p99Ms} ms over ${r.offerSurvivor.count} (person-to-person ring p99 ${r.baseline.p99Ms} ms); survivor CPU ${r.survivorCpuMsPerCall} ms per call; ${bad.length === 0 ? 'every invariant held' : `VIOLATED: ${bad.map(([k, v]) => `${k} ${String(v)}`).join(', ')}`}`,
      );
      return { queueLoad: r };
    } finally {
      for (const l of balancers) await l.close();
      await Promise.all(nodes.map((n) => n.stop()));
      await Promise.all([redis.stop(), postgres.stop()]);
    }
  },
};
