/**
 * Two `user add` commands run together on a fresh data dir both succeed: the SQLite store
 * waits for the other process's lock (busy_timeout, set first) and migrates inside
 * BEGIN IMMEDIATE with the schema version re-read there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../helpers/server.js';

function cli(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['src/server/cli.ts', ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * How many other processes have the file open (Linux /proc; tsx runs the CLI in a child
 * process, so the spawned pid is not the one that opens it).
 */
function openersOf(file: string): number {
  let n = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const dir = `/proc/${pid}/fd`;
      if (fs.readdirSync(dir).some((fd) => fs.readlinkSync(path.join(dir, fd)) === file)) n++;
    } catch {
      // gone, or not ours to read
    }
  }
  return n;
}

describe('concurrent CLI commands on a fresh data dir', () => {
  it('two `user add` released at the same instant on a fresh file both succeed (three rounds)', { timeout: 120_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const dataDir = tempDir();
      const file = path.join(dataDir, 'softphone.db');
      // Hold the fresh (empty, WAL) file's write lock until both commands have opened it: both
      // then read schema version 0 and queue for the lock to migrate at the same moment (tsx
      // start-up jitter hides the race otherwise).
      const holder = new Database(file);
      holder.pragma('journal_mode = WAL');
      holder.exec('BEGIN IMMEDIATE');
      const runs = [
        cli(['user', 'add', 'ann', '--password-stdin', '--data-dir', dataDir], 'ann-password-1\n'),
        cli(['user', 'add', 'ben', '--password-stdin', '--data-dir', dataDir], 'ben-password-1\n'),
      ];
      await vi.waitFor(() => expect(openersOf(file)).toBe(2), { timeout: 20_000, interval: 20 });
      holder.exec('COMMIT');
      holder.close();
      const [a, b] = await Promise.all(runs);
      expect(a!.code, a!.stderr).toBe(0);
      expect(b!.code, b!.stderr).toBe(0);
      const list = await cli(['user', 'list', '--data-dir', dataDir]);
      expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['ann', 'ben']);
    }
  });
});
