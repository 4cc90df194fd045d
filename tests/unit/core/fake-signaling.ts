/**
 * A signaling link for unit tests, typed against the core's SignalingLink: the test
 * decides when the link connects or drops, answers requests, and pushes server events.
 */
import type { SignalingLifecycle, SignalingLink, SignalingOptions } from '../../../src/core/signaling.js';
import type { ClientEventName, ClientRequest, ClientResponse, ServerEventName, ServerEventPayload } from '../../../src/shared/protocol/index.js';
import { ProtocolError } from '../../../src/shared/protocol/index.js';
import type { CallView } from '../../../src/shared/protocol/index.js';
import type { KeyValueStore } from '../../../src/core/ports.js';
import { Softphone } from '../../../src/core/softphone.js';
import type { SoftphoneOptions } from '../../../src/core/softphone-options.js';

export type Responder = (event: ClientEventName, payload: unknown, timeoutMs: number | undefined) => Promise<unknown>;

export class FakeSignaling implements SignalingLink {
  connected = false;
  connectCalls = 0;
  disconnectCalls = 0;
  readonly sent: { event: ClientEventName; payload: unknown }[] = [];
  private life: SignalingLifecycle | null = null;
  private readonly handlers = new Map<string, (payload: unknown) => void>();

  constructor(
    readonly opts: SignalingOptions,
    private readonly respond: Responder,
  ) {}

  connect(): void {
    this.connectCalls++;
  }
  disconnect(): void {
    this.disconnectCalls++;
    if (!this.connected) return;
    this.connected = false;
    this.life?.disconnected('io client disconnect');
  }
  dispose(): void {
    this.connected = false;
    this.handlers.clear();
  }
  onLifecycle(handlers: SignalingLifecycle): void {
    this.life = handlers;
  }
  async request<E extends ClientEventName>(event: E, payload: ClientRequest<E>, timeoutMs?: number): Promise<ClientResponse<E>> {
    if (!this.connected) throw new ProtocolError('internal', 'not connected', { offline: true });
    this.sent.push({ event, payload });
    return (await this.respond(event, payload, timeoutMs)) as ClientResponse<E>;
  }
  on<E extends ServerEventName>(event: E, handler: (payload: ServerEventPayload<E>) => void): () => void {
    this.handlers.set(event, handler as (p: unknown) => void);
    return () => this.handlers.delete(event);
  }

  // ── test controls ──
  open(): void {
    this.connected = true;
    this.life?.connected();
  }
  drop(reason = 'transport close'): void {
    this.connected = false;
    this.life?.disconnected(reason);
  }
  fail(code?: string): void {
    this.life?.connectError(Object.assign(new Error('connect failed'), code ? { data: { code } } : {}));
  }
  push<E extends ServerEventName>(event: E, payload: ServerEventPayload<E>): void {
    this.handlers.get(event)?.(payload);
  }
  eventsSent(): ClientEventName[] {
    return this.sent.map((s) => s.event).filter((e) => e !== 'session:ping');
  }
}

const alice = { id: 'u-alice', username: 'alice', displayName: 'Alice' };
const peers = {
  bob: { id: 'u-bob', username: 'bob', displayName: 'Bob' },
  carol: { id: 'u-carol', username: 'carol', displayName: 'Carol' },
};
export const ME = alice;
export const DEVICE = 'dev-alice';

export function incomingView(callId: string, from: keyof typeof peers, now: number): CallView {
  return {
    callId,
    state: 'ringing',
    caller: peers[from],
    callee: alice,
    callerDeviceId: `dev-${from}`,
    answeredDeviceId: null,
    createdAt: now,
    answeredAt: null,
    ringDeadline: now + 30_000,
    outcome: null,
    endReason: null,
  };
}

export function answeredHere(view: CallView, now: number): CallView {
  return { ...view, state: 'answered', answeredDeviceId: DEVICE, answeredAt: now };
}

/**
 * A desktop Softphone of ME on DEVICE whose every link is a FakeSignaling answering with
 * `respond`; each new link is pushed onto `links`. `opts` overrides the test defaults.
 */
export function phoneOnFakeLinks(
  store: KeyValueStore,
  respond: Responder,
  links: FakeSignaling[],
  opts: Partial<SoftphoneOptions> = {},
): Softphone {
  return new Softphone({
    device: { deviceId: DEVICE, kind: 'desktop', name: 'test', appVersion: '0' },
    store,
    heartbeatIntervalMs: 60_000,
    reconnectBaseMs: 500,
    reconnectMaxMs: 8_000,
    random: () => 1,
    createSignaling: (o) => {
      const l = new FakeSignaling(o, respond);
      links.push(l);
      return l;
    },
    ...opts,
  });
}
