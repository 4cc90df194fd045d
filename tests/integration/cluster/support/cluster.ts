/**
 * Test harness for a cluster: one Redis, one PostgreSQL, signaling nodes as
 * child processes, and this test process as a client (real socket.io devices,
 * real softphone cores) with its own connection to the shared database to
 * create users and read what the nodes wrote.
 */
import { randomUUID } from 'node:crypto';
import { ApiClient } from '../../../../src/core/api-client.js';
import { Signaling } from '../../../../src/core/signaling.js';
import type { Softphone } from '../../../../src/core/softphone.js';
import { addUser } from '../../../../src/server/accounts.js';
import { PostgresStorage } from '../../../../src/server/store/postgres.js';
import type { DeviceKind } from '../../../../src/shared/protocol/index.js';
import { TestDevice } from '../../../helpers/device.js';
import { createPhone, waitForState } from '../../../helpers/phone.js';
import { TEST_PASSWORD } from '../../../helpers/server.js';
import { startPostgres, startRedis, type PostgresService, type RedisService } from '../../../helpers/services.js';
import { startNode, type NodeProcess } from './node-process.js';

export class ClusterHarness {
  readonly nodes = new Map<string, NodeProcess>();
  private readonly devices: TestDevice[] = [];
  private readonly phones: Softphone[] = [];
  private db: PostgresStorage | undefined;

  private constructor(
    readonly redis: RedisService,
    readonly postgres: PostgresService,
    readonly databaseUrl: string,
    private readonly nodeEnv: Record<string, string>,
  ) {}

  static async start(nodeEnv: Record<string, string> = {}): Promise<ClusterHarness> {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const databaseUrl = await postgres.createDatabase('softphone');
    return new ClusterHarness(redis, postgres, databaseUrl, nodeEnv);
  }

  /** This test process's own view of the shared database (open once the first nodes migrated it). */
  get storage(): PostgresStorage {
    if (!this.db) throw new Error('start nodes first');
    return this.db;
  }

  /** Starts nodes together (they migrate the same database at the same moment). */
  async startNodes(...ids: string[]): Promise<NodeProcess[]> {
    const nodes = await Promise.all(
      ids.map((id) =>
        startNode(id, { REDIS_URL: this.redis.url, DATABASE_URL: this.databaseUrl, ...this.nodeEnv }),
      ),
    );
    for (const n of nodes) this.nodes.set(n.nodeId, n);
    this.db ??= await PostgresStorage.connect(this.databaseUrl, { poolSize: 4 });
    return nodes;
  }

  node(id: string): NodeProcess {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  async addUser(username: string): Promise<string> {
    const existing = await this.storage.accounts.getUserByUsername(username);
    if (existing) return existing.id;
    const displayName = username[0]!.toUpperCase() + username.slice(1);
    return (await addUser(this.storage.accounts, username, displayName, TEST_PASSWORD)).id;
  }

  /** A socket.io device connected straight to one node (it does not reconnect). */
  async device(url: string, username: string, kind: DeviceKind = 'desktop'): Promise<TestDevice> {
    const userId = await this.addUser(username);
    const tokens = await new ApiClient(url).login({ username, password: TEST_PASSWORD });
    const deviceId = `${username}-${kind}-${randomUUID().slice(0, 6)}`;
    const signaling = new Signaling({
      serverUrl: url,
      auth: () => ({
        token: tokens.accessToken,
        deviceId,
        deviceKind: kind,
        deviceName: `${username}'s ${kind}`,
        appVersion: 'test',
      }),
    });
    const device = new TestDevice(signaling, deviceId, userId);
    await new Promise<void>((resolve, reject) => {
      signaling.socket.once('connect', () => resolve());
      signaling.socket.once('connect_error', (err) => reject(err));
      signaling.connect();
    });
    this.devices.push(device);
    return device;
  }

  /** A real softphone core signed in at `url` (typically the balancer): it reconnects and re-syncs by itself. */
  async phone(url: string, username: string): Promise<Softphone> {
    await this.addUser(username);
    const phone = createPhone(username, 'desktop', { heartbeatIntervalMs: 2_000 });
    this.phones.push(phone);
    await phone.login(url, username, TEST_PASSWORD);
    await waitForState(phone, (s) => s.connection === 'connected' && s.history !== undefined, 10_000, 'connected');
    return phone;
  }

  async stop(): Promise<void> {
    for (const d of this.devices) d.close();
    await Promise.all(this.phones.map((p) => p.stop()));
    await Promise.all([...this.nodes.values()].map((n) => n.stop()));
    if (process.env.CLUSTER_LOGS) {
      for (const n of this.nodes.values()) {
        for (const l of n.logs) if ((l.level as number) >= Number(process.env.CLUSTER_LOGS)) console.log(n.nodeId, JSON.stringify(l));
      }
    }
    await this.db?.close();
    await Promise.all([this.redis.stop(), this.postgres.stop()]);
  }
}
