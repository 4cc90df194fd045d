/**
 * The core's token session under fake timers, against a fake HTTP server: the access token
 * is refreshed ahead of expiry (so a reconnect never waits for one), rotations never overlap,
 * a rotation by another tab is picked up, and a refused refresh ends the session.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, hostTimers } from '../../../src/core/ports.js';
import { SESSION_KEY, TokenSession, type StoredSession } from '../../../src/core/token-session.js';
import { ME } from './fake-signaling.js';

const URL_ = 'http://server.test';

function server() {
  let n = 0;
  const refreshes: string[] = [];
  let refuse = false;
  const fetch = (async (url: URL, init: { body?: string }) => {
    const body = init.body ? (JSON.parse(init.body) as { refreshToken?: string }) : {};
    const json = (status: number, data: unknown) => ({ ok: status < 400, status, json: async () => data });
    if (url.pathname === '/api/refresh') {
      refreshes.push(body.refreshToken!);
      if (refuse) return json(401, { error: { code: 'unauthorized', message: 'session revoked' } });
    }
    n++;
    return json(200, { accessToken: `access-${n}`, refreshToken: `refresh-token-${n}`, expiresIn: 600, user: ME });
  }) as never;
  return { fetch, refreshes, refuse: () => (refuse = true) };
}

describe('TokenSession', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function session(store = new MemoryStore()) {
    const srv = server();
    const onExpired = vi.fn();
    const tokens = new TokenSession({ store, fetch: srv.fetch, timers: hostTimers, onTokens: () => undefined, onExpired });
    return { tokens, srv, store, onExpired };
  }

  it('refreshes ahead of expiry, at 80 % of the access token lifetime, and persists the rotation', async () => {
    const { tokens, srv, store } = session();
    await tokens.login(URL_, 'alice', 'pw');
    await vi.advanceTimersByTimeAsync(479_000);
    expect(srv.refreshes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(srv.refreshes).toEqual(['refresh-token-1']);
    expect((await store.get<StoredSession>(SESSION_KEY))?.refreshToken).toBe('refresh-token-2');
    // The fresh access token is served without another round trip.
    expect(await tokens.validAccessToken()).toBe('access-2');
    expect(srv.refreshes).toHaveLength(1);
  });

  it('concurrent callers share one rotation', async () => {
    const { tokens, srv } = session();
    await tokens.login(URL_, 'alice', 'pw');
    await Promise.all([tokens.refresh(), tokens.refresh(), tokens.refresh()]);
    expect(srv.refreshes).toEqual(['refresh-token-1']);
  });

  it('a token another tab rotated into the shared store is the one presented', async () => {
    const store = new MemoryStore();
    const { tokens, srv } = session(store);
    await tokens.login(URL_, 'alice', 'pw');
    await store.set(SESSION_KEY, { serverUrl: URL_, refreshToken: 'rotated-by-another-tab', user: ME });
    await tokens.refresh();
    expect(srv.refreshes).toEqual(['rotated-by-another-tab']);
  });

  it('a refused scheduled refresh ends the session', async () => {
    const { tokens, srv, onExpired } = session();
    await tokens.login(URL_, 'alice', 'pw');
    srv.refuse();
    await vi.advanceTimersByTimeAsync(480_000);
    expect(onExpired).toHaveBeenCalledTimes(1);
  });
});
