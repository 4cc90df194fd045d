/**
 * Devices per user are capped (MAX_DEVICES_PER_USER): each new device id was a permanent row,
 * and every connected device multiplies the per-socket event budget. A handshake from a new
 * device id at the cap evicts the user's least recently seen device that is not online (its
 * push registration goes with it, by foreign key); if every device is online it is refused
 * with `rate_limited` — transient: it succeeds once one of them goes offline, and the client
 * core retries a refused handshake with backoff.
 */
import { ProtocolError } from '../../shared/protocol/index.js';
import type { LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { AccountStore } from '../store/types.js';

export async function makeRoomForDevice(
  d: { accounts: AccountStore; live: LiveState; log: Logger },
  userId: string,
  maxDevices: number,
): Promise<void> {
  const devices = await d.accounts.listDevices(userId);
  if (devices.length < maxDevices) return;
  const online = new Set((await d.live.devices.list(userId)).map((o) => o.deviceId));
  const idle = devices.filter((dev) => !online.has(dev.id)).sort((a, b) => a.lastSeenAt - b.lastSeenAt);
  const excess = devices.length - maxDevices + 1;
  if (idle.length < excess) {
    throw new ProtocolError('rate_limited', `at most ${maxDevices} devices per account, all online; sign one out first`);
  }
  for (const dev of idle.slice(0, excess)) {
    await d.accounts.removeDevice(dev.id);
    d.log.info({ userId, deviceId: dev.id, lastSeenAt: dev.lastSeenAt }, 'device cap: evicted the least recently seen device');
  }
}
