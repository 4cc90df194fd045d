/**
 * A signaling node as a real child process (`node --import tsx
 * src/server/cli.ts`, configured by environment like a deployment), so a test
 * can SIGKILL it: no shutdown code runs, sockets are cut by the kernel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../../helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface NodeProcess {
  nodeId: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** SIGKILL: the node dies without running any shutdown code. */
  kill(): Promise<void>;
  /** SIGTERM: graceful drain and stop. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export async function startNode(nodeId: string, env: Record<string, string>): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ID: nodeId,
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: tempDir(`softphone-${nodeId}-`),
      LOG_LEVEL: 'info',
      // Tests open many connections from one address quickly.
      LOGIN_RATE_PER_MINUTE: '10000',
      INVITE_RATE_PER_MINUTE: '10000',
      SOCKET_EVENTS_PER_SECOND: '10000',
      SHUTDOWN_GRACE_MS: '1000',
      ...env,
    },
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let buffered = '';
  let onListening: ((url: string) => void) | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      raw.push(line);
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'server listening' && typeof entry.url === 'string') onListening?.(entry.url);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => raw.push(chunk.toString('utf8')));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${nodeId} did not start within 30 s:\n${raw.join('\n').slice(-3_000)}`));
    }, 30_000);
    onListening = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`node ${nodeId} exited during start (code ${child.exitCode}):\n${raw.join('\n').slice(-3_000)}`));
    });
  });
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  return {
    nodeId,
    url,
    port: Number(new URL(url).port),
    child,
    logs,
    kill: () => stopWith('SIGKILL'),
    stop: () => stopWith('SIGTERM'),
  };
}
