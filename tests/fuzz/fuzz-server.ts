/**
 * Parent side of tests/fuzz/server-process.ts: starts the server in a child
 * process, talks to it over IPC, and notices when it dies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConfigInput } from '../../src/server/config.js';
import type { HistoryRecord } from '../../src/shared/protocol/index.js';
import type { CallJournalRow } from '../../src/server/store/types.js';
import type { FuzzServerMessage, FuzzServerRequest } from './server-process.js';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface HeapSample {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

export interface LogLine {
  level: number;
  line: string;
}

const ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export class FuzzServer {
  readonly logs: LogLine[] = [];
  /** Set once the child exits for any reason other than our `stop`. */
  crashed: string | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(config: Partial<ConfigInput>): Promise<FuzzServer> {
    // FUZZ_SERVER_PROF=<dir>: the server process writes a CPU profile there (where does the time go?).
    const child = fork(ENTRY, [], {
      execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=512', ...(process.env.FUZZ_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FUZZ_SERVER_PROF}`] : [])],
      env: { ...process.env, FUZZ_SERVER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-8_000)));
    child.stdout!.resume();
    const ready = await new Promise<{ url: string; port: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fuzz server did not start in 30 s\n${stderr}`)), 30_000);
      child.on('message', (m: FuzzServerMessage) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        resolve(m);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`fuzz server exited at start (${code ?? signal})\n${stderr}`));
      });
    });
    const server = new FuzzServer(child, ready.url, ready.port);
    server.stderr = stderr;
    child.stderr!.on('data', (b: Buffer) => (server.stderr = (server.stderr + b.toString('utf8')).slice(-8_000)));
    child.on('message', (m: FuzzServerMessage) => server.onMessage(m));
    child.on('exit', (code, signal) => {
      if (!server.stopping) server.crashed = `server process exited (code ${code}, signal ${signal})\n${server.stderr}`;
      for (const p of server.pending.values()) p.reject(new Error(server.crashed ?? 'server stopped'));
      server.pending.clear();
    });
    return server;
  }

  private onMessage(m: FuzzServerMessage): void {
    if (m.type === 'log') {
      this.logs.push({ level: m.level, line: m.line });
      if (this.logs.length > 1_000) this.logs.splice(0, this.logs.length - 1_000);
      return;
    }
    if (m.type !== 'reply') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.data);
    else p.reject(new Error(m.error));
  }

  private request<T>(req: DistributiveOmit<FuzzServerRequest, 'id'>): Promise<T> {
    if (this.crashed) return Promise.reject(new Error(this.crashed));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...req, id });
    });
  }

  addUser(username: string, password: string): Promise<string> {
    return this.request({ type: 'addUser', username, password });
  }

  removeUser(username: string): Promise<boolean> {
    return this.request({ type: 'removeUser', username });
  }

  heap(): Promise<HeapSample> {
    return this.request({ type: 'heap' });
  }

  records(callIds: string[]): Promise<Record<string, HistoryRecord[]>> {
    return this.request({ type: 'records', callIds });
  }

  journal(callIds: string[]): Promise<Record<string, CallJournalRow | null>> {
    return this.request({ type: 'journal', callIds });
  }

  /** Every HTTP route the server registered. */
  routes(): Promise<{ method: string; url: string }[]> {
    return this.request({ type: 'routes' });
  }

  /** The last 8 kB the server wrote to stderr (not through its logger). */
  get stderrTail(): string {
    return this.stderr;
  }

  /** Log lines at error level or above (pino: 50 = error, 60 = fatal). */
  errors(): LogLine[] {
    return this.logs.filter((l) => l.level >= 50);
  }

  get alive(): boolean {
    return this.crashed === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request({ type: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
