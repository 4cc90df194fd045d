/**
 * Runner side of a load-generator process: starts a bundled worker
 * (bench/workers/*.ts → dist/bench/…) with an IPC channel and sends it typed
 * commands. Workers are separate processes so the load they generate never
 * shares an event loop with the server or with the runner's bookkeeping.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { exited, track } from './children.js';
import type { WorkerReply } from './worker-protocol.js';

export class WorkerHost {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, ((data: unknown) => void)[]>();
  private exitError: Error | null = null;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (raw) => this.onMessage(raw as WorkerReply));
    child.once('exit', (code, signal) => {
      this.exitError = new Error(`${name} exited (${signal ?? code})`);
      for (const p of this.pending.values()) p.reject(this.exitError);
      this.pending.clear();
    });
  }

  static start(name: string, file: string, env: Record<string, string> = {}, nodeArgs: string[] = []): WorkerHost {
    // BENCH_PROFILE_WORKERS=<dir>: V8 CPU profiles of the load generators (what the clients cost).
    const prof = process.env.BENCH_PROFILE_WORKERS;
    const child = fork(file, [], {
      // No --enable-source-maps: mapping the stack of every failed connect attempt costs the
      // generators CPU that the server under test needs (they share the machine's cores).
      execArgv: [...nodeArgs, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
      env: { ...process.env, ...env, BENCH_WORKER_NAME: name },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    track(child);
    return new WorkerHost(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  request<T>(cmd: string, args: unknown = {}): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, args });
    });
  }

  on(event: string, listener: (data: unknown) => void): void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
  }

  private onMessage(msg: WorkerReply): void {
    if ('event' in msg) {
      for (const l of this.listeners.get(msg.event) ?? []) l(msg.data);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`${this.name}: ${msg.error}`));
  }

  /** Asks the worker to close its connections and exit; kills it if it does not. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = exited(this.child);
    this.request('exit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }
}

/** Splits items into `n` nearly equal consecutive chunks. */
export function chunk<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / n);
  for (let i = 0; i < n; i++) out.push(items.slice(i * size, (i + 1) * size));
  return out.filter((c) => c.length > 0);
}
