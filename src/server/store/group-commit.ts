/**
 * SQLite group commit (sqlite.ts): writes requested in the same tick share one transaction
 * and one WAL fdatasync, each in its own savepoint, and callers are resolved only once their
 * commit is on disk (docs/architecture.md, "Durability").
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { ProtocolError } from '../../shared/protocol/index.js';

type Write = { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void };
type Committed = { batch: Write[]; results: { ok: boolean; value: unknown }[] };

/**
 * Batches the writes of one tick into one transaction (one sync for all of them), and
 * makes them durable without blocking the event loop. better-sqlite3 is synchronous:
 * with synchronous=FULL each commit's fsync (milliseconds on real disks) would stall
 * this single thread and every socket with it. So when the WAL file could be opened
 * (`walFd`), the database runs with synchronous=NORMAL (a commit appends to the WAL
 * without syncing) and each committed batch waits for an fdatasync of the WAL on
 * libuv's thread pool: callers are resolved only after the first fdatasync that
 * started after their commit has finished, so an acknowledged write survives a crash
 * or power cut exactly as with FULL. Batches that commit while a sync runs share the
 * next one. Each write still runs in its own savepoint, so one failing write does
 * not undo the others.
 */
export class GroupCommit {
  private queue: Write[] = [];
  private scheduled = false;
  private idle: (() => void)[] = [];
  private unsynced: Committed[] = [];
  private syncing = false;
  /** Set when a WAL sync failed: durability is unknown, so every later write fails too. */
  failed: unknown = null;

  /**
   * Each write in its own savepoint, with statements prepared once: wrapping every write
   * with better-sqlite3's `db.transaction(fn)` built a new transaction function (four
   * variants and their properties) per write, ~3 % of the server's CPU per call.
   */
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  private readonly commitBatch: Database.Transaction<(batch: Write[], results: { ok: boolean; value: unknown }[]) => void>;

  constructor(
    private readonly db: Database.Database,
    private readonly walFd: number | null,
  ) {
    this.savepoint = db.prepare('SAVEPOINT group_write');
    this.release = db.prepare('RELEASE group_write');
    this.rollbackTo = db.prepare('ROLLBACK TO group_write');
    this.commitBatch = db.transaction((batch: Write[], results: { ok: boolean; value: unknown }[]) => {
      for (const item of batch) results.push(this.apply(item));
    });
  }

  /** One write in its savepoint: a failing write rolls back alone. */
  private apply(item: Write): { ok: boolean; value: unknown } {
    this.savepoint.run();
    try {
      const value = item.fn();
      this.release.run();
      return { ok: true, value };
    } catch (err) {
      if (this.db.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
      }
      return { ok: false, value: err };
    }
  }

  run<T>(fn: () => T): Promise<T> {
    if (this.failed) return Promise.reject(syncFailure());
    return new Promise<T>((resolve, reject) => this.enqueue({ fn, resolve: resolve as (v: unknown) => void, reject }));
  }

  private enqueue(write: Write): void {
    this.queue.push(write);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (this.failed) {
      for (const item of batch) item.reject(syncFailure());
      this.notifyIdle();
      return;
    }
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      // IMMEDIATE: take the write lock before the first read, so a write that reads first
      // (user add checks the name) waits for another process's writer (busy_timeout) instead
      // of failing "database is locked" when its read snapshot cannot be upgraded.
      this.commitBatch.immediate(batch, results);
    } catch (err) {
      for (const item of batch) item.reject(err);
      this.notifyIdle();
      return;
    }
    if (this.walFd === null) settle({ batch, results });
    else {
      this.unsynced.push({ batch, results });
      this.sync(this.walFd);
    }
    this.notifyIdle();
  }

  private sync(walFd: number): void {
    if (this.syncing || this.unsynced.length === 0) return;
    this.syncing = true;
    const committed = this.unsynced;
    this.unsynced = [];
    fs.fdatasync(walFd, (err) => {
      this.syncing = false;
      if (err) {
        // Committed but maybe not on disk: their writers must not be told it worked.
        this.failed = err;
        for (const c of [...committed, ...this.unsynced]) settle(c, syncFailure());
        this.unsynced = [];
      } else {
        for (const c of committed) settle(c);
        this.sync(walFd);
      }
      this.notifyIdle();
    });
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.scheduled || this.syncing || this.unsynced.length > 0) return;
    const waiters = this.idle;
    this.idle = [];
    for (const w of waiters) w();
  }

  drained(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled && !this.syncing && this.unsynced.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

function settle(c: Committed, failure?: unknown): void {
  c.batch.forEach((item, i) => {
    const r = c.results[i]!;
    if (failure !== undefined) item.reject(failure);
    else if (r.ok) item.resolve(r.value);
    else item.reject(r.value);
  });
}

function syncFailure(): ProtocolError {
  return new ProtocolError('internal', 'storage could not be synced to disk');
}

/**
 * Opens the WAL file for `fdatasync` (see GroupCommit) and makes its directory entry
 * durable once; null when that is not possible (then commits sync themselves, FULL).
 */
export function openWalForSync(dbFile: string): number | null {
  if (dbFile === ':memory:') return null;
  try {
    const fd = fs.openSync(`${dbFile}-wal`, 'r+');
    const dir = fs.openSync(path.dirname(dbFile), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
    return fd;
  } catch {
    return null;
  }
}
