/**
 * Login throttling per username (docs/protocol.md): a stranger's failed guesses delay the
 * owner by one short window at most, and `Retry-After` is the real wait.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const WINDOW_SEC = 2;

beforeAll(async () => {
  server = await startTestServer({ loginFailuresPerUsername: 5, loginFailureWindowSec: WINDOW_SEC });
  await server.addUser('owner');
});
afterAll(() => server.stop());

async function login(password: string): Promise<{ status: number; retryAfter: string | null; at: number }> {
  const res = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'owner', password }),
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), at: performance.now() };
}

describe('per-username login throttle', () => {
  it("a stranger's failures delay the owner by one short window, and Retry-After says when", async () => {
    const stranger: number[] = [];
    for (let i = 0; i < 12; i++) stranger.push((await login('a wrong guess')).status);
    // Five guesses are answered; the rest wait.
    expect(stranger.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(stranger.slice(5).every((s) => s === 429)).toBe(true);

    const refused = await login(TEST_PASSWORD);
    expect(refused.status).toBe(429);
    const retryAfterSec = Number(refused.retryAfter);
    expect(Number.isInteger(retryAfterSec)).toBe(true);
    expect(retryAfterSec).toBeGreaterThan(0);
    expect(retryAfterSec).toBeLessThanOrEqual(WINDOW_SEC);

    // Waiting exactly what Retry-After announced is enough: the owner gets in.
    await delay(retryAfterSec * 1000);
    const owner = await login(TEST_PASSWORD);
    expect(owner.status).toBe(200);
    console.info(`owner waited ${retryAfterSec} s (Retry-After) after 12 failed guesses`);
  }, 30_000);
});
