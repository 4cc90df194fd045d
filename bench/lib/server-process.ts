/**
 * A server under test in its own process: our signaling server from the built
 * bundle (`node dist/bench/…/server/cli.mjs`) or the bare socket.io baseline.
 * Both get the same memory probe (`--expose-gc --import bench/probe/mem-probe.mjs`)
 * and are measured from outside through /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { BuildOutput } from './build.js';
import { exited, track } from './children.js';
import { CpuWindow, rssBytes } from './proc.js';

export type ServerKind = 'app' | 'bare';

export interface ServerSpec {
  kind: ServerKind;
  port: number;
  /** Data dir of the app server (SQLite database, secrets). */
  dataDir?: string;
  env: Record<string, string>;
  /** stdout + stderr of the server go here (JSON log lines for the app server). */
  logFile: string;
  /** Write a V8 CPU profile into this folder when the process exits. */
  cpuProfDir?: string;
}

export interface MemSample {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

/** A free port on 127.0.0.1 (shared with the tests). */
export { freePort } from '../../tests/helpers/services.js';

export class ServerUnderTest {
  private probeId = 0;
  /** Milliseconds from spawn until the server answered its health check. */
  startupMs = 0;
  /** Milliseconds from spawn until the server logged that it listens (before any client is served). */
  listeningMs = NaN;

  private constructor(
    readonly spec: ServerSpec,
    readonly child: ChildProcess,
  ) {}

  static async start(build: BuildOutput, spec: ServerSpec): Promise<ServerUnderTest> {
    const started = performance.now();
    const spawnedAt = Date.now();
    const log = fs.openSync(spec.logFile, 'a');
    const nodeArgs = ['--expose-gc', '--import', pathToFileURL(build.memProbe).href];
    // Diagnostics: BENCH_SERVER_NODE_ARGS="--heapsnapshot-signal=SIGUSR2" and the like.
    nodeArgs.push(...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []));
    if (spec.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${spec.cpuProfDir}`);
    const script = spec.kind === 'app' ? build.serverCli : build.bareServer;
    const env: Record<string, string> = {
      ...stripInherited(process.env),
      ...spec.env,
      HOST: '127.0.0.1',
      PORT: String(spec.port),
    };
    if (spec.dataDir) env.DATA_DIR = spec.dataDir;
    const child = spawn(process.execPath, [...nodeArgs, script], {
      env,
      stdio: ['ignore', log, log, 'ipc'],
    });
    fs.closeSync(log);
    track(child);
    const s = new ServerUnderTest(spec, child);
    await s.waitReady();
    s.startupMs = performance.now() - started;
    s.listeningMs = listeningAt(spec.logFile, spawnedAt) - spawnedAt;
    return s;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  private async waitReady(timeoutMs = 30_000): Promise<void> {
    const path = this.spec.kind === 'app' ? '/readyz' : '/healthz';
    const deadline = performance.now() + timeoutMs;
    let exitedEarly = false;
    void exited(this.child).then(() => (exitedEarly = true));
    while (performance.now() < deadline) {
      if (exitedEarly) throw new Error(`${this.spec.kind} server exited during startup; see ${this.spec.logFile}`);
      try {
        const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    throw new Error(`${this.spec.kind} server not ready after ${timeoutMs} ms; see ${this.spec.logFile}`);
  }

  /** Memory after two full GCs (heap from the in-process probe, RSS from /proc). */
  mem(): Promise<MemSample> {
    const id = ++this.probeId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`memory probe of the ${this.spec.kind} server did not answer`));
      }, 30_000);
      const onMessage = (raw: unknown) => {
        const m = raw as { probe?: string; id?: number; gcRan?: boolean; heapUsed: number; external: number };
        if (m.probe !== 'mem' || m.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (!m.gcRan) return reject(new Error('the memory probe has no gc(): --expose-gc missing'));
        resolve({ rssBytes: rssBytes(this.pid), heapUsedBytes: m.heapUsed, externalBytes: m.external });
      };
      this.child.on('message', onMessage);
      this.child.send({ cmd: 'mem', id });
    });
  }

  cpuWindow(): CpuWindow {
    return new CpuWindow(this.pid);
  }

  /** SIGTERM (graceful drain), then waits for the exit; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    const gone = exited(this.child);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await gone;
    clearTimeout(timer);
    return code;
  }
}

/** Time (epoch ms) of the first "server listening" log line written after `since`. */
function listeningAt(logFile: string, since: number): number {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"server listening"')) continue;
    try {
      const t = (JSON.parse(line) as { time?: number }).time;
      if (typeof t === 'number' && t >= since) return t;
    } catch {
      // Not a JSON line.
    }
  }
  return NaN;
}

/** The runner's own settings must not leak into the server under test. */
function stripInherited(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k === 'NODE_OPTIONS' || k.startsWith('npm_') || k === 'TSX_TSCONFIG_PATH') continue;
    out[k] = v;
  }
  return out;
}
