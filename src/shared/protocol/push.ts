/**
 * Push wake-up for mobile devices (docs/mobile.md): how a phone registers its
 * push credentials, and the exact payloads it receives from APNs / FCM.
 */
import { z } from 'zod';
import { CallOutcome } from './call.js';
import { Id, Timestamp, UserSummary } from './common.js';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url without padding');

/** Bytes a base64url string (no padding) decodes to. */
function base64urlBytes(s: string): number {
  return Math.floor((s.length * 3) / 4);
}

/**
 * The end-to-end scheme a device advertises (docs/mobile.md, "End-to-end
 * encryption"): HPKE (RFC 9180) base mode with DHKEM(P-256, HKDF-SHA256),
 * HKDF-SHA256 and AES-256-GCM; `info` is "softphone-push/hpke-v1" followed by
 * the clear routing fields, the AAD is empty. A new format gets a new scheme name.
 */
export const E2E_SCHEME = 'hpke-v1';

/**
 * The device's public key for end-to-end encrypted push payloads: the
 * uncompressed SEC1 P-256 point, 65 bytes 0x04‖X‖Y (CryptoKit
 * `x963Representation`), base64url without padding.
 */
export const E2eKey = z
  .object({ scheme: z.literal(E2E_SCHEME), publicKey: base64url.max(128) })
  .strict()
  .refine((k) => base64urlBytes(k.publicKey) === 65, {
    message: 'publicKey must be a 65-byte uncompressed P-256 point',
    path: ['publicKey'],
  });
export type E2eKey = z.infer<typeof E2eKey>;

export const APNS_ENVIRONMENTS = ['sandbox', 'production'] as const;

const apnsFields = {
  provider: z.literal('apns'),
  /** PushKit VoIP device token, hex (what `pushCredentials.token` encodes to). */
  token: z
    .string()
    .regex(/^[0-9a-fA-F]{64,200}$/, 'an APNs device token in hex')
    .transform((t) => t.toLowerCase()),
  /** The app's bundle id; the server pushes to topic `<bundleId>.voip`. */
  bundleId: z
    .string()
    .max(155)
    .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a bundle id like com.example.softphone'),
  /** `sandbox` for development builds (Xcode), `production` for TestFlight / App Store. */
  environment: z.enum(APNS_ENVIRONMENTS),
  e2e: E2eKey.optional(),
};

const fcmFields = {
  provider: z.literal('fcm'),
  /** FCM registration token (`FirebaseMessaging.getToken()`). */
  token: z
    .string()
    .min(32)
    .max(4096)
    .regex(/^[A-Za-z0-9_:.-]+$/, 'an FCM registration token'),
  e2e: E2eKey.optional(),
};

/** `push:register` (socket): this device's push credentials. Replaces earlier ones. */
export const PushRegistration = z.discriminatedUnion('provider', [
  z.object(apnsFields).strict(),
  z.object(fcmFields).strict(),
]);
export type PushRegistration = z.infer<typeof PushRegistration>;

const httpDeviceFields = {
  deviceId: Id,
  /** Used only when the device never connected before (its row is created). */
  deviceName: z.string().trim().min(1).max(80).optional(),
  appVersion: z.string().min(1).max(32).optional(),
};

/** `POST /api/push` (Bearer access token): the same, naming the device. */
export const PushRegisterRequest = z.discriminatedUnion('provider', [
  z.object({ ...apnsFields, ...httpDeviceFields }).strict(),
  z.object({ ...fcmFields, ...httpDeviceFields }).strict(),
]);
export type PushRegisterRequest = z.infer<typeof PushRegisterRequest>;

/** `DELETE /api/push/:deviceId` path parameters. */
export const PushDeviceParams = z.object({ deviceId: Id });

export const PushRegisterResponse = z.object({
  deviceId: Id,
  provider: z.enum(['apns', 'fcm']),
  /** Payloads to this device will be end-to-end encrypted. */
  e2e: z.boolean(),
  /** The server has that provider configured and will push (false: stored only). */
  active: z.boolean(),
});
export type PushRegisterResponse = z.infer<typeof PushRegisterResponse>;

export const PushUnregisterResponse = z.object({ removed: z.boolean() });
export type PushUnregisterResponse = z.infer<typeof PushUnregisterResponse>;

// ───────────────────────────── what the phone receives ─────────────────────────────

/**
 * An end-to-end sealed JSON value (docs/mobile.md, "End-to-end encryption"):
 * one HPKE single-shot seal to the device key.
 */
export const SealedBox = z.object({
  scheme: z.literal(E2E_SCHEME),
  /** HPKE encapsulated key (RFC 9180 `enc`): the sender's ephemeral P-256 point, 65 bytes. */
  ek: base64url,
  /** Ciphertext followed by the 16-byte GCM tag. */
  ct: base64url,
});
export type SealedBox = z.infer<typeof SealedBox>;

/** The private part of an incoming-call push (clear, or sealed in `enc`). */
export const IncomingCallDetails = z.object({
  caller: UserSummary,
  createdAt: Timestamp,
});
export type IncomingCallDetails = z.infer<typeof IncomingCallDetails>;

/** Why ringing stopped: answered on another device, or the call's outcome. */
export const RingStopReason = z.union([z.literal('answered-elsewhere'), CallOutcome]);
export type RingStopReason = z.infer<typeof RingStopReason>;

export const CallEndedDetails = z.object({ reason: RingStopReason });
export type CallEndedDetails = z.infer<typeof CallEndedDetails>;

const pushRouting = {
  v: z.literal(1),
  /** Clear even with E2E: random, meaningless outside this server, needed to claim. */
  callId: Id,
  /** When the server sent it (ms epoch); lets the app drop stale pushes. */
  sentAt: Timestamp,
};

/** A call rings for this device: connect, then `call:claim` it before `expiresAt`. */
export const IncomingCallPush = z.object({
  ...pushRouting,
  type: z.literal('incoming-call'),
  /** The ring deadline (ms epoch): after it the call is missed. */
  expiresAt: Timestamp,
  /** Present when the device registered no E2E key. */
  call: IncomingCallDetails.optional(),
  /** Present instead of `call` when it did: seals `IncomingCallDetails`. */
  enc: SealedBox.optional(),
});
export type IncomingCallPush = z.infer<typeof IncomingCallPush>;

/** Ringing stopped (answered elsewhere, cancelled, missed…): end the CallKit / ConnectionService call. */
export const CallEndedPush = z.object({
  ...pushRouting,
  type: z.literal('call-ended'),
  call: CallEndedDetails.optional(),
  /** Seals `CallEndedDetails`. */
  enc: SealedBox.optional(),
});
export type CallEndedPush = z.infer<typeof CallEndedPush>;

/** APNs: the JSON body. FCM: `data` (every value a string; see docs/mobile.md). */
export const PushPayload = z.discriminatedUnion('type', [IncomingCallPush, CallEndedPush]);
export type PushPayload = z.infer<typeof PushPayload>;
