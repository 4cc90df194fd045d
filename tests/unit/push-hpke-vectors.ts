/**
 * HPKE test vectors from RFC 9180, Appendix A (base mode, sequence number 0
 * and the exported values), transcribed from the RFC's source,
 * draft-irtf-cfrg-hpke.md in github.com/cfrg/draft-irtf-cfrg-hpke (the
 * published text; label "HPKE-v1"). All values are hex.
 *
 * The appendix has no vector for DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 /
 * AES-256-GCM, the suite the push payloads use. A.3 has the same KEM and KDF
 * with AES-128-GCM, so it pins the key encapsulation and the key schedule; A.6
 * pins @hpke/core's AES-256-GCM (with P-521 / HKDF-SHA512). Together they
 * cover every part of our suite.
 */
export interface HpkeVector {
  section: string;
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmE: string;
  pkEm: string;
  skEm: string;
  ikmR: string;
  pkRm: string;
  skRm: string;
  enc: string;
  shared_secret: string;
  exporter_secret: string;
  encryptions: { pt: string; aad: string; ct: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

export const RFC9180_A3_P256_SHA256_AES128GCM_BASE: HpkeVector = {
  "section": "A.3.1",
  "mode": 0,
  "kem_id": 16,
  "kdf_id": 1,
  "aead_id": 1,
  "info": "4f6465206f6e2061204772656369616e2055726e",
  "ikmE": "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
  "pkEm": "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
  "skEm": "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
  "ikmR": "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
  "pkRm": "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
  "skRm": "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
  "enc": "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
  "shared_secret": "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
  "exporter_secret": "14ad94af484a7ad3ef40e9f3be99ecc6fa9036df9d4920548424df127ee0d99f",
  "encryptions": [
    {
      "pt": "4265617574792069732074727574682c20747275746820626561757479",
      "aad": "436f756e742d30",
      "ct": "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434"
    }
  ],
  "exports": [
    {
      "exporter_context": "",
      "L": 32,
      "exported_value": "5e9bc3d236e1911d95e65b576a8a86d478fb827e8bdfe77b741b289890490d4d"
    },
    {
      "exporter_context": "00",
      "L": 32,
      "exported_value": "6cff87658931bda83dc857e6353efe4987a201b849658d9b047aab4cf216e796"
    },
    {
      "exporter_context": "54657374436f6e74657874",
      "L": 32,
      "exported_value": "d8f1ea7942adbba7412c6d431c62d01371ea476b823eb697e1f6e6cae1dab85a"
    }
  ]
};

export const RFC9180_A6_P521_SHA512_AES256GCM_BASE: HpkeVector = {
  "section": "A.6.1",
  "mode": 0,
  "kem_id": 18,
  "kdf_id": 3,
  "aead_id": 2,
  "info": "4f6465206f6e2061204772656369616e2055726e",
  "ikmE": "7f06ab8215105fc46aceeb2e3dc5028b44364f960426eb0d8e4026c2f8b5d7e7a986688f1591abf5ab753c357a5d6f0440414b4ed4ede71317772ac98d9239f70904",
  "pkEm": "040138b385ca16bb0d5fa0c0665fbbd7e69e3ee29f63991d3e9b5fa740aab8900aaeed46ed73a49055758425a0ce36507c54b29cc5b85a5cee6bae0cf1c21f2731ece2013dc3fb7c8d21654bb161b463962ca19e8c654ff24c94dd2898de12051f1ed0692237fb02b2f8d1dc1c73e9b366b529eb436e98a996ee522aef863dd5739d2f29b0",
  "skEm": "014784c692da35df6ecde98ee43ac425dbdd0969c0c72b42f2e708ab9d535415a8569bdacfcc0a114c85b8e3f26acf4d68115f8c91a66178cdbd03b7bcc5291e374b",
  "ikmR": "2ad954bbe39b7122529f7dde780bff626cd97f850d0784a432784e69d86eccaade43b6c10a8ffdb94bf943c6da479db137914ec835a7e715e36e45e29b587bab3bf1",
  "pkRm": "0401b45498c1714e2dce167d3caf162e45e0642afc7ed435df7902ccae0e84ba0f7d373f646b7738bbbdca11ed91bdeae3cdcba3301f2457be452f271fa6837580e661012af49583a62e48d44bed350c7118c0d8dc861c238c72a2bda17f64704f464b57338e7f40b60959480c0e58e6559b190d81663ed816e523b6b6a418f66d2451ec64",
  "skRm": "01462680369ae375e4b3791070a7458ed527842f6a98a79ff5e0d4cbde83c27196a3916956655523a6a2556a7af62c5cadabe2ef9da3760bb21e005202f7b2462847",
  "enc": "040138b385ca16bb0d5fa0c0665fbbd7e69e3ee29f63991d3e9b5fa740aab8900aaeed46ed73a49055758425a0ce36507c54b29cc5b85a5cee6bae0cf1c21f2731ece2013dc3fb7c8d21654bb161b463962ca19e8c654ff24c94dd2898de12051f1ed0692237fb02b2f8d1dc1c73e9b366b529eb436e98a996ee522aef863dd5739d2f29b0",
  "shared_secret": "776ab421302f6eff7d7cb5cb1adaea0cd50872c71c2d63c30c4f1d5e43653336fef33b103c67e7a98add2d3b66e2fda95b5b2a667aa9dac7e59cc1d46d30e818",
  "exporter_secret": "e4ff9dfbc732a2b9c75823763c5ccc954a2c0648fc6de80a58581252d0ee3215388a4455e69086b50b87eb28c169a52f42e71de4ca61c920e7bd24c95cc3f992",
  "encryptions": [
    {
      "pt": "4265617574792069732074727574682c20747275746820626561757479",
      "aad": "436f756e742d30",
      "ct": "170f8beddfe949b75ef9c387e201baf4132fa7374593dfafa90768788b7b2b200aafcc6d80ea4c795a7c5b841a"
    }
  ],
  "exports": [
    {
      "exporter_context": "",
      "L": 32,
      "exported_value": "05e2e5bd9f0c30832b80a279ff211cc65eceb0d97001524085d609ead60d0412"
    },
    {
      "exporter_context": "00",
      "L": 32,
      "exported_value": "fca69744bb537f5b7a1596dbf34eaa8d84bf2e3ee7f1a155d41bd3624aa92b63"
    },
    {
      "exporter_context": "54657374436f6e74657874",
      "L": 32,
      "exported_value": "f389beaac6fcf6c0d9376e20f97e364f0609a88f1bc76d7328e9104df8477013"
    }
  ]
};
