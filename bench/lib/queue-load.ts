/**
 * The queue load scenario of issue 14, shared by `npm run bench` (bench/parts/queue-load.ts,
 * the built server bundle) and the acceptance test (tests/load/queue-load.test.ts,
 * the sources): two nodes on one Redis and one PostgreSQL, one queue (longest-idle) with N agent
 * members spread over both nodes, callers placing calls to it at a fixed rate, agents changing
 * state at random, and one node SIGKILLed halfway. Its clients reconnect through their balancer
 * to the node that lives (like the cluster failover tests' clients).
 *
 *   balancer 0 → [killed node, survivor]   half the agents and callers
 *   balancer 1 → [survivor, killed node]   the other half
 *   survivor, direct                       the person-to-person baseline (call-load worker)
 *
 * The baseline: plain person-to-person calls (invite → the callee's `call:incoming`) placed on
 * the surviving node during the same window, so both figures share the machine's load.
 * What the devices saw and the durable records are checked by queue-analysis.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { QueueCreate } from '../../src/shared/protocol/index.js';
import type { Storage } from '../../src/server/store/types.js';
import type { AgentBehaviour } from '../workers/queue-agents.js';
import type { CallerPlan } from '../workers/queue-callers.js';
import type { LinkSpec } from '../workers/queue-link.js';
import { analyse, type QueueAnalysis, type RecordLite } from './queue-analysis.js';
import type { AgentLog, CallerLog } from './queue-log.js';
import { seedUsersInto, type SeededDevice } from './seed.js';
import { round, sleep, summarize } from './stats.js';
import type { QueueLoadResult } from './types.js';
import { WorkerHost } from './worker-host.js';

export const QUEUE_ID = 'load';

export interface QueueLoadSizes {
  agents: number;
  /** Caller devices, one call each at a time: ≥ rate × (max wait + talk) so none is ever short. */
  callers: number;
  /** Offered queue calls per second, for `durationSec`; the kill comes at `killAtSec` (null: none). */
  rate: number;
  durationSec: number;
  killAtSec: number | null;
  /** Person-to-person baseline on the survivor, same window: calls/s and devices. */
  baselineRate: number;
  baselineDevices: number;
}

/** The queue's settings: short rings and wrap-ups, so 200 agents can serve 50 calls/s. */
export const LOAD_QUEUE: QueueCreate = {
  id: QUEUE_ID,
  name: 'Load test',
  strategy: 'longest-idle',
  agentRingTimeoutSec: 2,
  wrapUpSec: 1,
  maxWaitSec: 15,
  serviceLevelSec: 5,
  joinEmpty: true,
};

/** Node settings the scenario needs (on top of the rate limits raised for load). */
export const LOAD_NODE_ENV: Record<string, string> = {
  // A dead node's devices and timers are taken over after 3 s (the failover tests' figure).
  NODE_TIMEOUT_MS: '3000',
  // Agents and callers of the dead node are back within a second; their state and calls wait.
  AGENT_GRACE_MS: '30000',
  CALL_RECONNECT_GRACE_MS: '30000',
  // A declining agent is left alone for 2 s (production default 10 s: too long for a 60 s run).
  AGENT_REJECT_DELAY_MS: '2000',
};

/**
 * People at work, briskly: an agent's cycle (ring, talk, 1 s wrap-up) is about 2.4 s, so 200
 * agents, a fifth of them on a break now and then, can take ~60 calls/s. At 50 calls/s some
 * agents are idle most of the time: the offer latency the issue names (a call queued with an
 * agent ready) is what most calls see, and the line drains after a node's death.
 */
export const AGENT_BEHAVIOUR: AgentBehaviour = {
  acceptDelayMs: [30, 300],
  declineShare: 0.04,
  ringOutShare: 0.02,
  breakEveryMs: [4_000, 10_000],
  breakShare: 0.2,
  breakMs: [1_000, 3_000],
  backAfterMissedMs: [300, 1_500],
};

export const CALLER_PLAN: Omit<CallerPlan, 'rate' | 'durationMs'> = {
  queue: QUEUE_ID,
  abandonShare: 0.1,
  patienceMs: [500, 6_000],
  talkMs: [300, 1_500],
};

export interface QueueLoadSeed {
  agents: SeededDevice[];
  callers: SeededDevice[];
  baseline: SeededDevice[];
}

/** Users, roles, the queue and its members, written before the nodes start. */
export async function seedQueueLoad(storage: Storage, jwtSecret: string, sizes: QueueLoadSizes): Promise<QueueLoadSeed> {
  const [agents, callers, baseline] = [
    await seedUsersInto(storage.accounts, jwtSecret, sizes.agents, 'qa'),
    await seedUsersInto(storage.accounts, jwtSecret, sizes.callers, 'qc'),
    await seedUsersInto(storage.accounts, jwtSecret, sizes.baselineDevices, 'qp'),
  ];
  await storage.queues.add(LOAD_QUEUE);
  for (const a of agents) {
    await storage.agents.setRoles(a.userId, ['agent']);
    await storage.queues.setMember(QUEUE_ID, a.userId);
  }
  return { agents, callers, baseline };
}

