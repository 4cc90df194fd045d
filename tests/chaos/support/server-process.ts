/**
 * The signaling server as a real child process (`node --import tsx
 * src/server/cli.ts --port <fixed> --data-dir <dir>`), so a chaos test can
 * SIGKILL it (no shutdown code runs; the kernel cuts every socket) and start
 * it again on the same port and data directory, as a supervisor (systemd,
 * Kubernetes) would after a crash.
 *
 * Accounts are created in the data directory before the first start (the
 * same code `user add` runs); the call history is read straight from the
 * SQLite file, read-only, so a test sees exactly what is durable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { addUser } from '../../../src/server/accounts.js';
import { SqliteStorage } from '../../../src/server/store/sqlite.js';
import { TEST_PASSWORD, tempDir } from '../../helpers/server.js';
import { freePort } from '../../helpers/services.js';

export { freePort };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** One durable history row, as the `history` table holds it. */
export interface HistoryRow {
  userId: string;
  direction: 'incoming' | 'outgoing';
  outcome: string;
  endReason: string;
}

export interface ServerProcessOptions {
  /** Accounts to create before the first start: username → display name. */
  users: Record<string, string>;
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 to be reachable from another namespace). */
  host?: string;
  /** Extra environment (server settings, see src/server/config.ts). */
  env?: Record<string, string>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export class ServerProcess {
  readonly dataDir = tempDir('softphone-chaos-');
  /** Every line the server printed, across all its lives (for failure messages). */
  readonly output: string[] = [];
  /** Parsed JSON log lines, across all its lives. */
  readonly logs: Record<string, unknown>[] = [];
  private child: ChildProcess | null = null;
  private userIds = new Map<string, string>();
  private lives = 0;

  private constructor(
    readonly port: number,
    private readonly opts: ServerProcessOptions,
  ) {}

  /** Creates the accounts, then starts the server. */
  static async start(opts: ServerProcessOptions): Promise<ServerProcess> {
    const server = new ServerProcess(await freePort(), opts);
    const storage = SqliteStorage.open(server.dataDir);
    try {
      for (const [username, displayName] of Object.entries(opts.users)) {
        const u = await addUser(storage.accounts, username, displayName, TEST_PASSWORD);
        server.userIds.set(username, u.id);
      }
    } finally {
      await storage.close();
    }
    await server.restart();
    return server;
  }

  /** What browsers on this machine open (a secure context, so getUserMedia works). */
  get url(): string {
    return `http://localhost:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  userId(username: string): string {
    const id = this.userIds.get(username);
    if (!id) throw new Error(`no account ${username}: list it in ServerProcessOptions.users`);
    return id;
  }

  /**
   * The harness creates its users through this; here they exist before the
   * server starts, so this only checks the name was planned.
   */
  async addUser(username: string): Promise<string> {
    return this.userId(username);
  }

  /** Starts the server (again) on the same port and data directory; resolves once it listens. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('the server is already running');
    const life = ++this.lives;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/server/cli.ts', '--port', String(this.port), '--data-dir', this.dataDir, '--host', this.opts.host ?? '127.0.0.1'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          // debug: the gateway logs every device connection ("device connected"), which is
          // how a test sees that a client really reconnected.
          LOG_LEVEL: 'debug',
          // Tests open many connections from one address quickly.
          LOGIN_RATE_PER_MINUTE: '10000',
          INVITE_RATE_PER_MINUTE: '10000',
          SOCKET_EVENTS_PER_SECOND: '10000',
          SHUTDOWN_GRACE_MS: '1000',
          ...this.opts.env,
        },
      },
    );
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    let buffered = '';
    let onListening: (() => void) | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        this.output.push(`[life ${life}] ${line}`);
        try {
          const entry: Record<string, unknown> = { ...(JSON.parse(line) as Record<string, unknown>), life };
          this.logs.push(entry);
          if (entry.msg === 'server listening') onListening?.();
        } catch {
          // not a log line
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => this.output.push(`[life ${life}] ${chunk.toString('utf8')}`));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the server did not start within 30 s:\n${this.tail()}`));
      }, 30_000);
      onListening = () => {
        clearTimeout(timer);
        resolve();
      };
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited during start (${code ?? signal}):\n${this.tail()}`));
      });
    });
  }

  /** SIGKILL: the process dies at once, without running any shutdown code. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (graceful), at the end of a test. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }

  /** Stops the server and removes its data directory (end of a test file). */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Log entries of this message (e.g. "device connected"), optionally filtered. */
  logged(msg: string, match: (entry: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
    return this.logs.filter((e) => e.msg === msg && match(e));
  }

  /** The durable history rows of a call (read-only; works whether the server runs or not). */
  historyOf(callId: string): HistoryRow[] {
    const db = new Database(path.join(this.dataDir, 'softphone.db'), { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      return db
        .prepare('SELECT user_id AS userId, direction, outcome, end_reason AS endReason FROM history WHERE call_id = ? ORDER BY direction')
        .all(callId) as HistoryRow[];
    } finally {
      db.close();
    }
  }

  tail(lines = 40): string {
    return this.output.slice(-lines).join('\n');
  }
}
