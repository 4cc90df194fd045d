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
 * Besides, one node per round (a Redis lease) reconciles the call journal
 * with live state, closing calls whose live state was lost.
 *
 * A graceful stop does not leave the registry: its sockets disconnect
 * normally, and anything a disconnect handler could not finish is released
 * by the others after the timeout (or by this node id's next start).
 */
import type { AgentService } from '../agents/agent-service.js';
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
  /** Agents whose devices were on the dead node start their grace period (agents/agent-service.ts). */
  agents?: AgentService;
  log: Logger;
  /** A node silent this long is dead. */
  timeoutMs: number;
  /**
   * How often one node of the cluster reconciles the call journal with live
   * state; 0 = never (the journal is not shared, or does not hold back calls
   * being set up — see PostgresOptions.recoverMinAgeMs).
   */
  reconcileEveryMs?: number;
  now?: () => number;
}

export class NodeMonitor {
  private timer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
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
    const reconcileEvery = this.d.reconcileEveryMs ?? 60_000;
    if (reconcileEvery > 0) {
      this.reconcileTimer = setInterval(() => void this.reconcile(reconcileEvery), reconcileEvery);
      this.reconcileTimer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.reconcileTimer);
    this.timer = undefined;
    this.reconcileTimer = undefined;
  }

  /**
   * Once per round, on one node: calls the journal has open that live state
   * does not know — their node died between writing the journal and the live
   * state, or Redis lost its data — are ended or restored exactly as at a
   * start (CallService.recover; calls present in Redis are skipped).
   */
  async reconcile(roundMs: number): Promise<void> {
    if (this.d.live.closed) return;
    try {
      if (!(await this.d.live.tryLease('reconcile', Math.max(1_000, roundMs - 1_000)))) return;
      const recovered = await this.d.calls.recover();
      if (recovered.failed + recovered.restored > 0) this.d.log.warn(recovered, 'reconciled calls missing from live state');
    } catch (err) {
      this.d.log.warn({ err }, 'reconciling the call journal failed');
    }
  }

  /** One round: heartbeat, then release any node silent past the timeout. */
  async tick(): Promise<void> {
    if (this.ticking || this.d.live.closed) return;
    this.ticking = true;
    try {
      if (!(await this.d.live.heartbeat())) {
        // Our registry entry is gone: we stalled past the timeout and another
        // node released our devices, or Redis lost its data (restart without
        // persistence). Either way our sockets are open but not registered.
        // First rebuild the calls the journal has open and Redis does not
        // (calls still in Redis are left alone, so the recoveries of several
        // nodes do not clash), then drop our sockets: every client reconnects,
        // registers afresh and finds its call again.
        this.d.log.error(
          { timeoutMs: this.d.timeoutMs },
          'this node lost its registration (missed heartbeats or Redis data loss); disconnecting its clients so they re-register',
        );
        await this.d.live.heartbeat(true);
        const recovered = await this.d.calls.recover();
        if (recovered.failed + recovered.restored > 0) this.d.log.warn(recovered, 'recovered calls missing from live state');
        this.d.io.local.disconnectSockets(true);
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
    // A node stopped gracefully leaves nothing behind: no news.
    const level = devices.length > 0 ? 'warn' : 'info';
    this.d.log[level]({ deadNode: nodeId, devices: devices.length }, 'released the devices of a node that stopped');
    for (const device of devices) {
      await this.d.calls
        .deviceLost(device.userId, device.deviceId)
        .catch((err: unknown) => this.d.log.error({ err, deviceId: device.deviceId }, 'releasing a device failed'));
    }
    for (const userId of new Set(devices.map((d) => d.userId))) {
      await this.d.presence.refresh(userId).catch((err: unknown) => this.d.log.warn({ err, userId }, 'presence refresh failed'));
      await this.d.agents?.syncDevices(userId, false).catch((err: unknown) => this.d.log.warn({ err, userId }, 'agent device sync failed'));
    }
  }
}
