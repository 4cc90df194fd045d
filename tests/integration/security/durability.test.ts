/**
 * Durability under kill -9: the real server CLI runs as a child process on a
 * temporary data dir; several pairs of users place calls concurrently; the
 * server is SIGKILLed in the middle of that load. Every write the server
 * acknowledged must be on disk: a call whose hangup was acknowledged has its
 * two history records, a call whose invite was acknowledged has its journal
 * row, an acknowledged account write (history:seen) and an issued refresh
 * token are there. No call ever has more than two records. After a restart on
 * the same data dir, recovery ends whatever was left open, with exactly two
 * records each.
 *
 * SIGKILL tests commit-before-acknowledge (the process dies, the OS keeps its
 * page cache). Surviving a power cut additionally needs the fsync that
 * synchronous=FULL does on every commit; see docs/security.md, "Durability".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { addUser } from '../../../src/server/accounts.js';
import { hashToken } from '../../../src/server/auth/tokens.js';
import { SqliteStorage } from '../../../src/server/store/sqlite.js';
import { Client, login } from '../../fuzz/clients.js';
import { tempDir } from '../../helpers/server.js';

const PASSWORD = 'durability-password-1';
const PAIRS = 5;
const KILL_AFTER_ACKED_CALLS = 30;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** `node --import tsx src/server/cli.ts` directly (not through npx), so the PID we kill is the server's. */
async function startCli(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
    cwd: path.resolve(import.meta.dirname, '../../..'),
    env: {
      ...process.env,
      INVITE_RATE_PER_MINUTE: '1000000',
      SOCKET_EVENTS_PER_SECOND: '100000',
      LOGIN_RATE_PER_MINUTE: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s\n${stderr}`)), 30_000);
    child.stdout.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      for (const line of buffered.split('\n')) {
        if (!line.includes('"server listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}\n${stderr}`));
    });
  });
  return { child, url };
}

function isOk(a: unknown): a is { ok: true; data: any } {
  return typeof a === 'object' && a !== null && (a as { ok?: unknown }).ok === true;
}

interface HistoryRow {
  call_id: string;
  direction: string;
  outcome: string;
}

