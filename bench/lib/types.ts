/**
 * The shape of `bench/results/latest.json` and the contract every part
 * module (`bench/parts/<name>.ts`) fulfils. Keys named by the task
 * (machine, quick, idle, callSetup, reconnectStorm, timeToRing, timeToAudio,
 * idleCore, push) never change; parts may add fields.
 */
import type { Mode, Sizes } from './modes.js';
import type { BuildOutput } from './build.js';
import type { Contention } from './proc.js';
import type { QueueCounts, QueueInvariants } from './queue-analysis.js';
import type { Violation } from './queue-timeline.js';

/** A part that depends on work not merged yet reports this instead of numbers. */
export interface Pending {
  status: 'pending';
  /** What it waits for, in words. */
  reason: string;
}

/** A part left out of this run with `--only`. */
export interface Skipped {
  status: 'skipped';
}

/** A part that crashed: the run goes on, the figure is missing and the run exits non-zero. */
export interface Failed {
  status: 'failed';
  error: string;
}

export interface MemoryPoint {
  devices: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface IdleResult {
  status: 'ok';
  devices: number;
  /** Server RSS per connected idle device (slope of RSS over the device steps). */
  bytesPerDevice: number;
  baselineBytesPerDevice: number;
  /** bytesPerDevice / baselineBytesPerDevice (target ≤ 1.3). */
  ratio: number;
  /** JS heap (after gc) per device, ours and the bare socket.io server's. */
  heapBytesPerDevice: number;
  baselineHeapBytesPerDevice: number;
  heapRatio: number;
  /** Server CPU over the idle window, percent of one core. */
  idleCpuPercent: number;
  baselineIdleCpuPercent: number;
  idleWindowSec: number;
  heartbeatIntervalMs: number;
  pingIntervalMs: number;
  memory: MemoryPoint[];
  baselineMemory: MemoryPoint[];
  connectSeconds: number;
  baselineConnectSeconds: number;
}

/** Latency percentiles (ms) plus a coarse CDF for the plots. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** [ms, fraction ≤ ms] points. */
  cdf: [number, number][];
}

export interface CallRate {
  /** Offered calls per second. */
  rate: number;
  /** Calls actually placed per second in the window (open loop; lower when no device pair was free). */
  achievedRate: number;
  /** invite sent → callee's `call:incoming`. */
  p50Ms: number;
  p99Ms: number;
  /** Bare socket.io request/ack round trip at the same rate. */
  baselineP50Ms: number;
  baselineP99Ms: number;
  /** accept sent → caller's `call:answered`. */
  answerP50Ms: number;
  answerP99Ms: number;
  /** hangup sent → its ack (both history records committed). */
  hangupP99Ms: number;
  errors: number;
  /** Error acks by `<request>:<code>`. */
  errorCodes: Record<string, number>;
  /** Calls not completed within the drain timeout. */
  unfinished: number;
  /** Offered calls dropped because no free pair was available. */
  skipped: number;
  serverCpuPercent: number;
  baselineServerCpuPercent: number;
  /** Server CPU time per call placed (ms): robust to other load on the machine. */
  serverCpuMsPerCall: number;
  /** Bare server CPU time per round trip (ms). */
  baselineCpuMsPerRoundTrip: number;
  /** CPU the load generators spent per call (ms): they share the machine's cores with the server. */
  generatorCpuMsPerCall: number;
  /** Event-loop delay p99 of the busiest generator: high values mean the generators, not the server, limit. */
  generatorLoopDelayP99Ms: number;
  ring: LatencySummary;
  answer: LatencySummary;
  baseline: LatencySummary;
}

export interface CallSetupResult {
  status: 'ok';
  devices: number;
  windowSec: number;
  rates: CallRate[];
  /** Highest offered rate whose ring and answer p99 were both under 50 ms (0 if none). */
  maxRateP99Under50Ms: number;
  /** p99 (invite → incoming) / bare round-trip p99, at 200 calls/s (target ≤ 1.5). */
  p99RatioAt200: number;
  /** Rates not run because a lower one was already saturated. */
  stoppedAfterRate: number | null;
  calls: number;
}

export interface StormCurvePoint {
  /** Seconds since SIGTERM. */
  t: number;
  registered: number;
}

export interface ReconnectStormResult {
  status: 'ok';
  devices: number;
  /** SIGTERM → last device connected and synced. */
  seconds: number;
  /** New server process listening → last device synced. */
  secondsAfterReady: number;
  /** SIGTERM until the new process accepts connections (= drainSeconds + startupSeconds). */
  restartSeconds: number;
  /** SIGTERM → old process exited (graceful drain: tell clients, close sockets, finish writes). */
  drainSeconds: number;
  /** New process spawned → listening (module loading, database open, recovery of calls). */
  startupSeconds: number;
  lostDevices: number;
  lostRecords: number;
  /** Calls checked in the database (completed before, answered across, ringing at the restart). */
  callsChecked: { completedBefore: number; answeredAcross: number; ringingAtRestart: number };
  /** Calls whose outcome in the database is not what it should be. */
  wrongOutcomes: number;
  /** CPU of the new server process from its start until all devices were back (s). */
  serverCpuSeconds: number;
  /** CPU of the generator processes (the cores) from SIGTERM until all were back (s). */
  generatorCpuSeconds: number;
  /** Same N bare socket.io clients with the core's reconnect policy, bare server restarted. */
  baselineSeconds: number;
  baselineServerCpuSeconds: number;
  baselineLost: number;
  curve: StormCurvePoint[];
  baselineCurve: StormCurvePoint[];
}

