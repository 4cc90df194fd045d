/**
 * The storage change the benchmark led to (src/server/store/sqlite.ts, GroupCommit):
 * commits no longer fsync on the event loop; the WAL is fdatasync'ed on the thread
 * pool and a write is acknowledged only after a sync that started after its commit.
 * Here fdatasync is held back by hand to check that ordering, and made to fail to
 * check that no write is acknowledged when durability is unknown.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteStorage } from '../../../src/server/store/sqlite.js';
import { tempDir } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;

function holdSyncs(): SyncCallback[] {
  const held: SyncCallback[] = [];
  vi.spyOn(fs, 'fdatasync').mockImplementation((_fd, cb) => {
    held.push(cb);
  });
  return held;
}

const user = (username: string) => ({ id: randomUUID(), username, displayName: username, passwordHash: 'x' });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SQLite group commit with asynchronous WAL sync', () => {
  it('acknowledges a write only after the WAL sync that followed its commit; writes during a sync share the next one', async () => {
    const storage = SqliteStorage.open(tempDir());
    const held = holdSyncs();
    const acked: string[] = [];
    const first = storage.accounts.createUser(user('first')).then(() => acked.push('first'));
    await waitFor(() => held.length === 1, 'the first sync', { everyMs: 2 });
    // Committed (readable) but not durable yet: not acknowledged.
    expect(await storage.accounts.getUserByUsername('first')).toBeDefined();
    const second = storage.accounts.createUser(user('second')).then(() => acked.push('second'));
    const third = storage.accounts.createUser(user('third')).then(() => acked.push('third'));
    // Wait until both are committed (readable): an implementation that acknowledged at
    // commit would have done so by now, so this proves the ordering without a sleep.
    await waitFor(
      async () =>
        (await storage.accounts.getUserByUsername('second')) !== undefined &&
        (await storage.accounts.getUserByUsername('third')) !== undefined,
      'the second and third writes to commit',
      { everyMs: 2 },
    );
    expect(acked).toEqual([]);
    // One sync at a time: the later commits wait for the next one.
    expect(held).toHaveLength(1);
    held[0]!(null);
    await first;
    expect(acked).toEqual(['first']);
    await waitFor(() => held.length === 2, 'the second sync', { everyMs: 2 });
    expect(acked).toEqual(['first']);
    held[1]!(null);
    await Promise.all([second, third]);
    expect(acked.sort()).toEqual(['first', 'second', 'third']);
    vi.restoreAllMocks();
    await storage.close();
  });

  it('writes of one tick share a transaction, but a failing one rolls back alone', async () => {
    const storage = SqliteStorage.open(tempDir());
    const results = await Promise.allSettled([
      storage.accounts.createUser(user('kept')),
      storage.accounts.createUser(user('kept')),
      storage.accounts.createUser(user('also-kept')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await storage.accounts.getUserByUsername('kept')).toBeDefined();
    expect(await storage.accounts.getUserByUsername('also-kept')).toBeDefined();
    await storage.close();
  });

  it('a failed sync fails the writes waiting for it and every later write, and the storage reports not ready', async () => {
    const storage = SqliteStorage.open(tempDir());
    const held = holdSyncs();
    const write = storage.accounts.createUser(user('lost'));
    await waitFor(() => held.length === 1, 'the sync', { everyMs: 2 });
    held[0]!(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(write).rejects.toMatchObject({ code: 'internal' });
    await expect(storage.accounts.createUser(user('later'))).rejects.toMatchObject({ code: 'internal' });
    expect(await storage.ready()).toBe(false);
  });
});
