/** Every part, in run order. A new part is one module here plus its keys in lib/types.ts. */
import type { BenchPart, PartKey } from '../lib/types.js';
import { callSetupPart } from './call-setup.js';
import { idleCorePart } from './idle-core.js';
import { idlePart } from './idle.js';
import { pushPart } from './push.js';
import { reconnectStormPart } from './reconnect-storm.js';
import { timeToRingPart } from './time-to-ring.js';

export const PARTS: BenchPart<PartKey>[] = [
  idlePart,
  callSetupPart,
  reconnectStormPart,
  timeToRingPart,
  idleCorePart,
  pushPart,
] as BenchPart<PartKey>[];
