/**
 * Queue offers on agents' devices with the real core against a real server: ring-all rings
 * two agents and, once one answers, the other's device lets the call go quietly (no missed
 * call, no record); a declined or missed (RONA) offer leaves the device, and the same call
 * offered again rings it again, with the queue's name, the caller and the wait on it.
 * Short times through the settings (agent ring 1 s, reject and no-answer delays 300 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import { createPhone, waitForState } from '../../helpers/phone.js';
import { makeQueue } from '../../helpers/queues.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../../helpers/server.js';

let server: TestServer;
const phones: Softphone[] = [];

beforeAll(async () => {
  server = await startTestServer({ agentRejectDelayMs: 300, agentMaxNoAnswer: 3, agentNoAnswerDelayMs: 300 });
});
afterAll(async () => {
  for (const p of phones) await p.stop();
  await server.stop();
});

/** A signed-in core; `agent`: with the agent role (a claim of the token: set before signing in). */
async function phone(username: string, agent = false): Promise<{ id: string; phone: Softphone }> {
  const id = await server.addUser(username);
  if (agent) await server.storage.agents.setRoles(id, ['agent']);
  const p = createPhone(username);
  phones.push(p);
  await p.login(server.url, username, TEST_PASSWORD);
  await waitForState(p, (s) => s.connection === 'connected' && (!agent || s.agent != null), 5_000, `${username} connected`);
  if (agent) await p.setAgentStatus({ state: 'ready' });
  return { id, phone: p };
}

const ringingHere = (p: Softphone, callId: string, seq?: number) =>
  waitForState(
    p,
    (s) => s.calls.some((c) => c.callId === callId && c.local === 'ringing-in' && (seq === undefined || c.offer?.seq === seq)),
    5_000,
    `offer ${seq ?? ''} of ${callId} ringing`,
  );
const gone = (p: Softphone, callId: string) => waitForState(p, (s) => !s.calls.some((c) => c.callId === callId), 5_000, `${callId} gone`);

/** What the core told the surfaces, in order. */
function trace(p: Softphone): string[] {
  const out: string[] = [];
  p.on('ring', (c) => out.push(`ring #${c.offer?.seq}`));
  p.on('ring-stopped', () => out.push('ring-stopped'));
  p.on('missed', () => out.push('missed'));
  return out;
}

describe('queue offers on the agent’s device (core + real server)', () => {
  it('ring-all: the agent who did not answer lets the call go quietly', async () => {
    const alice = await phone('ra-alice', true);
    const carol = await phone('ra-carol', true);
    const bob = await phone('ra-bob');
    await makeQueue(server, 'ra', [[alice.id, 1], [carol.id, 1]], { strategy: 'ring-all', ring: 10 });
    const carolSaw = trace(carol.phone);

    const out = await bob.phone.dial({ queue: 'ra' });
    expect(out).toMatchObject({ local: 'ringing-out', queue: { id: 'ra', name: 'Queue ra' } });
    await ringingHere(carol.phone, out.callId, 1);
    const rung = await ringingHere(alice.phone, out.callId, 1);
    expect(rung.calls[0]).toMatchObject({ peer: { username: 'ra-bob' }, queue: { name: 'Queue ra' }, callerKind: 'user' });
    expect(rung.calls[0]!.queuedAt).toBeLessThanOrEqual(rung.calls[0]!.offer!.at);

    await alice.phone.answer(out.callId);
    await waitForState(bob.phone, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'active'), 5_000, 'caller connected');
    await gone(carol.phone, out.callId);
    expect(carolSaw).toEqual(['ring #1', 'ring-stopped']);
    expect(carol.phone.snapshot().missedCount).toBe(0);

    await bob.phone.hangup(out.callId);
    await waitForState(alice.phone, (s) => s.history.some((r) => r.callId === out.callId), 5_000, 'agent record');
    expect(carol.phone.snapshot().history.some((r) => r.callId === out.callId)).toBe(false);
    expect(carolSaw).toEqual(['ring #1', 'ring-stopped']);
  });

  it('declined, then missed: the call leaves the device each time and its next offer rings again', async () => {
    const dave = await phone('ro-dave', true);
    const bob = await phone('ro-bob');
    await makeQueue(server, 'ro', [[dave.id, 1]], { ring: 1 });
    const daveSaw = trace(dave.phone);

    const out = await bob.phone.dial({ queue: 'ro' });
    await ringingHere(dave.phone, out.callId, 1);
    await dave.phone.decline(out.callId);
    expect(dave.phone.snapshot().calls).toEqual([]);
    // After the reject delay the only agent is offered the call again.
    await ringingHere(dave.phone, out.callId, 2);
    // Not answered within the agent ring timeout (RONA): gone, then offered again.
    await gone(dave.phone, out.callId);
    const third = await ringingHere(dave.phone, out.callId, 3);
    expect(third.calls[0]!.offer!.at - third.calls[0]!.queuedAt!).toBeGreaterThanOrEqual(1_000);
    await dave.phone.answer(out.callId);
    await waitForState(bob.phone, (s) => s.calls.some((c) => c.callId === out.callId && c.local === 'active'), 5_000, 'caller connected');
    expect(daveSaw).toEqual(['ring #1', 'ring-stopped', 'ring #2', 'ring-stopped', 'ring #3', 'ring-stopped']);
    expect(dave.phone.snapshot().missedCount).toBe(0);
    await bob.phone.hangup(out.callId);
  });
});
