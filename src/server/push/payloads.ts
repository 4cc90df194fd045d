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
} from '../../shared/protocol/index.js';
import type { PushRegistrationRow } from '../store/types.js';
import { seal, sealedAad } from './e2e.js';

export function incomingCallPush(call: CallView, reg: PushRegistrationRow, now: number): IncomingCallPush {
  const details: IncomingCallDetails = { caller: call.caller, createdAt: call.createdAt };
  const base = { v: 1 as const, type: 'incoming-call' as const, callId: call.callId, sentAt: now, expiresAt: call.ringDeadline };
  return reg.e2e
    ? { ...base, enc: seal(reg.e2e, sealedAad(base.type, call.callId), details) }
    : { ...base, call: details };
}

export function ringStopReason(call: CallView): RingStopReason {
  if (call.state === 'answered') return 'answered-elsewhere';
  return call.outcome ?? 'failed';
}

export function callEndedPush(call: CallView, reg: PushRegistrationRow, now: number): CallEndedPush {
  const details: CallEndedDetails = { reason: ringStopReason(call) };
  const base = { v: 1 as const, type: 'call-ended' as const, callId: call.callId, sentAt: now };
  return reg.e2e
    ? { ...base, enc: seal(reg.e2e, sealedAad(base.type, call.callId), details) }
    : { ...base, call: details };
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