describe('durability', () => {
  it('kill -9 under load loses no acknowledged write, and no call gets more than two records', async () => {
    const dataDir = tempDir('softphone-durability-');
    const names = Array.from({ length: PAIRS * 2 }, (_, i) => `dur${i}`);
    {
      // Accounts exist before the server starts, as `user add` would leave them.
      const storage = SqliteStorage.open(dataDir);
      for (const n of names) await addUser(storage.accounts, n, n, PASSWORD);
      await storage.close();
    }

    const first = await startCli(dataDir);
    const sessions = await Promise.all(names.map((n) => login(first.url, n, PASSWORD)));
    const clients = await Promise.all(
      sessions.map((s, i) => Client.connect(first.url, s.accessToken, `${names[i]}-dev`, s.user.id)),
    );

    const invited = new Set<string>();
    const acked = new Set<string>();
    let lastSeenAcked = 0;
    let lastRefreshToken = sessions[0]!.refreshToken;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      first.child.kill('SIGKILL');
    };

    const pairLoop = async (p: number) => {
      const caller = clients[2 * p]!;
      const callee = clients[2 * p + 1]!;
      for (let n = 0; !killed; n++) {
        const callId = `dur-${p}-${n}`;
        const incoming = new Promise<void>((resolve) =>
          callee.onEvent((e) => e.event === 'call:incoming' && (e.payload as { call: { callId: string } }).call.callId === callId && resolve()),
        );
        const invite = await caller.call('call:invite', [{ to: { userId: callee.userId }, callId }], 5_000);
        if (!isOk(invite)) return;
        invited.add(callId);
        await Promise.race([incoming, new Promise((r) => setTimeout(r, 5_000))]);
        if (!isOk(await callee.call('call:accept', [{ callId }], 5_000))) return;
        if (!isOk(await caller.call('call:hangup', [{ callId }], 5_000))) return;
        acked.add(callId);
        // Group commit acknowledges the pairs in lockstep; a few ms later they are mid-call.
        if (acked.size === KILL_AFTER_ACKED_CALLS) setTimeout(kill, 2 + Math.random() * 10);
      }
    };
    // Account writes alongside: history:seen moves last_seen_missed_at forward, one per ack.
    const accountLoop = async () => {
      const c = clients[0]!;
      for (let upTo = 1; !killed; upTo++) {
        if (!isOk(await c.call('history:seen', [{ upTo }], 5_000))) return;
        lastSeenAcked = upTo;
      }
    };
    // Token rotation alongside: every refresh response names a token that must be on disk.
    const refreshLoop = async () => {
      while (!killed) {
        try {
          const res = await fetch(`${first.url}/api/refresh`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ refreshToken: lastRefreshToken }),
          });
          if (!res.ok) return;
          lastRefreshToken = ((await res.json()) as { refreshToken: string }).refreshToken;
        } catch {
          return;
        }
      }
    };
    const guard = setTimeout(kill, 25_000);
    await Promise.all([...Array.from({ length: PAIRS }, (_, p) => pairLoop(p)), accountLoop(), refreshLoop()]);
    clearTimeout(guard);
    for (const c of clients) c.close();
    await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve())));
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKED_CALLS);
    console.log(`killed after ${acked.size} acknowledged calls; ${invited.size - acked.size} more invited and in flight; ${lastSeenAcked} account writes`);

    // The data dir exactly as the killed process left it (opening replays the WAL).
    const db = new Database(path.join(dataDir, 'softphone.db'));
    const check = (phase: string): void => {
      const rows = db.prepare('SELECT call_id, direction, outcome FROM history').all() as HistoryRow[];
      const byCall = new Map<string, HistoryRow[]>();
      for (const r of rows) byCall.set(r.call_id, [...(byCall.get(r.call_id) ?? []), r]);
      for (const [id, list] of byCall) expect(list.length, `${phase}: ${id}`).toBeLessThanOrEqual(2);
      for (const id of acked) {
        const list = byCall.get(id) ?? [];
        expect(list.map((r) => `${r.direction}:${r.outcome}`).sort(), `${phase}: acknowledged call ${id}`).toEqual([
          'incoming:completed',
          'outgoing:completed',
        ]);
      }
      const journal = db.prepare('SELECT call_id, ended_at FROM calls').all() as { call_id: string; ended_at: number | null }[];
      const journaled = new Set(journal.map((j) => j.call_id));
      for (const id of invited) expect(journaled.has(id), `${phase}: journal row of acknowledged invite ${id}`).toBe(true);
    };
    check('after kill -9');
    const seen = db.prepare('SELECT last_seen_missed_at AS v FROM users WHERE username = ?').get('dur0') as { v: number };
    expect(seen.v).toBeGreaterThanOrEqual(lastSeenAcked);
    expect(db.prepare('SELECT 1 FROM refresh_tokens WHERE token_hash = ?').get(hashToken(lastRefreshToken))).toBeDefined();
    db.close();

    // Restart on the same data dir: recovery ends every call left open (answered ones after
    // the reconnect grace), each with exactly two records, and keeps the acknowledged ones as they were.
    const second = await startCli(dataDir, { CALL_RECONNECT_GRACE_MS: '1000' });
    const reader = new Database(path.join(dataDir, 'softphone.db'), { readonly: true });
    const deadline = Date.now() + 15_000;
    const unfinished = () => (reader.prepare('SELECT COUNT(*) AS n FROM calls WHERE ended_at IS NULL').get() as { n: number }).n;
    while (unfinished() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(unfinished()).toBe(0);
    reader.close();
    const stopped = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    await stopped;
    expect({ code: second.child.exitCode, signal: second.child.signalCode }).toEqual({ code: 0, signal: null });

    const after = new Database(path.join(dataDir, 'softphone.db'), { readonly: true });
    const rows = after.prepare('SELECT call_id, direction, outcome FROM history').all() as HistoryRow[];
    const journal = after.prepare('SELECT call_id FROM calls').all() as { call_id: string }[];
    const counts = new Map<string, string[]>();
    for (const r of rows) counts.set(r.call_id, [...(counts.get(r.call_id) ?? []), r.direction]);
    for (const { call_id } of journal) expect((counts.get(call_id) ?? []).sort(), `after restart: ${call_id}`).toEqual(['incoming', 'outgoing']);
    for (const id of acked) {
      expect(rows.filter((r) => r.call_id === id).every((r) => r.outcome === 'completed'), id).toBe(true);
    }
    after.close();
  }, 90_000);
});
