/**
 * What every device of a queue load run saw of some calls, in time order, from the run's
 * queue-load-logs.json (`npm run bench -- --only queue --keep`: in the scratch folder;
 * the acceptance test: QUEUE_LOAD_DUMP=<dir>). Times are seconds since the load started.
 *
 *   npx tsx bench/queue-trace.ts <queue-load-logs.json> <callId> [<callId>…]
 *
 * With no call id: the checks' verdict (bench/lib/queue-analysis.ts) with examples.
 */
import fs from 'node:fs';
import { analyse, type RecordLite } from './lib/queue-analysis.js';
import type { AgentLog, CallerLog } from './lib/queue-log.js';
import { NODE_KILLED, NODE_SURVIVOR } from './lib/queue-load.js';

interface Dump {
  killAt: number | null;
  startedAt: number;
  endOfRun: number;
  agents: AgentLog[];
  callers: CallerLog;
  records: Record<string, RecordLite[]>;
}

const [file, ...callIds] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/queue-trace.ts <queue-load-logs.json> [<callId>…]');
  process.exit(2);
}
const d = JSON.parse(fs.readFileSync(file, 'utf8')) as Dump;
const s = (t: number | null) => (t === null ? '–' : ((t - d.startedAt) / 1000).toFixed(3));
console.log(`kill at ${s(d.killAt)} s, end of run ${s(d.endOfRun)} s`);

if (callIds.length === 0) {
  const kill = d.killAt;
  const r = analyse({
    agents: d.agents,
    callers: d.callers,
    records: new Map(Object.entries(d.records)),
    killAt: kill,
    endOfRun: d.endOfRun,
    nodeOf: (lb, connectedAt) => (lb === 1 || (kill !== null && connectedAt >= kill) ? NODE_SURVIVOR : NODE_KILLED),
  });
  const { examples, ...inv } = r.invariants;
  console.log(JSON.stringify({ counts: r.counts, violations: Object.fromEntries(Object.entries(inv).filter(([, v]) => v !== 0)), examples, observations: r.observations }, null, 2));
}

for (const id of callIds) {
  const c = d.callers.calls.find((x) => x.callId === id);
  console.log(`\n=== call ${id}`);
  if (c) {
    const times = Object.entries(c).filter(([k, v]) => k.endsWith('At') && typeof v === 'number');
    console.log(`caller ${c.callerId} (balancer ${c.lb}): ${times.map(([k, v]) => `${k} ${s(v as number)}`).join(', ')}`);
    console.log(`  end ${c.endReason ?? '–'}, ack error ${c.ackError ?? '–'}, answered by ${c.answeredBy ?? '–'}, patience ${c.patienceMs === null ? '–' : Math.round(c.patienceMs)} ms`);
  }
  console.log(`records: ${JSON.stringify(d.records[id] ?? [])}`);
  for (const a of d.agents) {
    const mine = a.events.filter((e) => ('callId' in e && e.callId === id) || (e.kind === 'synced' && [...e.ringing, ...e.active].includes(id)));
    if (mine.length === 0) continue;
    console.log(`agent ${a.username} ${a.userId} (balancer ${a.lb}), connected ${a.epochs.map((e) => `${s(e.connectedAt)}–${s(e.disconnectedAt)}`).join(', ')}`);
    for (const e of mine) {
      const { t, kind, ...rest } = e;
      console.log(`  ${s(t).padStart(8)} ${kind} ${JSON.stringify(rest)}`);
    }
  }
}
