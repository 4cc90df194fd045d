/**
 * End-to-end encrypted push payloads (docs/mobile.md, "End-to-end encryption").
 *
 * A device may register a public key (P-256 or X25519). Then the private part
 * of every push (caller, call metadata) is sealed to it, so Apple / Google see
 * only an opaque blob:
 *
 *   epk, esk   = fresh ephemeral key pair on the device key's curve
 *   Z          = ECDH(esk, devicePublicKey)             (32 bytes; P-256: the x coordinate)
 *   key        = HKDF-SHA256(ikm = Z, salt = epk ‖ devicePublicKey,
 *                            info = "softphone-push-v1", 32 bytes)
 *   iv         = 12 random bytes
 *   ct ‖ tag   = AES-256-GCM(key, iv, plaintext = UTF-8 JSON, aad = "<type>:<callId>")
 *
 * Keys travel in their raw encodings (P-256: 65-byte uncompressed point,
 * X25519: 32 bytes), base64url without padding. Binding both public keys in
 * the salt and the push type + call id in the AAD means a sealed box cannot be
 * replayed under another call id or moved into another kind of push.
 * Everything here is node:crypto; CryptoKit and javax.crypto implement the
 * same primitives (the reference opener below is what the tests decrypt with).
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { ProtocolError, type E2eAlg, type E2eKey, type SealedBox } from '../../shared/protocol/index.js';

export const E2E_INFO = 'softphone-push-v1';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const unb64u = (s: string) => Buffer.from(s, 'base64url');

/** Imports a raw public key; throws `bad_request` for a point that is not on the curve. */
export function importPublicKey(alg: E2eAlg, raw: Uint8Array): KeyObject {
  try {
    if (alg === 'p256') {
      if (raw.length !== 65 || raw[0] !== 0x04) throw new Error('not an uncompressed point');
      return createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) },
        format: 'jwk',
      });
    }
    if (raw.length !== 32) throw new Error('not 32 bytes');
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(raw) }, format: 'jwk' });
  } catch {
    throw new ProtocolError('bad_request', `e2e.publicKey is not a valid ${alg} public key`);
  }
}

/** The raw encoding of a public key (the inverse of importPublicKey). */
export function rawPublicKey(alg: E2eAlg, key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (alg === 'p256') return Buffer.concat([Buffer.from([0x04]), unb64u(jwk.x!), unb64u(jwk.y!)]);
  return unb64u(jwk.x!);
}

function newKeyPair(alg: E2eAlg) {
  return alg === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('x25519');
}

function deriveKey(shared: Buffer, epkRaw: Buffer, devicePkRaw: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epkRaw, devicePkRaw]), E2E_INFO, 32));
}

/**
 * Checks a key a device registers: on the curve, and usable for ECDH (an
 * X25519 low-order point yields an all-zero secret, which OpenSSL refuses).
 */
export function validateE2eKey(k: E2eKey): void {
  const pub = importPublicKey(k.alg, unb64u(k.publicKey));
  try {
    diffieHellman({ privateKey: newKeyPair(k.alg).privateKey, publicKey: pub });
  } catch {
    throw new ProtocolError('bad_request', `e2e.publicKey cannot be used for ${k.alg} key agreement`);
  }
}

export function sealedAad(type: string, callId: string): Buffer {
  return Buffer.from(`${type}:${callId}`, 'utf8');
}

/** Seals `value` (as JSON) to the device key. */
export function seal(k: E2eKey, aad: Uint8Array, value: unknown): SealedBox {
  const devicePkRaw = unb64u(k.publicKey);
  const devicePk = importPublicKey(k.alg, devicePkRaw);
  const eph = newKeyPair(k.alg);
  const epkRaw = rawPublicKey(k.alg, eph.publicKey);
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: devicePk });
  const key = deriveKey(shared, epkRaw, devicePkRaw);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { alg: k.alg, epk: b64u(epkRaw), iv: b64u(iv), ct: b64u(ct) };
}

/**
 * Reference opener: what a device does with its private key. Throws when the
 * box was tampered with or sealed for another key / call / push type.
 */
export function openSealed(privateKey: KeyObject, devicePkRaw: Uint8Array, box: SealedBox, aad: Uint8Array): unknown {
  const epkRaw = unb64u(box.epk);
  const shared = diffieHellman({ privateKey, publicKey: importPublicKey(box.alg, epkRaw) });
  const key = deriveKey(shared, epkRaw, Buffer.from(devicePkRaw));
  const data = unb64u(box.ct);
  if (data.length < 16) throw new Error('sealed box too short');
  const decipher = createDecipheriv('aes-256-gcm', key, unb64u(box.iv));
  decipher.setAAD(aad);
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as unknown;
}

/** A device key pair in the wire encoding (tests, tools). */
export function generateDeviceKey(alg: E2eAlg): { key: E2eKey; privateKey: KeyObject; raw: Buffer } {
  const pair = newKeyPair(alg);
  const raw = rawPublicKey(alg, pair.publicKey);
  return { key: { alg, publicKey: b64u(raw) }, privateKey: pair.privateKey, raw };
}
