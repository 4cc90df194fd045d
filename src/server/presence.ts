/**
 * Presence = set status + online devices + calls:
 *   no online device → offline; dnd → dnd; in an answered call → busy;
 *   otherwise the status the user set (available, busy, away).
 * Changes are pushed to sockets that subscribed to the user.
 */
import type { PresenceStatus, SetStatus } from '../shared/protocol/index.js';
import type { Notifier } from './calls/notifier.js';
import type { LiveState } from './live/types.js';
import type { AccountStore } from './store/types.js';

export function derivePresence(status: SetStatus, onlineDevices: number, inCall: boolean): PresenceStatus {
  if (onlineDevices === 0) return 'offline';
  if (status === 'dnd') return 'dnd';
  if (inCall) return 'busy';
  return status;
}

export class PresenceService {
  constructor(
    private readonly accounts: AccountStore,
    private readonly live: LiveState,
    private readonly notifier: Notifier,
  ) {}

  async inAnsweredCall(userId: string): Promise<boolean> {
    return (await this.live.calls.activeForUser(userId)).some((c) => c.state === 'answered');
  }

  async get(userId: string, status?: SetStatus): Promise<PresenceStatus> {
    const s = status ?? (await this.accounts.getUserById(userId))?.status;
    if (!s) return 'offline';
    const [devices, inCall] = await Promise.all([this.live.devices.list(userId), this.inAnsweredCall(userId)]);
    return derivePresence(s, devices.length, inCall);
  }

  /** Recomputes the user's presence and publishes it if it changed. */
  async refresh(userId: string): Promise<PresenceStatus> {
    const presence = await this.get(userId);
    const previous = await this.live.presence.swap(userId, presence);
    if (previous !== presence) this.notifier.toPresenceWatchers(userId, { userId, presence });
    return presence;
  }
}
