/**
 * Presence = set status + online devices + calls:
 *   no online device → offline; dnd → dnd; in an answered call → busy;
 *   otherwise the status the user set (available, busy, away).
 * For an agent, presence is derived from the agent state instead (one source of truth):
 *   ready → available, not-ready → away, reserved / on-call / wrap-up → busy, offline → offline.
 * Changes are pushed to sockets that subscribed to the user.
 */
import type { PresenceStatus, SetStatus } from '../shared/protocol/index.js';
import { agentPresence } from './agents/agent-machine.js';
import { KeyedSerial } from './keyed-serial.js';
import type { Notifier } from './calls/notifier.js';
import type { LiveState } from './live/types.js';
import type { AccountStore } from './store/types.js';

export function derivePresence(status: SetStatus, onlineDevices: number, inCall: boolean): PresenceStatus {
  if (onlineDevices === 0) return 'offline';
  if (status === 'dnd') return 'dnd';
  if (inCall) return 'busy';
  return status;
}

export interface PresenceOptions {
  /**
   * Keep the status of users with an online device in memory instead of reading the user
   * at every recomputation (four per answered call). Only where this process is the only
   * one that changes statuses — a single node (docs/performance.md); `statusChanged` keeps
   * it current.
   */
  cacheStatus?: boolean;
}

export class PresenceService {
  private readonly statuses: Map<string, SetStatus> | undefined;
  private readonly refreshing = new KeyedSerial();

  constructor(
    private readonly accounts: AccountStore,
    private readonly live: LiveState,
    private readonly notifier: Notifier,
    opts: PresenceOptions = {},
  ) {
    this.statuses = opts.cacheStatus ? new Map() : undefined;
  }

  /** The user set a new status (after it was stored). */
  statusChanged(userId: string, status: SetStatus): void {
    this.statuses?.set(userId, status);
  }

  async inAnsweredCall(userId: string): Promise<boolean> {
    return (await this.live.calls.activeForUser(userId)).some((c) => c.state === 'answered');
  }

  async get(userId: string, status?: SetStatus): Promise<PresenceStatus> {
    const agent = await this.live.agents.get(userId);
    if (agent) return agentPresence(agent.state);
    const [devices, inCall] = await Promise.all([this.live.devices.list(userId), this.inAnsweredCall(userId)]);
    // Without an online device the status does not matter: no need to read the user.
    if (devices.length === 0) {
      this.statuses?.delete(userId);
      return 'offline';
    }
    const s = status ?? (await this.statusOf(userId));
    if (!s) return 'offline';
    return derivePresence(s, devices.length, inCall);
  }

  private async statusOf(userId: string): Promise<SetStatus | undefined> {
    const cached = this.statuses?.get(userId);
    if (cached) return cached;
    const s = (await this.accounts.getUserById(userId))?.status;
    if (s) this.statuses?.set(userId, s);
    return s;
  }

  /**
   * Recomputes the user's presence and publishes it if it changed. Refreshes of one user run
   * one after the other on this node: two interleaved ones (a call ending while the user
   * sets a status) could otherwise publish the older value last and leave it shown.
   */
  refresh(userId: string): Promise<PresenceStatus> {
    return this.refreshing.run(userId, () => this.refreshNow(userId));
  }

  private async refreshNow(userId: string): Promise<PresenceStatus> {
    const presence = await this.get(userId);
    const previous = await this.live.presence.swap(userId, presence);
    if (previous !== presence) this.notifier.toPresenceWatchers(userId, { userId, presence });
    return presence;
  }
}
