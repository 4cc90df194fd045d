/**
 * The push payloads a phone receives (schemas in src/shared/protocol/push.ts,
 * described in docs/mobile.md). Routing fields stay clear; the rest is sealed
 * end-to-end when the device registered a key.
 */
import type {
  CallEndedDetails,
  CallEndedPush,
  CallView,
  IncomingCallDetails,
  IncomingCallPush,
  PushPayload,
  RingStopReason,
  SealedBox,
} from '../../shared/protocol/index.js';
import { E2E_SCHEME, type E2eKey } from '../../shared/protocol/index.js';
import type { PushRegistrationRow } from '../store/types.js';
import { seal, sealedInfo, type SealedRouting } from './e2e.js';

/**
 * Seals `details` when the device registered a key. A row from before HPKE
 * (`x25519`, from the home-made ECIES that never shipped) gets neither `call`
 * nor `enc`: never the clear details for a device that asked for secrecy.
 */
async function privatePart<T>(
  reg: PushRegistrationRow,
  routing: SealedRouting,
  details: T,
): Promise<{ call: T } | { enc: SealedBox } | Record<string, never>> {
  if (!reg.e2e) return { call: details };
  if (reg.e2e.alg !== 'p256') return {};
  const key: E2eKey = { scheme: E2E_SCHEME, publicKey: reg.e2e.publicKey };
  return { enc: await seal(key, sealedInfo(routing), details) };
}

export async function incomingCallPush(call: CallView, reg: PushRegistrationRow, now: number): Promise<IncomingCallPush> {
  const details: IncomingCallDetails = { caller: call.caller, createdAt: call.createdAt };
  const base = { v: 1 as const, type: 'incoming-call' as const, callId: call.callId, sentAt: now, expiresAt: call.ringDeadline };
  return { ...base, ...(await privatePart(reg, base, details)) };
}

export function ringStopReason(call: CallView): RingStopReason {
  if (call.state === 'answered') return 'answered-elsewhere';
  return call.outcome ?? 'failed';
}

export async function callEndedPush(call: CallView, reg: PushRegistrationRow, now: number): Promise<CallEndedPush> {
  const details: CallEndedDetails = { reason: ringStopReason(call) };
  const base = { v: 1 as const, type: 'call-ended' as const, callId: call.callId, sentAt: now };
  return { ...base, ...(await privatePart(reg, base, details)) };
}

/**
 * FCM `data` values must be strings: strings go as they are, numbers as
 * decimal strings, objects as JSON (so `call` / `enc` are JSON strings).
 */
export function toFcmData(p: PushPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
  return out;
}