export interface PercentileMs {
  status: 'ok';
  medianMs: number;
  p95Ms: number;
}

/** One milestone of a call's set-up: ms since the interval's start (median / p95 over the calls). */
export interface Milestone {
  step: string;
  medianMs: number;
  p95Ms: number;
  /** Calls where the milestone was seen (some are skipped by the browser, e.g. ICE 'completed'). */
  count: number;
}

/** Part 4, time to ring: the caller's core sends the invite → the callee's incoming-call view is on screen. */
export interface TimeToRingResult extends PercentileMs {
  /** Measured calls that completed (ring and two-way audio). */
  calls: number;
  /** Calls that did not complete, with why (they count in neither figure). */
  failedCalls: number;
  errors: string[];
  /** The same from the caller's click on "Call" (adds the harness's page → core hop). */
  fromClickMedianMs: number;
  fromClickP95Ms: number;
  maxMs: number;
  /** Per measured call, in order (ms). */
  samplesMs: number[];
  /** The first (warm-up, unmeasured) call: new browsers, first microphone open. */
  warmupMs: number[];
  breakdown: Milestone[];
  /** Each page's clock minus the runner's (epoch ms), with the round trip that bounds it. */
  clockOffsetsMs: { page: string; offsetMs: number; rttMs: number }[];
}

/** Part 4, time to audio: the callee's accept leaves its socket → the caller decodes the callee's tone. */
export interface TimeToAudioResult extends PercentileMs {
  calls: number;
  fromClickMedianMs: number;
  fromClickP95Ms: number;
  maxMs: number;
  samplesMs: number[];
  warmupMs: number[];
  /** The other direction, same calls: accept → the callee decodes the caller's tone. */
  calleeMedianMs: number;
  calleeP95Ms: number;
  /**
   * The desktop's host ↔ page hops on this path (medians, ms): the harness's core sits in the
   * runner and reaches its page through the DevTools protocol (the Electron app: IPC). Each
   * waits for the page's main thread, so it also shows how busy the renderer and the CPUs were.
   * snapshot: the call's active state to the page; offer: the renderer's offer to the core
   * (from setLocalDescription); answer: the far end's answer to the page.
   */
  harnessHopsMs: { snapshotMedianMs: number; offerMedianMs: number; answerMedianMs: number; totalMedianMs: number };
  breakdown: Milestone[];
}

export interface IdleCoreResult {
  status: 'ok';
  windowSec: number;
  wakeupsPerMin: number;
  cpuMsPerMin: number;
  /** A bare socket.io client (transport ping only) in the same conditions. */
  baselineWakeupsPerMin: number;
  baselineCpuMsPerMin: number;
  /** Where the fired timers were created (top frames), with counts. */
  wakeupSources: { source: string; count: number }[];
  /** Garbage collections during the window (their CPU is in cpuMsPerMin). */
  gcInWindow: { count: number; ms: number };
  heartbeatIntervalMs: number;
}

/** Invite → push request received by one provider's stand-in. */
export interface PushProviderResult {
  provider: 'apns' | 'fcm';
  invites: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Invite → the caller's ack, same invites (the push leaves after the durable journal row). */
  inviteAckP50Ms: number;
  inviteAckP99Ms: number;
  /** Unmeasured first invites: the server's first push opens the HTTP/2 connection (FCM: fetches the OAuth token). */
  warmupMs: number[];
  /** Invites whose push never arrived within the timeout (they count as misses, not as latencies). */
  missing: number;
  latency: LatencySummary;
}

export interface PushResult {
  status: 'ok';
  /** APNs (the target): invite → request received by the APNs stand-in. */
  p99Ms: number;
  p50Ms: number;
  apns: PushProviderResult;
  fcm: PushProviderResult | null;
}

/** Part 9, the wallboard: a change → the supervisor's device receives the update showing it. */
export interface WallboardResult {
  status: 'ok';
  agents: number;
  queues: number;
  /** Agent state changes per second (open loop). */
  rate: number;
  changes: number;
  updates: number;
  /** Most `wallboard:update`s the supervisor received in any second (target ≤ 4). */
  maxUpdatesPerSecond: number;
  /** Changes no update showed within 3 s of the window's end. */
  neverShown: number;
  lateness: LatencySummary;
  pingP50Ms: number;
}