export interface QueueLoadCluster {
  /** Balancer URLs: [0] prefers the node that is killed, [1] the survivor. */
  balancers: [string, string];
  /** The surviving node itself (the baseline's devices connect straight to it). */
  survivorUrl: string;
  databaseUrl: string;
  /** SIGKILL of the first node; resolves once it is gone. */
  kill(): Promise<void>;
}

/** Worker entry points: bundles (bench) or sources run with `--import tsx` (the test). */
export interface QueueLoadWorkers {
  agents: string;
  callers: string;
  callLoad: string;
  nodeArgs: string[];
}

export interface QueueLoadRun {
  analysis: QueueAnalysis;
  /** Person-to-person invite → callee's `call:incoming` (ms), same window, on the survivor. */
  baselineRingMs: number[];
  baselineErrors: number;
  killAt: number | null;
  startedAt: number;
  /** Calls still up when the drain gave up (the analysis counts them as lost). */
  unresolvedAfterDrain: number;
  /** How long the drain after the last invite took (s). */
  drainSec: number;
}

const spec = (d: SeededDevice, lb: number): LinkSpec => ({ userId: d.userId, username: d.username, deviceId: d.deviceId, accessToken: d.accessToken, lb });

/** The nodes as the analysis names them. */
export const NODE_KILLED = 'killed';
export const NODE_SURVIVOR = 'survivor';

