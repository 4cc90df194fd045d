/**
 * Load generator: the agents of the queue load test (bench/lib/queue-load.ts). Each agent is
 * one device (bench/workers/queue-link.ts) that goes ready, takes the offers the server rings
 * it with — most after a short random delay, some declined, some left to ring out (RONA) —
 * and now and then takes a short break (not-ready, then ready again). After a missed offer
 * the server sets it not-ready (missed); it goes ready again a moment later.
 *
 * Every event the device receives and every ack it gets is logged with its time; the runner
 * asks for the log at the end and checks it (bench/lib/queue-analysis.ts).
 */
import type { AgentEvt, AgentLog, AgentStateEvt } from '../lib/queue-log.js';
import { serveCommands } from '../lib/worker-protocol.js';
import { epochNow, type Link, openLinks, uniform, type Ack, type LinkSpec } from './queue-link.js';

export interface AgentBehaviour {
  /** Offer rings → accept sent, uniform in [lo, hi] ms. */
  acceptDelayMs: [number, number];
  /** Share of offers declined (after the accept delay) and left to ring out. */
  declineShare: number;
  ringOutShare: number;
  /** Every [lo, hi] ms an agent may take a break, with this probability, for [lo, hi] ms. */
  breakEveryMs: [number, number];
  breakShare: number;
  breakMs: [number, number];
  /** Not-ready (missed) after a missed offer → ready again after [lo, hi] ms. */
  backAfterMissedMs: [number, number];
}

/** The fields of AgentView the log keeps. */
type View = Omit<AgentStateEvt, 't' | 'kind'>;

interface CallViewLite {
  callId: string;
  state: string;
  callee: { id: string };
  answeredDeviceId: string | null;
  queue?: { id: string } | null;
  offer?: { seq: number; at: number } | null;
}

class Agent {
  readonly events: AgentEvt[] = [];
  view: View | null = null;
  /** Offers (callId → seq) already decided on, and calls this agent answered that are up. */
  readonly decided = new Map<string, number | null>();
  readonly active = new Set<string>();
  link!: Link;
  onBreak = false;

  constructor(readonly spec: LinkSpec) {}

  note(e: AgentEvt): void {
    this.events.push(e);
  }

  noteState(t: number, v: View): void {
    this.view = v;
    this.note({ t, kind: 'state', state: v.state, reason: v.reason, callId: v.callId, noOffersUntil: v.noOffersUntil, graceUntil: v.graceUntil, since: v.since });
  }

  log(): AgentLog {
    return { userId: this.spec.userId, username: this.spec.username, lb: this.spec.lb, epochs: this.link.epochs, events: this.events };
  }
}

let behaviour: AgentBehaviour;
let agents: Agent[] = [];
/** Agents work from `start` on (then they go back to ready after a miss or a reconnect). */
let started = false;
/** Breaks are taken between `start` and `stop`. */
let running = false;

const key = (callId: string, seq: number | null) => `${callId}#${seq ?? 0}`;

function onIncoming(a: Agent, call: CallViewLite): void {
  const seq = call.offer?.seq ?? null;
  a.note({ t: epochNow(), kind: 'incoming', callId: call.callId, seq, queue: call.queue?.id ?? null, offerAt: call.offer?.at ?? null });
  decide(a, call.callId, seq);
}

/** One decision per offer (a later offer of the same call has a higher seq and is decided again). */
function decide(a: Agent, callId: string, seq: number | null): void {
  if (a.decided.has(key(callId, seq))) return;
  a.decided.set(key(callId, seq), seq);
  const r = Math.random();
  if (r < behaviour.ringOutShare) return;
  const decline = r < behaviour.ringOutShare + behaviour.declineShare;
  setTimeout(() => {
    void a.link.whenConnected().then(async () => {
      const sentAt = epochNow();
      const ack: Ack = await a.link.request(decline ? 'call:decline' : 'call:accept', { callId });
      const t = epochNow();
      const code = ack.ok ? null : ack.error.code;
      if (decline) a.note({ t, kind: 'declined', callId, ok: ack.ok, code, sentAt });
      else {
        a.note({ t, kind: 'accepted', callId, ok: ack.ok, code });
        if (ack.ok) a.active.add(callId);
      }
    });
  }, uniform(...behaviour.acceptDelayMs));
}