/** Part 7, agent timers: how late the server's agent timers reach the agent's device. */
export interface AgentTimersResult {
  status: 'ok';
  agents: number;
  rounds: number;
  /** Offer deadline → the agent's device receives not-ready (missed) (target: max ≤ 100 ms). */
  rona: LatencySummary;
  /** Wrap-up deadline → the agent's device receives the state after wrap-up. */
  wrapUp: LatencySummary;
  /** `session:ping` round trip in the same run: the floor of any server → device figure. */
  pingP50Ms: number;
}

/**
 * Part 8, queue load (issue 14): N agents in one queue on two nodes (Redis + PostgreSQL),
 * calls at a fixed rate, agents changing state at random, the first node SIGKILLed halfway.
 * Latencies: a call queued while an agent was ready → `call:incoming` at the agent.
 */
export interface QueueLoadResult {
  status: 'ok';
  agents: number;
  callers: number;
  rate: number;
  durationSec: number;
  killAtSec: number | null;
  counts: QueueCounts;
  invariants: QueueInvariants;
  /** Calls worth a look that break no invariant (queue-analysis.ts). */
  observations: Violation[];
  /** Every invariant held: every violation count is 0. */
  invariantsHeld: boolean;
  /** Offers to agents on the surviving node, from the call's enqueue (the target: p99 ≤ 50 ms). */
  offerSurvivor: LatencySummary;
  /** Offers to agents on the node that was killed (before the kill). */
  offerKilledNode: LatencySummary;
  /** Calls queued after the kill (all on the survivor). */
  offerAfterKill: LatencySummary;
  /**
   * The survivor's offers without the calls queued in the first seconds after the kill
   * (`settleSec`: its clients reconnect, it takes over the dead node's timers): where the
   * failover's tail is, not a target.
   */
  offerSurvivorSettled: LatencySummary;
  settleSec: number;
  offerAll: LatencySummary;
  /** The survivor's offers from the invite leaving the caller (adds the enqueue round trip). */
  offerSurvivorFromSend: LatencySummary;
  /** Calls queued with a ready agent that were never offered (they count with their time to the end). */
  neverOffered: number;
  /** Person-to-person invite → callee's `call:incoming` on the survivor, same window. */
  baseline: LatencySummary;
  baselineErrors: number;
  /** offerSurvivorFromSend p99 / baseline p99 (both from the invite leaving the caller). */
  p99RatioToBaseline: number;
  unresolvedAfterDrain: number;
  drainSec: number;
  /** CPU of the surviving node from the connects to the drain, per call placed (bench only). */
  survivorCpuMsPerCall?: number;
}

export interface MachineInfo {
  cpus: number;
  node: string;
  cpuModel: string;
  memGiB: number;
  platform: string;
  kernel: string;
  /** Per-process open-file limit (caps how many sockets one process can hold). */
  nofileLimit: number;
}

/** Everything the parts produce, keyed as in latest.json. */
export interface PartResults {
  idle: IdleResult | Failed | Skipped;
  callSetup: CallSetupResult | Failed | Skipped;
  reconnectStorm: ReconnectStormResult | Failed | Skipped;
  timeToRing: TimeToRingResult | Pending | Failed | Skipped;
  timeToAudio: TimeToAudioResult | Pending | Failed | Skipped;
  idleCore: IdleCoreResult | Failed | Skipped;
  push: PushResult | Pending | Failed | Skipped;
  wallboard?: WallboardResult | Failed | Skipped;
  agentTimers: AgentTimersResult | Failed | Skipped;
  queueLoad: QueueLoadResult | Failed | Skipped;
}

export type PartKey = keyof PartResults;

export interface TargetCheck {
  id: string;
  label: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface BenchResults extends PartResults {
  schemaVersion: 1;
  generatedAt: string;
  mode: Mode;
  quick: boolean;
  machine: MachineInfo;
  durationSec: number;
  command: string;
  /** Environment the server under test ran with (rate limits raised for load generation). */
  serverEnv: Record<string, string>;
  sizes: Sizes;
  /** Machine load before and after each part (other work shares these cores). */
  load: Record<string, { before: Contention; after: Contention }>;
  targets: TargetCheck[];
}

export interface PartContext {
  mode: Mode;
  sizes: Sizes;
  build: BuildOutput;
  /** Scratch folder of this run (data dirs, server logs); removed at the end unless kept. */
  runDir: string;
  /** Environment every server under test gets (rate limits, log level). */
  serverEnv: Record<string, string>;
  /** Run the app server with `--cpu-prof` during the call-setup part. */
  profile: boolean;
  /** Where `--profile` writes CPU profiles (git-ignored dist/bench/profiles for the default output). */
  profileDir: string;
  log(message: string): void;
}

/** One part of the benchmark: fills some keys of latest.json. */
export interface BenchPart<K extends PartKey = PartKey> {
  /** Short id, used by `--only`. */
  name: string;
  keys: readonly K[];
  run(ctx: PartContext): Promise<Pick<PartResults, K>>;
}
