/**
 * The live agent store on a real Redis, several instances standing in for several nodes:
 * compare-and-set holds across them, and an agent deadline fires exactly once, on another
 * node when the node that set it has stopped.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent } from '../../../src/server/agents/agent-machine.js';
import { RedisLiveState } from '../../../src/server/live/redis.js';
import { startRedis, type RedisService } from '../../helpers/services.js';
import { quietFor, waitFor } from '../../helpers/wait.js';

let redis: RedisService;
const clients: Redis[] = [];
const states: RedisLiveState[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of states) await s.close();
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function nodes(count: number): RedisLiveState[] {
  const keyPrefix = `a${++prefixCounter}:`;
  return Array.from({ length: count }, (_, i) => {
    const client = new Redis(redis.url);
    clients.push(client);
    const s = new RedisLiveState(client, { nodeId: `n${i}`, keyPrefix, endedCallRetentionMs: 60_000, deadlinePollMs: 50 });
    states.push(s);
    return s;
  });
}

const agent = (id: string) =>
  newAgent({ id, username: id, displayName: id }, { queue: false, internal: false, delayMs: 0, agentMayChange: false }, Date.now());

describe('Redis live agent store', () => {
  it('inserts once, then only the writer holding the current version wins', async () => {
    const [a, b] = nodes(2) as [RedisLiveState, RedisLiveState];
    const fresh = agent('u1');
    const inserted = await Promise.all([a.agents.compareAndSet(fresh, null), b.agents.compareAndSet(fresh, null)]);
    expect(inserted.filter(Boolean)).toHaveLength(1);
    const ready = { ...fresh, version: 1, state: 'ready' as const };
    const away = { ...fresh, version: 1, state: 'not-ready' as const, reason: 'break' };
    const won = await Promise.all([a.agents.compareAndSet(ready, 0), b.agents.compareAndSet(away, 0)]);
    expect(won.filter(Boolean)).toHaveLength(1);
    const stored = await b.agents.get('u1');
    expect(stored?.version).toBe(1);
    expect(stored?.state).toBe(won[0] ? 'ready' : 'not-ready');
    expect((await a.agents.list()).map((x) => x.userId)).toEqual(['u1']);
  });

  it('a deadline fires once across nodes, and on another node when its node stopped', async () => {
    const [a, b, c] = nodes(3) as [RedisLiveState, RedisLiveState, RedisLiveState];
    const fired: string[] = [];
    for (const [name, s] of [['a', a], ['b', b], ['c', c]] as const) s.agents.onDeadline((id) => fired.push(`${name}:${id}`));
    await a.agents.compareAndSet(agent('u2'), null);
    await a.agents.setDeadline('u2', Date.now() + 200);
    await waitFor(() => fired.length > 0, 'the deadline to fire', { timeoutMs: 3_000 });
    await quietFor(400, 'a second firing of the same deadline');
    expect(fired).toHaveLength(1);

    await a.agents.compareAndSet(agent('u3'), null);
    await a.agents.setDeadline('u3', Date.now() + 300);
    await a.close(); // the node that set it is gone: its local timer never runs
    const due = Date.now() + 300;
    await waitFor(() => fired.some((f) => f.endsWith(':u3')), 'another node to fire the deadline', { timeoutMs: 3_000 });
    expect(fired.filter((f) => f.endsWith(':u3'))).toHaveLength(1);
    expect(fired.find((f) => f.endsWith(':u3'))?.startsWith('a:')).toBe(false);
    expect(Date.now() - due).toBeLessThan(1_000);
  });
});
