/**
 * End-to-end encrypted push payloads (docs/mobile.md, "End-to-end encryption").
 *
 * A device may register a P-256 public key. Then the private part of every
 * push (caller, call metadata) is sealed to it with HPKE (RFC 9180), so Apple /
 * Google see only an opaque blob:
 *
 *   suite   DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM  (0x0010, 0x0001, 0x0002)
 *   mode    base (no PSK, no sender authentication)
 *   info    "softphone-push/hpke-v1" and the clear routing fields, see `sealedInfo`
 *   aad     empty
 *   pt      UTF-8 JSON of the details
 *
 * The routing fields (sent in clear) are bound through `info`, not the AAD:
 * both are authenticated (info enters the key schedule, so a changed field
 * yields another key and the box does not open), but Tink's public
 * `HybridDecrypt.decrypt(ciphertext, contextInfo)` passes `contextInfo` as
 * HPKE info and has no AAD parameter, so only `info` works with the public APIs
 * of both CryptoKit and Tink.
 *
 * Single-shot: one context per push, sequence number 0. HPKE is what the
 * platforms ship (CryptoKit `HPKE.Ciphersuite.P256_SHA256_AES_GCM_256`, Tink
 * `DHKEM_P256_HKDF_SHA256 / HKDF_SHA256 / AES_256_GCM`), so a client opens the
 * box with one library call instead of re-implementing a key derivation. P-256
 * rather than X25519 because it is the curve the Secure Enclave and Android
 * Keystore keep private keys for, and its KEM is in `@hpke/core` itself.
 * tests/unit/push-hpke.test.ts checks this suite against RFC 9180 Appendix A.
 */
import type { webcrypto } from 'node:crypto';
import type { CipherSuite } from '@hpke/core';
import { E2E_SCHEME, ProtocolError, type E2eKey, type SealedBox } from '../../shared/protocol/index.js';

/** The fixed first line of HPKE `info`: names the application and the format version. */
export const E2E_INFO_LABEL = `softphone-push/${E2E_SCHEME}`;

let suiteP: Promise<CipherSuite> | null = null;
/** @hpke/core loads on the first E2E registration or push, not at every server start. */
function hpke(): Promise<CipherSuite> {
  suiteP ??= import('@hpke/core').then(
    (h) => new h.CipherSuite({ kem: new h.DhkemP256HkdfSha256(), kdf: new h.HkdfSha256(), aead: new h.Aes256Gcm() }),
  );
  return suiteP;
}

const b64u = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('base64url');
const unb64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/** Imports a raw public key (65-byte uncompressed point); `bad_request` if it is not on the curve. */
async function importPublicKey(publicKey: string): Promise<webcrypto.CryptoKey> {
  const raw = unb64u(publicKey);
  try {
    if (raw.length !== 65 || raw[0] !== 0x04) throw new Error('not an uncompressed point');
    return await (await hpke()).kem.deserializePublicKey(raw);
  } catch {
    throw new ProtocolError('bad_request', 'e2e.publicKey is not a valid P-256 public key');
  }
}

/** Checks a key a device registers: an uncompressed point on P-256. */
export async function validateE2eKey(k: E2eKey): Promise<void> {
  await importPublicKey(k.publicKey);
}

/** The routing fields a push carries in clear; all of them are authenticated. */
export interface SealedRouting {
  v: number;
  type: string;
  callId: string;
  sentAt: number;
  /** Only on `incoming-call`. */
  expiresAt?: number;
}

/**
 * HPKE `info`: the label and the clear fields, joined by "\n", `expiresAt`
 * empty when absent, e.g.
 * "softphone-push/hpke-v1\n1\nincoming-call\n3f0c2a9e-…\n1767225600123\n1767225645123".
 * A box opens only under the exact routing it was sealed with, so whoever
 * relays the push cannot move it to another call or stretch its deadline.
 */
export function sealedInfo(r: SealedRouting): Uint8Array {
  return new TextEncoder().encode([E2E_INFO_LABEL, r.v, r.type, r.callId, r.sentAt, r.expiresAt ?? ''].join('\n'));
}

/** Seals `value` (as JSON) to the device key. */
export async function seal(k: E2eKey, info: Uint8Array, value: unknown): Promise<SealedBox> {
  const recipientPublicKey = await importPublicKey(k.publicKey);
  const { ct, enc } = await (await hpke()).seal({ recipientPublicKey, info }, new TextEncoder().encode(JSON.stringify(value)));
  return { scheme: E2E_SCHEME, ek: b64u(enc), ct: b64u(ct) };
}

/**
 * Reference opener: what a device does with its private key. Throws when the
 * box was tampered with or sealed for another key or other routing fields.
 */
export async function openSealed(recipientKey: webcrypto.CryptoKeyPair, box: SealedBox, info: Uint8Array): Promise<unknown> {
  const pt = await (await hpke()).open({ recipientKey, enc: unb64u(box.ek), info }, unb64u(box.ct));
  return JSON.parse(new TextDecoder().decode(pt)) as unknown;
}

/** A device key pair in the wire encoding (tests, tools). */
export async function generateDeviceKey(): Promise<{ key: E2eKey; keyPair: webcrypto.CryptoKeyPair }> {
  const { kem } = await hpke();
  const keyPair = await kem.generateKeyPair();
  const raw = await kem.serializePublicKey(keyPair.publicKey);
  return { key: { scheme: E2E_SCHEME, publicKey: b64u(raw) }, keyPair };
}
