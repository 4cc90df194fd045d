/**
 * Node liveness for a cluster on Redis.
 *
 * A node that dies (SIGKILL, power loss) runs no disconnect handler: its
 * devices would stay "online" in the shared registry and their calls would
 * never start the grace period that ends a call whose device vanished. So
 * every node heartbeats into Redis, and every node looks for nodes that
 * stopped: the first to claim a silent node (atomically, RELEASE_NODE)
 * unregisters the devices it still held and treats each as a lost
 * connection, exactly as a disconnect would have. Devices that reconnected
 * elsewhere meanwhile belong to their new node and are left alone.
 *
 * A graceful stop does not leave the registry: its sockets disconnect
 * normally, and anything a disconnect handler could not finish is released
 * by the others after the timeout (or by this node id's next start).
 */
import type { CallService } from '../calls/call-service.js';
import type { RedisLiveState } from '../live/redis.js';
import type { OnlineDevice } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { PresenceService } from '../presence.js';
import type { IoServer } from '../socket/gateway.js';

export interface NodeMonitorDeps {
  live: RedisLiveState;
  io: IoServer;
  calls: CallService;
  presence: PresenceService;
  log: Logger;
  /** A node silent this long is dead. */
  timeoutMs: number;
  now?: () => number;
}

export class NodeMonitor {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private failing = false;
  private readonly now: () => number;

  constructor(private readonly d: NodeMonitorDeps) {
    this.now = d.now ?? Date.now;
  }

  async start(): Promise<void> {
    // Devices left by an earlier run under the same node id (it crashed and
    // came back before the others noticed): nobody else will release them now.
    const leftovers = await this.d.live.releaseNode(this.d.live.nodeId, { force: true });
    if (leftovers && leftovers.length > 0) await this.release(leftovers, this.d.live.nodeId);
    await this.d.live.heartbeat(true);
    // Several heartbeats per timeout, so one slow round does not look like death.
    const every = Math.max(250, Math.floor(this.d.timeoutMs / 4));
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: heartbeat, then release any node silent past the timeout. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (!(await this.d.live.heartbeat())) {
        // We stalled longer than the timeout and another node released our
        // devices. Our sockets are still open but no longer registered: drop
        // them so every client reconnects and registers afresh.
        this.d.log.error(
          { timeoutMs: this.d.timeoutMs },
          'this node was declared dead after missing heartbeats; disconnecting its clients so they re-register',
        );
        this.d.io.local.disconnectSockets(true);
        await this.d.live.heartbeat(true);
      }
      const silentSince = this.now() - this.d.timeoutMs;
      for (const nodeId of await this.d.live.silentNodes(silentSince)) {
        if (nodeId === this.d.live.nodeId) continue;
        const devices = await this.d.live.releaseNode(nodeId, { silentSince });
        if (devices) await this.release(devices, nodeId);
      }
      if (this.failing) this.d.log.info('node heartbeat recovered');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.d.log.warn({ err }, 'node heartbeat failed; retrying');
      this.failing = true;
    } finally {
      this.ticking = false;
    }
  }

  private async release(devices: OnlineDevice[], nodeId: string): Promise<void> {
    this.d.log.warn({ deadNode: nodeId, devices: devices.length }, 'released the devices of a node that stopped');
    for (const device of devices) {
      await this.d.calls
        .deviceLost(device.userId, device.deviceId)
        .catch((err: unknown) => this.d.log.error({ err, deviceId: device.deviceId }, 'releasing a device failed'));
    }
    for (const userId of new Set(devices.map((d) => d.userId))) {
      await this.d.presence.refresh(userId).catch((err: unknown) => this.d.log.warn({ err, userId }, 'presence refresh failed'));
    }
  }
}
