/**
 * A signed-in agent's Softphone on a fake signaling link, and queue offers pushed to it as the
 * server sends them (shared by the core's and the desktop's offer tests).
 */
import { expect, vi } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { type Softphone } from '../../../src/core/softphone.js';
import type { AgentView, CallView, ClientEventName } from '../../../src/shared/protocol/index.js';
import { type FakeSignaling, ME, answeredHere, incomingView, phoneOnFakeLinks } from './fake-signaling.js';

/** The fake server's clock runs this far ahead of the device's (offers count on the server's). */
export const SERVER_AHEAD_MS = 5_000;

const AGENT: AgentView = {
  user: ME,
  state: 'ready',
  reason: null,
  since: 1_000_000,
  by: 'agent',
  next: null,
  previous: null,
  callId: null,
  offerDeadline: null,
  wrapUp: null,
  noOffersUntil: null,
  graceUntil: null,
  autoAnswer: { queue: false, internal: false, delayMs: 500, agentMayChange: false },
};

export interface OfferRig {
  phone: Softphone;
  link(): FakeSignaling;
  views: Map<string, CallView>;
  /** Calls the server has (for `session:sync`): a withdrawn offer is not among them. */
  serverCalls: Set<string>;
  sent(event: ClientEventName): unknown[];
  events: string[];
}

export async function offerRig(): Promise<OfferRig> {
  const store = new MemoryStore();
  await store.set('session', { serverUrl: 'http://server.test', refreshToken: 'r1', user: ME });
  const views = new Map<string, CallView>();
  const serverCalls = new Set<string>();
  const links: FakeSignaling[] = [];
  const respond = async (event: string, payload: unknown): Promise<unknown> => {
    const p = payload as { callId?: string };
    switch (event) {
      case 'session:sync':
        return {
          user: ME,
          status: 'available',
          settings: { callWaiting: true },
          missedCount: 0,
          calls: [...views.values()].filter((v) => serverCalls.has(v.callId) && v.state !== 'ended'),
          ended: [],
          historyHead: null,
          lastSeenMissedAt: 0,
        };
      case 'session:ping':
        return { now: Date.now() + SERVER_AHEAD_MS };
      case 'agent:get':
        return { agent: AGENT };
      case 'agent:reasons':
        return { reasons: [] };
      case 'call:accept': {
        const v = answeredHere(views.get(p.callId!)!, Date.now());
        views.set(v.callId, v);
        return { call: v };
      }
      case 'call:decline':
        // The call goes back in line: still ringing for the line, no longer offered here.
        return { call: { ...views.get(p.callId!)!, offer: null } };
      default:
        throw new Error(`unexpected request ${event}`);
    }
  };
  const phone = phoneOnFakeLinks(store, respond, links, { heartbeatIntervalMs: 600_000 });
  const events: string[] = [];
  phone.on('ring', (c) => events.push(`ring ${c.callId}#${c.offer?.seq}`));
  phone.on('ring-stopped', (c) => events.push(`ring-stopped ${c.callId}`));
  phone.on('missed', () => events.push('missed'));
  phone.on('media-wanted', (m) => events.push(`media-wanted ${m.callId} ${m.stage}`));
  phone.on('media-released', (m) => events.push(`media-released ${m.callId}`));
  phone.on('auto-answered', (m) => events.push(`auto-answered ${m.callId}`));
  expect(await phone.restore()).toBe(true);
  const link = () => links.at(-1)!;
  link().open();
  await vi.advanceTimersByTimeAsync(0);
  expect(phone.snapshot()).toMatchObject({ connection: 'connected', agentClockOffsetMs: SERVER_AHEAD_MS });
  return {
    phone,
    link,
    views,
    serverCalls,
    events,
    sent: (event) => links.flatMap((l) => l.sent.filter((s) => s.event === event).map((s) => s.payload)),
  };
}

/** An offer of queue call `callId` ringing this agent, as the server sends it (server clock). */
export function offer(r: OfferRig, callId: string, seq: number, patch: Partial<CallView> = {}): CallView {
  const at = Date.now() + SERVER_AHEAD_MS;
  const v: CallView = {
    ...incomingView(callId, 'bob', at),
    // The call's own ring deadline is the line's (max-wait), far beyond the offer's.
    ringDeadline: at + 600_000,
    queue: { id: 'support', name: 'Support' },
    callerKind: 'guest',
    queuedAt: at - 42_000,
    offer: { seq, at, deadline: at + 15_000 },
    ...patch,
  };
  r.views.set(callId, v);
  r.serverCalls.add(callId);
  r.link().push('call:incoming', { call: v });
  return v;
}

