/**
 * The core change the reconnect storm led to (src/core/softphone.ts, restart schedule):
 * after the server announces `session:shutdown`, cores retry on a short jittered
 * schedule (≤ RESTART_MAX_DELAY_MS apart) instead of an exponential backoff that has
 * grown to several seconds by the time a restart is done. Real server, real cores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RESTART_MAX_DELAY_MS, type Softphone } from '../../../src/core/softphone.js';
import { signIn, waitForState } from '../../helpers/phone.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/** How long the server stays down between the two runs. */
const RESTART_DOWNTIME_MS = 4_000;

const phones: Softphone[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  for (const p of phones) await p.stop();
  for (const s of servers) await s.stop();
});

describe('reconnect after a server restart', () => {
  it('cores told the server is restarting are back within the restart schedule, not an outage backoff', async () => {
    const first = await startTestServer();
    servers.push(first);
    // Production reconnect settings (the test helper's defaults are faster).
    for (const name of ['ann', 'ben', 'cid', 'dot', 'eve', 'fay']) {
      phones.push(await signIn(first, name, 'desktop', { reconnectBaseMs: 500, reconnectMaxMs: 10_000 }));
    }
    await first.stop();
    // Every core has seen the shutdown (an event, so no guessing how long that takes).
    await Promise.all(phones.map((p) => waitForState(p, (s) => s.connection === 'reconnecting', 5_000, 'reconnecting')));
    // Not a wait for something to happen: this is the length of the simulated restart,
    // long enough for an exponential backoff to reach 4–8 s. Nothing to await instead.
    await new Promise((r) => setTimeout(r, RESTART_DOWNTIME_MS));
    const second = await startTestServer({ dataDir: first.dataDir, port: first.port });
    servers.push(second);
    const up = performance.now();
    await Promise.all(phones.map((p) => waitForState(p, (s) => s.connection === 'connected', 30_000, 'reconnected')));
    const seconds = (performance.now() - up) / 1_000;
    // Each core's next attempt is at most RESTART_MAX_DELAY_MS away; the rest is slack for a busy machine.
    expect(seconds).toBeLessThan((RESTART_MAX_DELAY_MS * 2.5) / 1_000);
  }, 60_000);
});
