/**
 * Serves the renderer contract (src/shared/contract.ts) from a Softphone:
 * every request is parsed with its schema, dispatched, and answered with a
 * result envelope; core events are forwarded as contract events. The
 * Electron IPC layer, the web page and the test harness all use this one
 * bridge, so the renderer sees the same API everywhere.
 */
import {
  hostEvents,
  hostRequests,
  type HostEvent,
  type HostEventName,
  type HostInfo,
  type HostRequest,
  type HostRequestName,
  type HostResponse,
  type HostResult,
  type SoftphoneApi,
} from '../shared/contract.js';
import { ProtocolError } from '../shared/protocol/index.js';
import { Emitter } from './emitter.js';
import { silentLogger } from './ports.js';
import type { SettingsStore } from './settings.js';
import { errorBody, type Softphone } from './softphone.js';
import { WallboardFeed } from './wallboard-feed.js';

export interface HostHooks {
  info: HostInfo;
  hideWindow?(): void | Promise<void>;
}

type Handlers = { [C in HostRequestName]: (req: HostRequest<C>) => Promise<HostResponse<C>> };

type BridgeEvents = { [E in HostEventName]: HostEvent<E> };

const ok = { ok: true } as const;

export class HostBridge {
  private readonly events = new Emitter<BridgeEvents>();
  private readonly handlers: Handlers;
  /** The supervisor's wallboard (subscribed only while the renderer's page is open). */
  readonly wallboard: WallboardFeed;

  constructor(
    readonly phone: Softphone,
    readonly settings: SettingsStore,
    private readonly hooks: HostHooks,
  ) {
    phone.on('state', (s) => this.events.emit('session', s));
    phone.on('signal', (m) => this.events.emit('call.signal', m));
    phone.on('presence', (p) => this.events.emit('presence', p));
    phone.on('media-wanted', (m) => this.events.emit('call.media', { ...m, media: 'wanted' }));
    phone.on('media-released', ({ callId }) => this.events.emit('call.media', { callId, media: 'released' }));
    phone.on('auto-answered', (p) => this.events.emit('call.auto-answered', p));
    this.wallboard = new WallboardFeed({
      now: () => Date.now(),
      request: (event, payload) => phone.request(event, payload),
      connected: () => phone.connected,
      changed: (s) => this.events.emit('wallboard', s),
      log: silentLogger,
    });
    phone.on('wallboard', (w) => this.wallboard.update(w));
    phone.on('connection', (c) => (c === 'connected' ? void this.wallboard.connected() : this.wallboard.disconnected()));
    phone.on('state', (s) => s.phase !== 'signed-in' && this.wallboard.clear());
    this.handlers = this.createHandlers();
  }

  /** Handles one request from the renderer. Never throws. */
  async invoke(channel: unknown, payload: unknown): Promise<HostResult<unknown>> {
    try {
      if (typeof channel !== 'string' || !(channel in hostRequests)) {
        throw new ProtocolError('bad_request', `unknown request ${String(channel).slice(0, 64)}`);
      }
      const name = channel as HostRequestName;
      const parsed = hostRequests[name].request.safeParse(payload);
      if (!parsed.success) throw new ProtocolError('bad_request', parsed.error.issues[0]?.message ?? 'invalid request');
      const handler = this.handlers[name] as (req: unknown) => Promise<unknown>;
      return { ok: true, data: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: errorBody(err) };
    }
  }

  /** Host → renderer events (already valid by construction). */
  subscribe(listener: <E extends HostEventName>(event: E, payload: HostEvent<E>) => void): () => void {
    const offs = (Object.keys(hostEvents) as HostEventName[]).map((e) =>
      this.events.on(e, (p) => listener(e, p as never)),
    );
    return () => offs.forEach((off) => off());
  }

  /** Sends a command to the renderer (from the tray, a notification, a link…). */
  command(cmd: HostEvent<'command'>): void {
    this.events.emit('command', cmd);
  }

  private createHandlers(): Handlers {
    const p = this.phone;
    return {
      'host.info': async () => this.hooks.info,
      'session.state': async () => p.snapshot(),
      'session.login': async (r) => {
        const state = await p.login(r.serverUrl, r.username, r.password);
        await this.settings.set({ serverUrl: state.serverUrl });
        return state;
      },
      'session.logout': async () => (await p.logout(), ok),
      'presence.set': async (r) => (await p.setStatus(r.status), ok),
      'presence.watch': async (r) => ({ presence: await p.watchPresence(r.userIds) }),
      'directory.search': async (r) => p.directory(r.query),
      'call.dial': async (r) => p.dial(r),
      'call.answer': async (r) => p.answer(r.callId),
      'call.mediaWanted': async () => ({ calls: p.mediaWanted() }),
      'call.decline': async (r) => (await p.decline(r.callId), ok),
      'call.hangup': async (r) => (await p.hangup(r.callId), ok),
      'call.hold': async (r) => (await p.hold(r.callId, r.held), ok),
      'call.swap': async (r) => (await p.swap(r.callId), ok),
      'call.dtmf': async (r) => (await p.dtmf(r.callId, r.digits), ok),
      'call.signal': async (r) => (await p.sendSignal(r.callId, r.signal), ok),
      'history.more': async (r) => p.historyPage(r.cursor),
      'history.seen': async () => (await p.markHistorySeen(), ok),
      'settings.get': async () => this.settings.get(),
      'settings.set': async (r) => this.settings.set(r),
      'account.set': async (r) => p.setAccount(r),
      'media.iceServers': async () => ({ iceServers: await p.iceServers() }),
      'window.hide': async () => (await this.hooks.hideWindow?.(), ok),
      'agent.set': async (r) => p.setAgentStatus(r.status),
      'agent.wrapup': async (r) => p.wrapUp(r),
      'agent.extend': async (r) => p.extendWrapUp(r.callId),
      'agent.autoAnswer': async (r) => p.setAutoAnswer(r.autoAnswer),
      'wallboard.state': async () => this.wallboard.interest(),
      'wallboard.watch': async (r) => this.wallboard.watch(r.watching),
      'supervisor.setAgent': async (r) => this.wallboard.setAgent(r.userId, r.status),
      'supervisor.logout': async (r) => this.wallboard.logOut(r.userId),
    };
  }
}

/** Turns a result envelope back into a value or a thrown ProtocolError. */
export function unwrap<T>(result: HostResult<T>): T {
  if (result.ok) return result.data;
  throw new ProtocolError(result.error.code, result.error.message, result.error.details);
}

/**
 * The renderer API backed by a bridge in the same JavaScript realm (web
 * softphone). Values are cloned, as they would be across IPC.
 */
export function inProcessApi(bridge: HostBridge): SoftphoneApi {
  return {
    async invoke(channel, payload) {
      return unwrap(await bridge.invoke(channel, structuredClone(payload))) as never;
    },
    on(event, listener) {
      return bridge.subscribe((e: HostEventName, p: unknown) => {
        if (e === (event)) listener(structuredClone(p) as never);
      });
    },
  };
}
