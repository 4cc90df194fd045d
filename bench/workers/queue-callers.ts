/**
 * Load generator: the callers of the queue load test (bench/lib/queue-load.ts). Places calls
 * to one queue at a fixed offered rate (open loop: a call is due at its time whatever the
 * earlier ones are doing), each from a caller device that has no call up. A caller whose call
 * is answered talks for a short random time and hangs up; some callers give up waiting
 * (`call:cancel`, abandoned) after a random patience. A device whose node dies reconnects
 * through its balancer, re-syncs its call and carries on (bench/workers/queue-link.ts).
 */
import { randomUUID } from 'node:crypto';
import type { CallerCall, CallerLog } from '../lib/queue-log.js';
import { openLoop } from '../lib/open-loop.js';
import { serveCommands } from '../lib/worker-protocol.js';
import { epochNow, type Link, openLinks, uniform, type Ack, type LinkSpec } from './queue-link.js';

export interface CallerPlan {
  queue: string;
  rate: number;
  durationMs: number;
  /** Share of callers who give up waiting after a patience uniform in [lo, hi] ms. */
  abandonShare: number;
  patienceMs: [number, number];
  /** Answered → the caller hangs up after [lo, hi] ms. */
  talkMs: [number, number];
}

interface CallViewLite {
  callId: string;
  state: string;
  callee: { id: string };
  endReason: string | null;
  outcome: string | null;
  queuedAt?: number | null;
}

interface Caller {
  spec: LinkSpec;
  link: Link;
  call: CallerCall | null;
}

let callers: Caller[] = [];
let free: Caller[] = [];
let plan: CallerPlan;
const calls: CallerCall[] = [];
let skipped = 0;
const errorCodes = new Map<string, number>();
const waiters: (() => void)[] = [];

const noteError = (what: string) => errorCodes.set(what, (errorCodes.get(what) ?? 0) + 1);
const unresolved = () => calls.filter((c) => !done(c)).length;
const done = (c: CallerCall) => c.endedAt !== null || c.neverPlaced || (c.ackError !== null && c.ackError !== 'timeout');

function release(caller: Caller, c: CallerCall): void {
  if (caller.call !== c) return;
  caller.call = null;
  free.push(caller);
  if (unresolved() === 0) for (const w of waiters.splice(0)) w();
}

function ended(caller: Caller, c: CallerCall, view: CallViewLite): void {
  if (c.endedAt === null) {
    c.endedAt = epochNow();
    c.endReason = view.endReason;
    c.outcome = view.outcome;
  }
  release(caller, c);
}

function answered(caller: Caller, c: CallerCall, view: CallViewLite, at = epochNow()): void {
  if (c.answeredAt !== null || c.endedAt !== null) return;
  c.answeredAt = at;
  c.answeredBy = view.callee.id;
  setTimeout(() => void finish(caller, c, 'call:hangup'), uniform(...plan.talkMs));
}

/** Hangs up (after talking) or gives up waiting; retried once across a reconnect. */
async function finish(caller: Caller, c: CallerCall, event: 'call:hangup' | 'call:cancel'): Promise<void> {
  if (c.endedAt !== null || caller.call !== c) return;
  if (event === 'call:cancel') {
    if (c.answeredAt !== null) return;
    c.cancelledAt ??= epochNow();
  } else c.hangupAt ??= epochNow();
  for (let attempt = 0; attempt < 2; attempt++) {
    await caller.link.whenConnected();
    const ack: Ack<{ call: CallViewLite }> = await caller.link.request(event, { callId: c.callId });
    if (ack.ok) {
      if (ack.data.call.state === 'ended') ended(caller, c, ack.data.call);
      return;
    }
    if (ack.error.code !== 'timeout') {
      // `conflict`: answered in the meantime (then the caller talks and hangs up) or over already.
      noteError(`${event.slice(5)}:${ack.error.code}`);
      return;
    }
  }
}

