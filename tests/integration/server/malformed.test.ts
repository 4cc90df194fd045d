import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENT_NAMES } from '../../../src/shared/protocol/index.js';
import { connectDevice, type TestDevice } from '../../helpers/device.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

function deep(n: number): unknown {
  let v: unknown = {};
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

const BAD_PAYLOADS: [string, unknown[]][] = [
  ['no payload', []],
  ['null', [null]],
  ['number', [42]],
  ['string', ['hello']],
  ['array', [[1, 2, 3]]],
  ['two payloads', [{}, {}]],
  ['wrong types', [{ callId: 5, to: 'x', status: 1, userIds: 'all', calls: {}, signal: [] }]],
  ['huge string', [{ callId: 'x'.repeat(100_000), query: 'q'.repeat(100_000) }]],
  ['deep nesting', [deep(500)]],
  ['__proto__ key', [JSON.parse('{"__proto__": {"admin": true}, "callId": {"constructor": {"prototype": 1}}}')]],
  ['unicode', [{ callId: '☎️📞\u0000\u202e', to: { username: 'ünïcödé' }, query: '\ud800' }]],
  ['binary', [Buffer.from([0, 1, 2, 3, 255])]],
  ['extra keys', [{ callId: 'abc', extra: true, status: 'available', userIds: [], calls: [] }]],
];

async function rawEmit(d: TestDevice, event: string, args: unknown[]): Promise<any> {
  return (d.signaling.socket.timeout(5_000).emitWithAck as (...a: unknown[]) => Promise<unknown>)(event, ...args);
}

describe('malformed input', () => {
  it('every event answers every malformed payload with an error ack, while a concurrent call carries on', async () => {
    const attacker = await connectDevice(server, 'mallory');
    const caller = await connectDevice(server, 'alice');
    const callee = await connectDevice(server, 'bob');

    // A legitimate call is set up and stays up while the attacker hammers the server.
    const { call } = await caller.request('call:invite', { to: { username: 'bob' } });
    await callee.waitFor('call:incoming');
    await callee.request('call:accept', { callId: call.callId });

    let checked = 0;
    const attack = (async () => {
      for (const event of CLIENT_EVENT_NAMES) {
        for (const [name, args] of BAD_PAYLOADS) {
          // session:ping and history:missed take an empty object; `{}` is valid for them.
          const ack = await rawEmit(attacker, event, args);
          if (ack.ok) {
            expect(['session:ping', 'history:missed', 'history:seen', 'directory:search', 'history:list', 'settings:update'], `${event} ${name}`).toContain(event);
            continue;
          }
          expect(ack.error.code, `${event} with ${name}`).toMatch(/^(bad_request|not_found|forbidden|conflict|gone)$/);
          expect(typeof ack.error.message).toBe('string');
          checked++;
        }
      }
    })();

    // Meanwhile, media signaling on the good call keeps flowing.
    for (let i = 0; i < 20; i++) {
      await caller.request('call:signal', { callId: call.callId, signal: { type: 'dtmf', digits: String(i % 10) } });
    }
    await attack;
    const digits = await callee.waitFor('call:signal', (p) => p.signal.type === 'dtmf' && p.signal.digits === '9');
    expect(digits.callId).toBe(call.callId);
    expect(checked).toBeGreaterThan(CLIENT_EVENT_NAMES.length * 8);

    // Unknown events, and requests without an acknowledgement callback.
    const unknown = await rawEmit(attacker, 'admin:drop-database', [{}]);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    attacker.signaling.socket.emit('call:invite', { to: { username: 'bob' } });
    const perr = await attacker.waitFor('protocol:error');
    expect(perr.error.code).toBe('bad_request');

    // The call is still up and ends normally with one record per participant.
    await caller.request('call:hangup', { callId: call.callId });
    const ended = await callee.waitFor('call:ended');
    expect(ended.call.outcome).toBe('completed');
    expect(await server.storage.history.recordsForCall(call.callId)).toHaveLength(2);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    for (const d of [attacker, caller, callee]) d.close();
  });

  it('an oversized message drops only the sender’s connection', async () => {
    const attacker = await connectDevice(server, 'mallory');
    const bystander = await connectDevice(server, 'carol');
    const dropped = new Promise((resolve) => attacker.signaling.socket.once('disconnect', resolve));
    attacker.signaling.socket.emit('call:signal', { callId: 'x', signal: { type: 'offer', sdp: 'x'.repeat(2_000_000) } }, () => {});
    await dropped;
    await bystander.flush();
    expect(bystander.signaling.connected).toBe(true);
    bystander.close();
  });

  it('floods are answered with rate_limited', async () => {
    const flood = await startTestServer({ socketEventsPerSecond: 20 });
    try {
      const d = await connectDevice(flood, 'mallory');
      const acks = await Promise.all(Array.from({ length: 100 }, () => rawEmit(d, 'session:ping', [{}])));
      const limited = acks.filter((a) => !a.ok && a.error.code === 'rate_limited');
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0].error.details.retryAfterMs).toBeGreaterThan(0);
      d.close();
    } finally {
      await flood.stop();
    }
  });
});
