/**
 * Part 6 — push wake-up latency: invite → the push provider receives the
 * request that wakes the callee's phone.
 *
 * The callees have no socket at all: one user's only device is an iPhone
 * registered for APNs VoIP pushes over HTTP (`POST /api/push`), another's an
 * Android phone registered for FCM. The server under test (the built bundle)
 * runs with the stand-ins' push settings (tests/helpers/push-standins.ts
 * `pushEnv`): the APNs provider API and FCM HTTP v1 (+ its OAuth token
 * endpoint), each over TLS + HTTP/2 on loopback with a throw-away CA, in this
 * process. A caller device (a real socket.io client through the core's
 * Signaling) places one call at a time; latency = `call:invite` emitted →
 * the stand-in's stream for that call's `incoming-call` push arrived, both on
 * this process's performance.now() clock. Each call is then cancelled and its
 * `call-ended` push awaited, so every invite meets an idle push pipeline.
 *
 * The first invites per provider are warm-up (reported, not measured): the
 * server opens its HTTP/2 connection on the first push and, for FCM, fetches
 * an OAuth access token first; production servers keep both.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Signaling } from '../../src/core/signaling.js';
import {
  apnsSigningKey,
  apnsToken,
  fcmToken,
  pushEnv,
  startApnsStandIn,
  startFcmStandIn,
  testCa,
  type ApnsStandIn,
  type FcmStandIn,
} from '../../tests/helpers/push-standins.js';
import { connectSeeded } from '../lib/connect.js';
import { seedUsers, type SeededDevice } from '../lib/seed.js';
import { freePort, ServerUnderTest } from '../lib/server-process.js';
import { round, summarize } from '../lib/stats.js';
import type { BenchPart, PartContext, PushProviderResult } from '../lib/types.js';

const BUNDLE_ID = 'com.example.softphone';
/** A push later than this counts as missing (the server retries failed pushes up to ~seconds). */
const PUSH_WAIT_MS = 10_000;
const MAX_MISSING = 3;

type Provider = 'apns' | 'fcm';

/** What the loop needs of a stand-in: its recorded requests for one call. */
interface Target {
  provider: Provider;
  callee: SeededDevice;
  waitForPush(callId: string, type: 'incoming-call' | 'call-ended'): Promise<{ receivedAt: number; status: number }>;
}

function apnsTarget(apns: ApnsStandIn, callee: SeededDevice, token: string): Target {
  return {
    provider: 'apns',
    callee,
    waitForPush: (callId, type) =>
      apns.waitForRequest((r) => r.token === token && r.payload?.callId === callId && r.payload?.type === type, PUSH_WAIT_MS),
  };
}

function fcmTarget(fcm: FcmStandIn, callee: SeededDevice, token: string): Target {
  return {
    provider: 'fcm',
    callee,
    waitForPush: (callId, type) =>
      fcm.waitForRequest(
        (r) => r.token === token && r.payload?.message?.data?.callId === callId && r.payload?.message?.data?.type === type,
        PUSH_WAIT_MS,
      ),
  };
}

/** The phone registers its push token over HTTP with its access token, never opening a socket. */
async function registerPhone(url: string, u: SeededDevice, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
    body: JSON.stringify({ deviceId: `${u.username}-phone`, deviceName: 'Phone', ...body }),
  });
  const answer = (await res.json()) as { active?: boolean };
  if (res.status !== 200 || answer.active !== true) {
    throw new Error(`push registration for ${u.username} (${String(body.provider)}) refused: ${res.status} ${JSON.stringify(answer)}`);
  }
}

interface InviteTiming {
  pushMs: number | null;
  ackMs: number;
}

/** One call: invite, the ring push, cancel, the end push. */
async function oneInvite(caller: Signaling, target: Target): Promise<InviteTiming> {
  const callId = randomUUID();
  // The call id is the caller's, so the push can be matched before the invite's ack arrives.
  const push = target.waitForPush(callId, 'incoming-call').then(
    (r) => r,
    () => null,
  );
  const t0 = performance.now();
  await caller.request('call:invite', { to: { username: target.callee.username }, callId });
  const ackMs = performance.now() - t0;
  const received = await push;
  await caller.request('call:cancel', { callId });
  // A phone that was never rung is not told the call ended.
  if (received) await target.waitForPush(callId, 'call-ended');
  return { pushMs: received ? received.receivedAt - t0 : null, ackMs };
}

