/**
 * Every part, in run order. A new part is one module here plus its keys in lib/types.ts.
 * The quiet measurements (idle core, time to ring / audio, push) run before the reconnect
 * storm, whose 2 000 exiting cores load both CPUs for several seconds after it ends.
 */
import type { BenchPart, PartKey } from '../lib/types.js';
import { callSetupPart } from './call-setup.js';
import { idleCorePart } from './idle-core.js';
import { idlePart } from './idle.js';
import { agentTimersPart } from './agent-timers.js';
import { pushPart } from './push.js';
import { queueLoadPart } from './queue-load.js';
import { reconnectStormPart } from './reconnect-storm.js';
import { timeToRingPart } from './time-to-ring.js';
import { wallboardPart } from './wallboard.js';

export const PARTS: BenchPart<PartKey>[] = [
  idlePart,
  idleCorePart,
  callSetupPart,
  timeToRingPart,
  pushPart,
  wallboardPart,
  agentTimersPart,
  queueLoadPart,
  reconnectStormPart,
] as BenchPart<PartKey>[];
