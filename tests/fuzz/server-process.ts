/**
 * A real signaling server in its own process, driven over IPC by the fuzzer
 * (tests/fuzz/fuzz-server.ts). Its own process, so that:
 *   - a crash is a crash (the process exits; nothing in the test runner hides it),
 *   - the heap we sample is the server's alone (`--expose-gc`, gc before sampling),
 *   - log lines at error level reach the fuzzer, which treats them as failures.
 * Config comes as JSON in FUZZ_SERVER_CONFIG. Started with
 *   node --import tsx --expose-gc tests/fuzz/server-process.ts
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { addUser } from '../../src/server/accounts.js';
import { startServer } from '../../src/server/app.js';
import type { ConfigInput } from '../../src/server/config.js';

export type FuzzServerRequest =
  | { id: number; type: 'addUser'; username: string; password: string }
  | { id: number; type: 'removeUser'; username: string }
  | { id: number; type: 'heap' }
  | { id: number; type: 'records'; callIds: string[] }
  | { id: number; type: 'journal'; callIds: string[] }
  | { id: number; type: 'routes' }
  | { id: number; type: 'stop' };

export type FuzzServerMessage =
  | { type: 'ready'; url: string; port: number }
  | { type: 'log'; level: number; line: string }
  | { type: 'reply'; id: number; ok: true; data: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

const send = (m: FuzzServerMessage) => process.send?.(m);

// Warnings and errors go to the parent; an error-level line is a finding.
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      let level = 0;
      try {
        level = (JSON.parse(line) as { level?: number }).level ?? 0;
      } catch {
        /* not JSON: pass it on as is */
      }
      send({ type: 'log', level, line: line.slice(0, 4_000) });
    }
    done();
  },
});

const config = JSON.parse(process.env.FUZZ_SERVER_CONFIG ?? '{}') as Partial<ConfigInput>;
const server = await startServer(
  { host: '127.0.0.1', port: 0, logLevel: 'warn', ...config },
  { logger: pino({ level: 'warn' }, sink) },
);

function heap() {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Two passes: the first can leave weakly held objects for the second.
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, gc: Boolean(gc) };
}

async function handle(req: FuzzServerRequest): Promise<unknown> {
  switch (req.type) {
    case 'addUser': {
      const existing = await server.storage.accounts.getUserByUsername(req.username);
      return existing?.id ?? (await addUser(server.storage.accounts, req.username, req.username, req.password)).id;
    }
    case 'removeUser': {
      const u = await server.storage.accounts.getUserByUsername(req.username);
      return u ? server.storage.accounts.removeUser(u.id) : false;
    }
    case 'heap':
      return heap();
    case 'records':
      return Object.fromEntries(
        await Promise.all(req.callIds.map(async (id) => [id, await server.storage.history.recordsForCall(id)] as const)),
      );
    case 'journal':
      return Object.fromEntries(
        await Promise.all(req.callIds.map(async (id) => [id, (await server.storage.history.getJournal(id)) ?? null] as const)),
      );
    case 'routes':
      return server.routes;
    case 'stop':
      await server.shutdown('fuzz finished');
      setImmediate(() => process.exit(0));
      return true;
  }
}

process.on('message', (raw: FuzzServerRequest) => {
  handle(raw).then(
    (data) => send({ type: 'reply', id: raw.id, ok: true, data }),
    (err: unknown) => send({ type: 'reply', id: raw.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));

send({ type: 'ready', url: server.url, port: server.port });