export async function runQueueLoad(
  seed: QueueLoadSeed,
  cluster: QueueLoadCluster,
  workers: QueueLoadWorkers,
  sizes: QueueLoadSizes,
  log: (msg: string) => void,
  /** Write the devices' logs and the records read here (queue-load-logs.json), to study a failure. */
  dumpDir?: string,
): Promise<QueueLoadRun> {
  const agentsW = WorkerHost.start('queue-agents', workers.agents, {}, workers.nodeArgs);
  const callersW = WorkerHost.start('queue-callers', workers.callers, {}, workers.nodeArgs);
  const baselineW = WorkerHost.start('queue-baseline', workers.callLoad, {}, workers.nodeArgs);
  try {
    const t0 = performance.now();
    await Promise.all([
      agentsW.request('connect', { urls: cluster.balancers, agents: seed.agents.map((d, i) => spec(d, i % 2)), behaviour: AGENT_BEHAVIOUR }),
      callersW.request('connect', { urls: cluster.balancers, callers: seed.callers.map((d, i) => spec(d, i % 2)) }),
      baselineW.request('connect', { url: cluster.survivorUrl, devices: seed.baseline, mode: 'app' }),
    ]);
    const { ready } = await agentsW.request<{ ready: number }>('start');
    log(`queue-load: ${seed.agents.length} agents (${ready} ready), ${seed.callers.length} callers connected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const startedAt = performance.timeOrigin + performance.now();
    const durationMs = sizes.durationSec * 1000;
    const placing = callersW.request<{ placed: number; skipped: number }>('run', { ...CALLER_PLAN, rate: sizes.rate, durationMs });
    const baseline = baselineW.request<{ ring: number[]; errors: number }>('run', {
      rate: sizes.baselineRate,
      durationMs,
      drainMs: 5_000,
      record: true,
    });
    let killAt: number | null = null;
    const killing =
      sizes.killAtSec === null
        ? Promise.resolve()
        : sleep(sizes.killAtSec * 1000).then(async () => {
            killAt = performance.timeOrigin + performance.now();
            await cluster.kill();
            log(`queue-load: first node killed (SIGKILL) at ${sizes.killAtSec} s`);
          });
    const [placed, base] = await Promise.all([placing, baseline, killing]);
    log(`queue-load: ${placed.placed} calls placed (${placed.skipped} skipped: no free caller)`);
    await agentsW.request('stop');
    const drainStart = performance.now();
    const maxCallMs = (LOAD_QUEUE.maxWaitSec! + 5) * 1000 + CALLER_PLAN.talkMs[1];
    const { unresolved } = await callersW.request<{ unresolved: number }>('drain', { timeoutMs: maxCallMs + 10_000 });
    const drainSec = (performance.now() - drainStart) / 1000;
    // Offers and wrap-ups of the last calls settle on the agents' devices.
    await sleep(1_500);
    const endOfRun = performance.timeOrigin + performance.now();
    const [agentLogs, callerLog] = await Promise.all([agentsW.request<AgentLog[]>('report'), callersW.request<CallerLog>('report')]);
    const records = await readRecords(cluster.databaseUrl, callerLog.calls.map((c) => c.callId));
    const kill = killAt as number | null;
    if (dumpDir) {
      const file = path.join(dumpDir, 'queue-load-logs.json');
      fs.writeFileSync(file, JSON.stringify({ killAt: kill, startedAt, endOfRun, agents: agentLogs, callers: callerLog, records: Object.fromEntries(records) }));
      log(`queue-load: device logs and records in ${file}`);
    }
    const analysis = analyse({
      agents: agentLogs,
      callers: callerLog,
      records,
      killAt: kill,
      endOfRun,
      nodeOf: (lb, connectedAt) => (lb === 1 || (kill !== null && connectedAt >= kill) ? NODE_SURVIVOR : NODE_KILLED),
    });
    return { analysis, baselineRingMs: base.ring, baselineErrors: base.errors, killAt: kill, startedAt, unresolvedAfterDrain: unresolved, drainSec };
  } finally {
    await Promise.all([agentsW.stop(), callersW.stop(), baselineW.stop()]);
  }
}

/** Every history record of these calls, with its owner (recordsForCall does not return the owner). */
async function readRecords(databaseUrl: string, callIds: string[]): Promise<Map<string, RecordLite[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ call_id: string; user_id: string; end_reason: string; queue_outcome: string | null }>(
      'SELECT call_id, user_id, end_reason, queue_outcome FROM history WHERE call_id = ANY($1::text[])',
      [callIds],
    );
    const out = new Map<string, RecordLite[]>();
    for (const r of rows) {
      const list = out.get(r.call_id) ?? [];
      list.push({ userId: r.user_id, endReason: r.end_reason, queueOutcome: r.queue_outcome });
      out.set(r.call_id, list);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Violation counts that must all be 0 (the invariants). */
export function violations(r: QueueAnalysis): Record<string, number> {
  const { examples: _examples, ...counts } = r.invariants;
  return counts;
}

/** Seconds after the kill that `offerSurvivorSettled` leaves out (NODE_TIMEOUT_MS is 3 s). */
const SETTLE_SEC = 5;

/** The figures latest.json keeps (and the acceptance test asserts). */
export function summarizeQueueLoad(run: QueueLoadRun, sizes: QueueLoadSizes, seed: QueueLoadSeed): QueueLoadResult {
  const s = run.analysis.samples;
  const ms = (pick: (x: (typeof s)[number]) => boolean, from: 'ms' | 'fromSendMs' = 'ms') =>
    summarize(s.filter(pick).map((x) => x[from]));
  const offerSurvivorFromSend = ms((x) => x.node === NODE_SURVIVOR, 'fromSendMs');
  const kill = run.killAt;
  const settling = (at: number) => kill !== null && at >= kill && at < kill + SETTLE_SEC * 1000;
  const baseline = summarize(run.baselineRingMs);
  return {
    status: 'ok',
    agents: seed.agents.length,
    callers: seed.callers.length,
    rate: sizes.rate,
    durationSec: sizes.durationSec,
    killAtSec: sizes.killAtSec,
    counts: run.analysis.counts,
    invariants: run.analysis.invariants,
    observations: run.analysis.observations,
    invariantsHeld: Object.values(violations(run.analysis)).every((n) => n === 0),
    offerSurvivor: ms((x) => x.node === NODE_SURVIVOR),
    offerKilledNode: ms((x) => x.node === NODE_KILLED),
    offerAfterKill: ms((x) => x.afterKill),
    offerSurvivorSettled: ms((x) => x.node === NODE_SURVIVOR && !settling(x.at)),
    settleSec: SETTLE_SEC,
    offerAll: ms(() => true),
    offerSurvivorFromSend,
    neverOffered: s.filter((x) => x.neverOffered).length,
    baseline,
    baselineErrors: run.baselineErrors,
    p99RatioToBaseline: round(offerSurvivorFromSend.p99Ms / baseline.p99Ms),
    unresolvedAfterDrain: run.unresolvedAfterDrain,
    drainSec: round(run.drainSec, 1),
  };
}

/** The figures without the distributions, for a log line or a test's output. */
export function briefQueueLoad(r: QueueLoadResult): Record<string, unknown> {
  const short = (l: { count: number; p50Ms: number; p99Ms: number; maxMs: number }) => ({ count: l.count, p50Ms: l.p50Ms, p99Ms: l.p99Ms, maxMs: l.maxMs });
  return {
    counts: r.counts,
    violations: Object.fromEntries(Object.entries(r.invariants).filter(([k, v]) => k !== 'examples' && v !== 0)),
    examples: r.invariants.examples,
    observations: r.observations,
    offerSurvivor: short(r.offerSurvivor),
    offerKilledNode: short(r.offerKilledNode),
    offerAfterKill: short(r.offerAfterKill),
    offerSurvivorSettled: short(r.offerSurvivorSettled),
    offerSurvivorFromSend: short(r.offerSurvivorFromSend),
    neverOffered: r.neverOffered,
    baseline: short(r.baseline),
    p99RatioToBaseline: r.p99RatioToBaseline,
    unresolvedAfterDrain: r.unresolvedAfterDrain,
    drainSec: r.drainSec,
  };
}
