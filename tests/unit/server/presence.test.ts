/**
 * The server's presence refreshes for one user run in order: a slow refresh that read the
 * old status must not publish after a newer one, or watchers keep seeing the old value.
 */
import { describe, expect, it } from 'vitest';
import { PresenceService } from '../../../src/server/presence.js';
import type { SetStatus } from '../../../src/shared/protocol/index.js';

describe('PresenceService.refresh', () => {
  it('publishes the newest presence last when two refreshes of one user overlap', async () => {
    let status: SetStatus = 'dnd';
    const gates: Array<() => void> = [];
    let stored: string | undefined;
    const published: string[] = [];
    const service = new PresenceService(
      { getUserById: async () => ({ status }) } as never,
      {
        devices: { list: async () => [{}] },
        agents: { get: async () => undefined },
        calls: { activeForUser: async () => [] },
        presence: {
          // The first refresh's write is slow (a loaded store), the second's is not.
          swap: async (_: string, p: string) => {
            if (gates.length === 0) await new Promise<void>((r) => gates.push(r));
            const prev = stored;
            stored = p;
            return prev;
          },
        },
      } as never,
      { toPresenceWatchers: (_: string, { presence }: { presence: string }) => published.push(presence) } as never,
    );
    const first = service.refresh('bob'); // e.g. a call of Bob's just ended
    await expect.poll(() => gates.length).toBe(1); // it read "dnd" and is writing it
    status = 'available'; // Bob leaves do-not-disturb meanwhile
    const second = service.refresh('bob');
    for (let i = 0; i < 20; i++) await Promise.resolve(); // let the second refresh run as far as it can
    gates[0]!();
    await Promise.all([first, second]);
    expect(published.at(-1)).toBe('available');
    expect(stored).toBe('available');
  });
});
