/**
 * The push payload encryption (src/server/push/e2e.ts) against RFC 9180.
 *
 * First @hpke/core itself, driven with the RFC's fixed key material (ikmE via
 * the sender context's `ekm`, ikmR via `deriveKeyPair`), must reproduce the
 * published vectors: the KEM and key schedule of our suite (A.3) and the
 * AES-256-GCM AEAD (A.6). Then the production module must produce boxes that a
 * client holding only the documented parameters (suite ids, info, empty aad)
 * opens.
 */
import { describe, expect, it } from 'vitest';
import {
  Aes128Gcm,
  Aes256Gcm,
  AeadId,
  CipherSuite,
  DhkemP256HkdfSha256,
  DhkemP521HkdfSha512,
  HkdfSha256,
  HkdfSha512,
  KdfId,
  KemId,
} from '@hpke/core';
import { E2E_INFO_LABEL, generateDeviceKey, openSealed, seal, sealedInfo } from '../../src/server/push/e2e.js';
import { SealedBox } from '../../src/shared/protocol/index.js';
import {
  RFC9180_A3_P256_SHA256_AES128GCM_BASE,
  RFC9180_A6_P521_SHA512_AES256GCM_BASE,
  type HpkeVector,
} from './push-hpke-vectors.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: ArrayBuffer) => Buffer.from(b).toString('hex');

const cases: [HpkeVector, () => CipherSuite][] = [
  [
    RFC9180_A3_P256_SHA256_AES128GCM_BASE,
    () => new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() }),
  ],
  [
    RFC9180_A6_P521_SHA512_AES256GCM_BASE,
    () => new CipherSuite({ kem: new DhkemP521HkdfSha512(), kdf: new HkdfSha512(), aead: new Aes256Gcm() }),
  ],
];

describe.each(cases)('RFC 9180 $section vector through @hpke/core', (v, makeSuite) => {
  it('derives the published key pairs from ikmR / ikmE', async () => {
    const suite = makeSuite();
    expect([suite.kem.id, suite.kdf.id, suite.aead.id]).toEqual([v.kem_id, v.kdf_id, v.aead_id]);
    const r = await suite.kem.deriveKeyPair(hex(v.ikmR));
    expect(toHex(await suite.kem.serializePublicKey(r.publicKey))).toBe(v.pkRm);
    expect(toHex(await suite.kem.serializePrivateKey(r.privateKey))).toBe(v.skRm);
    const e = await suite.kem.deriveKeyPair(hex(v.ikmE));
    expect(toHex(await suite.kem.serializePublicKey(e.publicKey))).toBe(v.pkEm);
  });

  it('sender with the vector ephemeral key: same enc, ciphertext and exported secrets', async () => {
    const suite = makeSuite();
    const r = await suite.kem.deriveKeyPair(hex(v.ikmR));
    const ekm = await suite.kem.deriveKeyPair(hex(v.ikmE));
    const sender = await suite.createSenderContext({ recipientPublicKey: r.publicKey, info: hex(v.info), ekm });
    expect(toHex(sender.enc)).toBe(v.enc);
    const [first] = v.encryptions;
    expect(toHex(await sender.seal(hex(first!.pt), hex(first!.aad)))).toBe(first!.ct);
    for (const x of v.exports) {
      expect(toHex(await sender.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
    }
  });

  it('recipient opens the published ciphertext; a flipped bit or another aad is refused', async () => {
    const suite = makeSuite();
    const recipientKey = await suite.kem.deriveKeyPair(hex(v.ikmR));
    const [first] = v.encryptions;
    const ctx = () => suite.createRecipientContext({ recipientKey, enc: hex(v.enc), info: hex(v.info) });
    expect(toHex(await (await ctx()).open(hex(first!.ct), hex(first!.aad)))).toBe(first!.pt);
    const tampered = hex(first!.ct);
    tampered[0]! ^= 1;
    await expect((await ctx()).open(tampered, hex(first!.aad))).rejects.toThrow();
    await expect((await ctx()).open(hex(first!.ct), hex('00'))).rejects.toThrow();
  });
});

describe('push payload sealing (hpke-v1)', () => {
  const routing = { v: 1, type: 'incoming-call', callId: '3f0c2a9e-1b7d-4c1e-9a43-0d7f5c2b8e11', sentAt: 1767225600123, expiresAt: 1767225645123 };

  it('binds the clear routing fields into info in a documented byte format', () => {
    expect(E2E_INFO_LABEL).toBe('softphone-push/hpke-v1');
    expect(Buffer.from(sealedInfo(routing)).toString('utf8')).toBe(
      'softphone-push/hpke-v1\n1\nincoming-call\n3f0c2a9e-1b7d-4c1e-9a43-0d7f5c2b8e11\n1767225600123\n1767225645123',
    );
    const { expiresAt: _omitted, ...ended } = { ...routing, type: 'call-ended' };
    expect(Buffer.from(sealedInfo(ended)).toString('utf8')).toBe(
      'softphone-push/hpke-v1\n1\ncall-ended\n3f0c2a9e-1b7d-4c1e-9a43-0d7f5c2b8e11\n1767225600123\n',
    );
  });

  it('a client that knows only the documented suite ids and info opens the box (empty aad, like Tink HybridDecrypt)', async () => {
    const device = await generateDeviceKey();
    const box = SealedBox.parse(await seal(device.key, sealedInfo(routing), { caller: { username: 'ben' } }));
    expect(Buffer.from(box.ek, 'base64url')).toHaveLength(65);
    // Built from the numeric ids a CryptoKit / Tink client names, not from the server's module.
    const client = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
    expect([client.kem.id, client.kdf.id, client.aead.id]).toEqual([KemId.DhkemP256HkdfSha256, KdfId.HkdfSha256, AeadId.Aes256Gcm]);
    expect([client.kem.id, client.kdf.id, client.aead.id]).toEqual([0x0010, 0x0001, 0x0002]);
    const info = new TextEncoder().encode(
      'softphone-push/hpke-v1\n1\nincoming-call\n3f0c2a9e-1b7d-4c1e-9a43-0d7f5c2b8e11\n1767225600123\n1767225645123',
    );
    const pt = await client.open({ recipientKey: device.keyPair, enc: Buffer.from(box.ek, 'base64url'), info }, Buffer.from(box.ct, 'base64url'));
    expect(JSON.parse(new TextDecoder().decode(pt))).toEqual({ caller: { username: 'ben' } });
    expect(await openSealed(device.keyPair, box, sealedInfo(routing))).toEqual({ caller: { username: 'ben' } });
  });

  it('each push gets a fresh encapsulated key, and a changed deadline does not open', async () => {
    const device = await generateDeviceKey();
    const a = await seal(device.key, sealedInfo(routing), { n: 1 });
    const b = await seal(device.key, sealedInfo(routing), { n: 1 });
    expect(a.ek).not.toBe(b.ek);
    expect(a.ct).not.toBe(b.ct);
    await expect(openSealed(device.keyPair, a, sealedInfo({ ...routing, expiresAt: routing.expiresAt + 1 }))).rejects.toThrow();
  });

  it('refuses a registered key that is not a P-256 point', async () => {
    const notOnCurve = Buffer.alloc(65, 4).toString('base64url');
    await expect(seal({ scheme: 'hpke-v1', publicKey: notOnCurve }, sealedInfo(routing), {})).rejects.toMatchObject({
      code: 'bad_request',
    });
  });
});
