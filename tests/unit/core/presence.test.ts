/**
 * The core's presence tracker: what a contact list shows when snapshots (acks) and events
 * race. The server reads a snapshot, a change is published, and the event arrives before
 * the ack that carries the older value: the list must keep the event's value.
 */
import { describe, expect, it } from 'vitest';
import { PresenceTracker } from '../../../src/core/presence.js';
import type { PresenceStatus, SetStatus } from '../../../src/shared/protocol/index.js';

interface Pending {
  event: string;
  payload: unknown;
  resolve(v: unknown): void;
}

function rig() {
  const pending: Pending[] = [];
  const shown = new Map<string, PresenceStatus>();
  const own: Array<{ status: SetStatus; presence: PresenceStatus }> = [];
  const tracker = new PresenceTracker({
    request: ((event: string, payload: unknown) =>
      new Promise((resolve) => pending.push({ event, payload, resolve }))) as never,
    emit: ({ userId, presence }) => shown.set(userId, presence),
    setOwn: (o) => own.push(o),
  });
  const reply = (event: string, data: unknown) => {
    const i = pending.findIndex((p) => p.event === event);
    if (i < 0) throw new Error(`no pending ${event}`);
    pending.splice(i, 1)[0]!.resolve(data);
  };
  return { tracker, pending, shown, own, reply };
}

const bob = { id: 'bob', username: 'bob', displayName: 'Bob' };

describe('PresenceTracker', () => {
  it('an event that arrives while a subscribe is in flight wins over the older snapshot', async () => {
    const r = rig();
    const watching = r.tracker.watch(['bob', 'carol']);
    r.tracker.changed('bob', 'available'); // Bob leaves DND; the ack below was read before
    r.reply('presence:subscribe', { presence: { bob: 'dnd', carol: 'away' } });
    expect(await watching).toEqual({ bob: 'available', carol: 'away' });
  });

  it('a snapshot requested after an event replaces it', async () => {
    const r = rig();
    r.tracker.changed('bob', 'available');
    const watching = r.tracker.watch(['bob']);
    r.reply('presence:subscribe', { presence: { bob: 'busy' } });
    expect(await watching).toEqual({ bob: 'busy' });
  });

  it('directory search results carry the newest presence', async () => {
    const r = rig();
    const searching = r.tracker.search('bo');
    r.tracker.changed('bob', 'offline');
    r.reply('directory:search', { users: [{ ...bob, presence: 'available' }] });
    expect(await searching).toEqual([{ ...bob, presence: 'offline' }]);
    expect(r.pending).toEqual([]);
  });

  it('the directory brings the queues that match too (none from a server without queues)', async () => {
    const r = rig();
    const support = { id: 'support', name: 'Support', agentsLoggedIn: 3, agentsReady: 2, waiting: 1 };
    const searching = r.tracker.directory('sup');
    r.reply('directory:search', { users: [{ ...bob, presence: 'available' }], queues: [support] });
    expect(await searching).toEqual({ users: [{ ...bob, presence: 'available' }], queues: [support] });
    const older = r.tracker.directory('b');
    r.reply('directory:search', { users: [] });
    expect(await older).toEqual({ users: [], queues: [] });
  });

  it('an older reply that arrives after a newer one does not undo it', async () => {
    const r = rig();
    const first = r.tracker.search('b');
    r.tracker.changed('carol', 'away'); // any event moves the mark on
    const second = r.tracker.watch(['bob']);
    r.reply('presence:subscribe', { presence: { bob: 'busy' } });
    expect(await second).toEqual({ bob: 'busy' });
    r.reply('directory:search', { users: [{ ...bob, presence: 'available' }] });
    expect((await first)[0]!.presence).toBe('busy');
  });

  it('resubscribing after a reconnect announces the current presence of the watched users', async () => {
    const r = rig();
    const w = r.tracker.watch(['bob']);
    r.reply('presence:subscribe', { presence: { bob: 'available' } });
    await w;
    const again = r.tracker.resubscribe();
    expect(r.pending[0]?.payload).toEqual({ userIds: ['bob'] });
    r.reply('presence:subscribe', { presence: { bob: 'offline' } });
    await again;
    expect(r.shown.get('bob')).toBe('offline');
  });

  it('own status: a status:changed received before the ack is kept (another device set it last)', async () => {
    const r = rig();
    const setting = r.tracker.setStatus('dnd');
    r.tracker.ownChanged('dnd', 'dnd'); // our own change, broadcast before the ack
    r.tracker.ownChanged('available', 'available'); // another device, right after
    r.reply('presence:set', { status: 'dnd', presence: 'dnd' });
    await setting;
    expect(r.own.at(-1)).toEqual({ status: 'available', presence: 'available' });
  });

  it('own status: without any event the ack decides', async () => {
    const r = rig();
    const setting = r.tracker.setStatus('away');
    r.reply('presence:set', { status: 'away', presence: 'away' });
    await setting;
    expect(r.own).toEqual([{ status: 'away', presence: 'away' }]);
  });

  it('signing out forgets the watched users', async () => {
    const r = rig();
    const w = r.tracker.watch(['bob']);
    r.reply('presence:subscribe', { presence: { bob: 'available' } });
    await w;
    r.tracker.clear();
    await r.tracker.resubscribe();
    expect(r.pending).toEqual([]);
  });
});
