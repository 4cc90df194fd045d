/**
 * The user's agent desk (docs/agents.md): the server-owned agent state as this device last
 * heard it, and the requests that ask the server to change it. Nothing here decides a state
 * or runs a timer that does: the server owns both; this module asks and mirrors.
 *
 * - After every (re)connect and sync, `refresh()` reads `agent:get` (and the reason codes);
 *   a user without the agent role gets `forbidden` and has no desk (`agent: null`).
 * - `agent:changed` pushes (from any device or a supervisor) replace the view.
 * - When a wrap-up ends, the history is re-read: the call's record gained its disposition
 *   and notes on the server (the Done ack comes after they are stored, a push may not).
 * - Auto-away asked while the link is down is remembered and sent on the next refresh, so
 *   a screen locked during a network drop still reaches the server.
 */
import {
  ProtocolError,
  type AgentStatus,
  type AgentView,
  type AutoAnswer,
  type ClientEventName,
  type ClientRequest,
  type ClientResponse,
  type Reason,
} from '../shared/protocol/index.js';
import { errorBody } from './errors.js';
import type { CoreLogger } from './ports.js';

export interface AgentDeskState {
  /** This user's agent view; null: not an agent (or not known yet). */
  agent: AgentView | null;
  /** Reason codes, in the server's order (system ones included, for labels). */
  reasons: Reason[];
  /**
   * Server clock − this device's clock (ms), measured with a ping at each refresh: the
   * view's instants (since, deadlines) are the server's, so the UI counts with it.
   */
  clockOffsetMs: number;
}

export interface AgentDeskDeps {
  /** This device's clock (epoch ms). */
  now(): number;
  request<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResponse<E>>;
  /** The signed-in user's id (views about other agents, seen by supervisors, are not ours). */
  userId(): string | null;
  /** The desk changed. */
  changed(state: AgentDeskState): void;
  /**
   * A wrap-up ended (or its Done was acknowledged): the call's history record now holds
   * the disposition and notes, so the host re-reads it.
   */
  wrapUpSaved(callId: string): void;
  log: CoreLogger;
}

export interface WrapUpRequest {
  callId: string;
  disposition?: string | null;
  notes?: string;
  done?: boolean;
}

const EMPTY: AgentDeskState = { agent: null, reasons: [], clockOffsetMs: 0 };

export class AgentDesk {
  private state: AgentDeskState = EMPTY;
  /** Auto-away not yet told to the server (the link was down). */
  private pendingAway: boolean | null = null;

  constructor(private readonly d: AgentDeskDeps) {}

  get current(): AgentDeskState {
    return this.state;
  }

  /** After every (re)connect and sync: the server's view replaces ours. */
  async refresh(): Promise<void> {
    let agent: AgentView;
    try {
      ({ agent } = await this.d.request('agent:get', {}));
    } catch (err) {
      if (err instanceof ProtocolError && (err.code === 'forbidden' || err.code === 'not_found')) {
        this.set(EMPTY);
        return;
      }
      throw err;
    }
    this.apply(agent, true);
    const { reasons } = await this.d.request('agent:reasons', {});
    const sent = this.d.now();
    const { now: serverNow } = await this.d.request('session:ping', {});
    const clockOffsetMs = Math.round(serverNow - (sent + this.d.now()) / 2);
    this.set({ ...this.state, reasons, clockOffsetMs });
    await this.flushAway();
  }

  /**
   * A view from the server (push or ack). Views of other agents (a supervisor's
   * subscription) are not this user's desk. `force`: an authoritative read (agent:get)
   * replaces whatever we had, even if it looks older (the server restarted a state).
   */
  apply(agent: AgentView, force = false): void {
    const me = this.d.userId();
    if (me !== null && agent.user.id !== me) return;
    const cur = this.state.agent;
    // A late ack must not undo a newer push: an older state start is stale.
    if (!force && cur && agent.since < cur.since) return;
    this.set({ ...this.state, agent });
  }

  /**
   * Asks for ready or not-ready(reason). While reserved, on a call or in wrap-up the server
   * keeps it as the pending next status; `null` cancels a pending next status.
   */
  async setStatus(status: AgentStatus | null): Promise<AgentView> {
    return this.take(await this.d.request('agent:set', { status }));
  }

  /** Saves the disposition and notes of the call in wrap-up; `done` ends wrap-up now. */
  async wrapUp(req: WrapUpRequest): Promise<AgentView> {
    const payload: ClientRequest<'agent:wrapup'> = { callId: req.callId };
    if (req.disposition !== undefined) payload.disposition = req.disposition;
    if (req.notes !== undefined) payload.notes = req.notes;
    if (req.done !== undefined) payload.done = req.done;
    const agent = this.take(await this.d.request('agent:wrapup', payload));
    if (req.done) this.d.wrapUpSaved(req.callId);
    return agent;
  }

  /** Auto-answer for this agent (the server refuses it unless `agentMayChange`). */
  async setAutoAnswer(autoAnswer: Partial<Omit<AutoAnswer, 'agentMayChange'>>): Promise<AgentView> {
    return this.take(await this.d.request('agent:auto-answer', { autoAnswer }));
  }

  async extendWrapUp(callId: string): Promise<AgentView> {
    return this.take(await this.d.request('agent:wrapup-extend', { callId }));
  }

  /**
   * Desktop auto-away: the screen locked / the system went idle (true) or came back (false).
   * The server decides what it means (only ready goes away; only an automatic away is
   * restored). Non-agents have nothing to tell. Offline: sent on the next refresh.
   */
  async autoAway(away: boolean): Promise<void> {
    this.pendingAway = away;
    if (!this.state.agent) return;
    await this.flushAway();
  }

  /** Signed out. */
  clear(): void {
    this.pendingAway = null;
    this.set(EMPTY);
  }

  private async flushAway(): Promise<void> {
    const away = this.pendingAway;
    if (away === null || !this.state.agent) return;
    try {
      const res = await this.d.request('agent:auto-away', { away });
      if (this.pendingAway === away) this.pendingAway = null;
      this.take(res);
    } catch (err) {
      if (err instanceof ProtocolError && (err.details?.offline || err.details?.timeout)) return; // kept for the next refresh
      if (this.pendingAway === away) this.pendingAway = null;
      this.d.log.warn('auto-away was refused', { away, error: errorBody(err) });
    }
  }

  private take(res: { agent: AgentView }): AgentView {
    this.apply(res.agent);
    return res.agent;
  }

  private set(state: AgentDeskState): void {
    const ended = this.state.agent?.wrapUp?.callId;
    this.state = state;
    this.d.changed(state);
    if (ended && state.agent?.wrapUp?.callId !== ended) this.d.wrapUpSaved(ended);
  }
}