function onAgentChanged(a: Agent, v: View): void {
  const wasMissed = a.view?.state === 'not-ready' && a.view.reason === 'missed';
  a.noteState(epochNow(), v);
  if (started && v.state === 'not-ready' && v.reason === 'missed' && !wasMissed) {
    setTimeout(() => void setStatus(a, { state: 'ready' }), uniform(...behaviour.backAfterMissedMs));
  }
}

async function setStatus(a: Agent, status: { state: 'ready' } | { state: 'not-ready'; reason: string }): Promise<void> {
  await a.link.whenConnected();
  const ack = await a.link.request<{ agent: View }>('agent:set', { status });
  if (ack.ok) a.noteState(epochNow(), ack.data.agent);
}

/** After every (re)connect: which of its calls still ring or are up here, and its state now. */
async function resync(a: Agent): Promise<void> {
  // The calls it answered and the last offers it had (one may still ring).
  const recent = [...a.decided.keys()].slice(-4).map((k) => k.split('#')[0]!);
  const known = [...new Set([...a.active, ...recent])].slice(0, 16);
  const sentAt = epochNow();
  const sync = await a.link.request<{ calls: CallViewLite[] }>('session:sync', { calls: known });
  if (sync.ok) {
    const mine = sync.data.calls;
    const ringing = mine.filter((c) => c.state === 'ringing' && c.callee.id === a.spec.userId);
    const active = mine.filter((c) => c.state === 'answered' && c.answeredDeviceId === a.spec.deviceId);
    a.note({ t: epochNow(), kind: 'synced', ringing: ringing.map((c) => c.callId), active: active.map((c) => c.callId), sentAt });
    a.active.clear();
    for (const c of active) a.active.add(c.callId);
    for (const c of ringing) decide(a, c.callId, c.offer?.seq ?? null);
  }
  const got = await a.link.request<{ agent: View }>('agent:get', {});
  if (got.ok) a.noteState(epochNow(), got.data.agent);
  // A node's death does not end the agent's shift: back to ready unless on a break.
  if (started && !a.onBreak && got.ok && got.data.agent.state === 'not-ready') await setStatus(a, { state: 'ready' });
}

function breakLoop(a: Agent): void {
  const timer = setTimeout(() => {
    if (!running) return;
    if (Math.random() < behaviour.breakShare) {
      a.onBreak = true;
      void setStatus(a, { state: 'not-ready', reason: 'break' });
      setTimeout(() => {
        a.onBreak = false;
        void setStatus(a, { state: 'ready' });
        breakLoop(a);
      }, uniform(...behaviour.breakMs));
    } else breakLoop(a);
  }, uniform(...behaviour.breakEveryMs));
  timer.unref();
}

serveCommands({
  /** Connects every agent (through its balancer) and reads its state; nobody is ready yet. */
  async connect(args: { urls: string[]; agents: LinkSpec[]; behaviour: AgentBehaviour }) {
    behaviour = args.behaviour;
    agents = args.agents.map((s) => new Agent(s));
    const bySpec = new Map(agents.map((a) => [a.spec.deviceId, a]));
    const links = await openLinks(args.agents, args.urls, (link) => {
      const a = bySpec.get(link.spec.deviceId)!;
      a.link = link;
      void resync(a);
    });
    for (const link of links) {
      const a = bySpec.get(link.spec.deviceId)!;
      link.socket.on('call:incoming', (p: { call: CallViewLite }) => onIncoming(a, p.call));
      link.socket.on('call:offer-ended', (p: { callId: string; seq: number; result: string }) =>
        a.note({ t: epochNow(), kind: 'offer-ended', callId: p.callId, seq: p.seq, result: p.result }),
      );
      link.socket.on('call:ended', (p: { call: { callId: string; endReason: string | null } }) => {
        a.active.delete(p.call.callId);
        a.note({ t: epochNow(), kind: 'ended', callId: p.call.callId, endReason: p.call.endReason });
      });
      link.socket.on('agent:changed', (p: { agent: View }) => onAgentChanged(a, p.agent));
    }
    return { connected: links.length };
  },

  /** Every agent goes ready; the random breaks start. */
  async start() {
    started = true;
    running = true;
    await Promise.all(agents.map((a) => setStatus(a, { state: 'ready' })));
    for (const a of agents) breakLoop(a);
    return { ready: agents.filter((a) => a.view?.state === 'ready').length };
  },

  /** No more breaks (offers are still taken): the calls in line drain. */
  stop() {
    running = false;
    return { agents: agents.length };
  },

  report(): AgentLog[] {
    return agents.map((a) => a.log());
  },

  exit() {
    for (const a of agents) a.link.close();
  },
});