async function measure(ctx: PartContext, caller: Signaling, target: Target): Promise<PushProviderResult> {
  const { invites, warmupInvites } = ctx.sizes.push;
  const warmupMs: number[] = [];
  for (let i = 0; i < warmupInvites; i++) {
    const t = await oneInvite(caller, target);
    if (t.pushMs === null) throw new Error(`${target.provider}: warm-up push ${i + 1} never arrived`);
    warmupMs.push(round(t.pushMs));
  }
  const push: number[] = [];
  const ack: number[] = [];
  let missing = 0;
  for (let i = 0; i < invites; i++) {
    const t = await oneInvite(caller, target);
    ack.push(t.ackMs);
    if (t.pushMs === null) missing++;
    else push.push(t.pushMs);
    // Each miss waits the full timeout: a broken pipeline ends the part instead of the run's patience.
    if (missing >= MAX_MISSING) throw new Error(`${target.provider}: ${missing} of ${i + 1} pushes never arrived within ${PUSH_WAIT_MS} ms`);
  }
  if (push.length === 0) throw new Error(`${target.provider}: none of ${invites} pushes arrived`);
  const latency = summarize(push);
  const acks = summarize(ack);
  ctx.log(
    `push ${target.provider}: ${push.length} pushes, invite→push p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms; invite ack p50 ${acks.p50Ms} ms; warm-up ${warmupMs.join(', ')} ms; missing ${missing}`,
  );
  return {
    provider: target.provider,
    invites,
    p50Ms: latency.p50Ms,
    p90Ms: latency.p90Ms,
    p99Ms: latency.p99Ms,
    maxMs: latency.maxMs,
    inviteAckP50Ms: acks.p50Ms,
    inviteAckP99Ms: acks.p99Ms,
    warmupMs,
    missing,
    latency,
  };
}

export const pushPart: BenchPart<'push'> = {
  name: 'push',
  keys: ['push'],
  async run(ctx) {
    const ca = testCa();
    const keyDir = path.join(ctx.runDir, 'push-apns-key');
    fs.mkdirSync(keyDir, { recursive: true });
    const apnsKey = apnsSigningKey(keyDir);
    const [apns, fcm] = await Promise.all([startApnsStandIn({ ca }), startFcmStandIn({ ca })]);
    let server: ServerUnderTest | undefined;
    let caller: Signaling | undefined;
    try {
      const dataDir = path.join(ctx.runDir, 'push-data');
      const [callerUser, iosUser, androidUser] = await seedUsers(dataDir, 3, 'p');
      server = await ServerUnderTest.start(ctx.build, {
        kind: 'app',
        port: await freePort(),
        dataDir,
        env: { ...ctx.serverEnv, ...pushEnv({ apns, apnsKey, fcm, ca, bundleId: BUNDLE_ID }) },
        logFile: path.join(ctx.runDir, 'push-app.log'),
      });
      const iosToken = apnsToken();
      const androidToken = fcmToken();
      await registerPhone(server.url, iosUser!, { provider: 'apns', token: iosToken, bundleId: BUNDLE_ID, environment: 'production' });
      await registerPhone(server.url, androidUser!, { provider: 'fcm', token: androidToken });
      caller = await connectSeeded(server.url, callerUser!, 'bench caller');

      const apnsResult = await measure(ctx, caller, apnsTarget(apns, iosUser!, iosToken));
      const fcmResult = await measure(ctx, caller, fcmTarget(fcm, androidUser!, androidToken));
      return {
        push: { status: 'ok', p99Ms: apnsResult.p99Ms, p50Ms: apnsResult.p50Ms, apns: apnsResult, fcm: fcmResult },
      };
    } finally {
      caller?.disconnect();
      await server?.stop();
      await Promise.all([apns.close(), fcm.close()]);
    }
  },
};