function place(): void {
  const i = Math.floor(Math.random() * free.length);
  const caller = free[i];
  if (!caller) {
    skipped++;
    return;
  }
  free[i] = free[free.length - 1]!;
  free.pop();
  const abandon = Math.random() < plan.abandonShare;
  const c: CallerCall = {
    callId: randomUUID(),
    callerId: caller.spec.userId,
    lb: caller.spec.lb,
    sentAt: epochNow(),
    ackAt: null,
    ackError: null,
    queuedAt: null,
    waitingUpdates: 0,
    answeredAt: null,
    answeredBy: null,
    endedAt: null,
    endReason: null,
    outcome: null,
    patienceMs: abandon ? uniform(...plan.patienceMs) : null,
    cancelledAt: null,
    hangupAt: null,
    neverPlaced: false,
  };
  caller.call = c;
  calls.push(c);
  void caller.link.request<{ call: CallViewLite }>('call:invite', { to: { queue: plan.queue }, callId: c.callId }).then((ack) => {
    c.ackAt = epochNow();
    if (!ack.ok) {
      c.ackError = ack.error.code;
      noteError(`invite:${ack.error.code}`);
      // A lost ack (its node died, or the link dropped) is settled by a sync once connected;
      // any other error placed no call.
      if (ack.error.code === 'timeout') void resync(caller);
      else release(caller, c);
      return;
    }
    c.queuedAt = ack.data.call.queuedAt ?? null;
    if (ack.data.call.state === 'ended') ended(caller, c, ack.data.call);
    else if (ack.data.call.state === 'answered') answered(caller, c, ack.data.call, c.ackAt);
  });
  if (c.patienceMs !== null) setTimeout(() => void finish(caller, c, 'call:cancel'), c.patienceMs);
}

/** After a reconnect (or a lost invite ack): what became of the caller's call meanwhile. */
async function resync(caller: Caller): Promise<void> {
  const c = caller.call;
  let sync: Ack<{ calls: CallViewLite[]; ended: CallViewLite[] }> | undefined;
  for (let attempt = 0; attempt < 5 && !sync?.ok; attempt++) {
    await caller.link.whenConnected();
    sync = await caller.link.request('session:sync', { calls: c ? [c.callId] : [] });
  }
  if (!sync?.ok || !c || caller.call !== c) return;
  const live = sync.data.calls.find((x) => x.callId === c.callId);
  const over = sync.data.ended.find((x) => x.callId === c.callId);
  if (over) ended(caller, c, over);
  else if (live?.state === 'answered') answered(caller, c, live);
  else if (!live && c.ackError === 'timeout') {
    // No node has the call: its invite was lost with its node, or the call ended at once
    // (refused calls are not kept live); the durable records tell which (queue-analysis.ts).
    c.neverPlaced = true;
    release(caller, c);
  }
}

serveCommands({
  async connect(args: { urls: string[]; callers: LinkSpec[] }) {
    callers = args.callers.map((spec) => ({ spec, link: undefined as unknown as Link, call: null }));
    const bySpec = new Map(callers.map((c) => [c.spec.deviceId, c]));
    const links = await openLinks(args.callers, args.urls, (link) => {
      const caller = bySpec.get(link.spec.deviceId)!;
      const first = caller.link === undefined;
      caller.link = link;
      if (!first) void resync(caller);
    });
    for (const link of links) {
      const caller = bySpec.get(link.spec.deviceId)!;
      const mine = (callId: string) => (caller.call?.callId === callId ? caller.call : null);
      link.socket.on('call:answered', (p: { call: CallViewLite }) => {
        const c = mine(p.call.callId);
        if (c) answered(caller, c, p.call);
      });
      link.socket.on('call:ended', (p: { call: CallViewLite }) => {
        const c = mine(p.call.callId);
        if (c) ended(caller, c, p.call);
      });
      link.socket.on('queue:waiting', (p: { callId: string }) => {
        const c = mine(p.callId);
        if (c) c.waitingUpdates++;
      });
    }
    free = [...callers];
    return { connected: links.length };
  },

  /** Offers `rate` calls/s for `durationMs`; resolves when the last one is placed. */
  async run(args: CallerPlan) {
    plan = args;
    const startedAt = epochNow();
    await openLoop(args.rate, args.durationMs, place);
    return { placed: calls.length, skipped, startedAt };
  },

  /** Waits until every call is answered and hung up or ended otherwise (or `timeoutMs`). */
  async drain(args: { timeoutMs: number }) {
    if (unresolved() > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, args.timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return { unresolved: unresolved() };
  },

  report(): CallerLog {
    return {
      calls,
      skipped,
      errorCodes: Object.fromEntries(errorCodes),
      epochs: callers.map((c) => ({ userId: c.spec.userId, lb: c.spec.lb, epochs: c.link.epochs })),
    };
  },

  exit() {
    for (const c of callers) c.link.close();
  },
});
