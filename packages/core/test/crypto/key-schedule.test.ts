/**
 * The TLS 1.2 key schedule on both providers.
 * Known answers: NIST CAVP SP 800-135 TLS KDF vectors (tls.rsp, "TLS 1.2, SHA-256" and
 * "TLS 1.2, SHA-384", COUNT = 0, pre-master secret 384 bits, key block 1024 bits): master secret
 * from the hello randoms, key block from the server and client randoms. Our key block is the
 * prefix of the published one that a suite needs.
 * For RFC 7627 (extended master secret), RFC 5246 7.4.9 (verify_data) and RFC 5705 (exporter)
 * no independent published vector was at hand: their label and seed layout is checked against a
 * P_hash written from the RFC over node:crypto HMAC (independent-prf.ts).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { exportKeyingMaterial, extendedMasterSecret, keyBlock, masterSecret, verifyData } from '../../src/crypto/key-schedule.js';
import type { HashAlgorithm } from '../../src/crypto/provider.js';
import { CIPHER_SUITES } from '../../src/suites/registry.js';
import { referencePrf } from './independent-prf.js';
import { PROVIDERS } from './providers.js';

interface CavpVector {
  readonly hash: HashAlgorithm;
  readonly preMasterSecret: string;
  readonly serverHelloRandom: string;
  readonly clientHelloRandom: string;
  readonly serverRandom: string;
  readonly clientRandom: string;
  readonly masterSecret: string;
  readonly keyBlock: string;
}

const CAVP: readonly CavpVector[] = [
  {
    hash: 'sha256',
    preMasterSecret: 'f8938ecc9edebc5030c0c6a441e213cd24e6f770a50dda07876f8d55da062bcadb386b411fd4fe4313a604fce6c17fbc',
    serverHelloRandom: 'f6c9575ed7ddd73e1f7d16eca115415812a43c2b747daaaae043abfb50053fce',
    clientHelloRandom: '36c129d01a3200894b9179faac589d9835d58775f9b5ea3587cb8fd0364cae8c',
    serverRandom: 'ae6c806f8ad4d80784549dff28a4b58fd837681a51d928c3e30ee5ff14f39868',
    clientRandom: '62e1fd91f23f558a605f28478c58cf72637b89784d959df7e946d3f07bd1b616',
    masterSecret: '202c88c00f84a17a20027079604787461176455539e705be730890602c289a5001e34eeb3a043e5d52a65e66125188bf',
    keyBlock:
      'd06139889fffac1e3a71865f504aa5d0d2a2e89506c6f2279b670c3e1b74f531016a2530c51a3a0f7e1d6590d0f0566b2f387f8d11fd4f731cdd572d2eae927f' +
      '6f2f81410b25e6960be68985add6c38445ad9f8c64bf8068bf9a6679485d966f1ad6f68b43495b10a683755ea2b858d70ccac7ec8b053c6bd41ca299d4e51928',
  },
  {
    hash: 'sha384',
    preMasterSecret: 'a5e2642633f5b8c81ad3fe0c2fe3a8e5ef806b06121dd10df4bb0fe857bfdcf522558e05d2682c9a80c741a3aab1716f',
    serverHelloRandom: 'cb6e0b3eb02976b6466dfa9651c2919414f1648fd3a7838d02153e5bd39535b6',
    clientHelloRandom: 'abe4bf5527429ac8eb13574d2709e8012bd1a113c6d3b1d3aa2c3840518778ac',
    serverRandom: '1b1c8568344a65c30828e7483c0e353e2c68641c9551efae6927d9cd627a107c',
    clientRandom: '954b5fe1849c2ede177438261f099a2fcd884d001b9fe1de754364b1f6a6dd8e',
    masterSecret: 'b4d49bfa87747fe815457bc3da15073d6ac73389e703079a3503c09e14bd559a5b3c7c601c7365f6ea8c68d3d9596827',
    keyBlock:
      '10fd89ef689c7ef033387b8a8f3e5e8e7c11f680f6bdd71fbac3246a73e98d45d03185dde686e6b2369e4503e9dc5a6d2cee3e2bf2fa3f41d3de57dff3e197c8' +
      'a9d5f74cc2d277119d894f8584b07a0a5822f0bd68b3433ec6adaf5c9406c5f3ddbb71bbe17ce98f3d4d5893d3179ef369f57aad908e2bf710639100c3ce7e0c',
  },
];

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

describe.each(PROVIDERS)('key schedule: $name provider', ({ provider }) => {
  it.each(CAVP)('NIST CAVP TLS 1.2 $hash: master secret', (v) => {
    const ms = masterSecret(provider, v.hash, fromHex(v.preMasterSecret), fromHex(v.clientHelloRandom), fromHex(v.serverHelloRandom));
    expect(toHex(ms)).toBe(v.masterSecret);
  });

  it.each(CAVP)('NIST CAVP TLS 1.2 $hash: key block of every suite with that PRF hash', (v) => {
    const published = fromHex(v.keyBlock);
    const suites = CIPHER_SUITES.filter((s) => s.prfHash === v.hash);
    expect(suites.length).toBeGreaterThan(0);
    for (const suite of suites) {
      const keys = keyBlock(provider, suite, fromHex(v.masterSecret), fromHex(v.clientRandom), fromHex(v.serverRandom));
      // RFC 5246 6.3: MAC keys (CBC suites only), then write keys, then IVs (AEAD suites only).
      // The published block is 128 bytes: a longer one (AES-256 with HMAC-SHA384) is checked on that prefix.
      const ours = Buffer.concat([keys.clientWriteMacKey, keys.serverWriteMacKey, keys.clientWriteKey, keys.serverWriteKey, keys.clientWriteIv, keys.serverWriteIv]);
      expect(ours.length).toBe(2 * suite.macKeyLength + 2 * suite.keyLength + 2 * suite.fixedIvLength);
      const compared = Math.min(ours.length, published.length);
      expect(compared).toBeGreaterThanOrEqual(2 * suite.macKeyLength + suite.keyLength);
      expect(toHex(ours.subarray(0, compared)), suite.name).toBe(toHex(published.subarray(0, compared)));
    }
  });

  it('RFC 7627 4: extended master secret = PRF(premaster, "extended master secret", session_hash)[0..47]', () => {
    const premaster = provider.randomBytes(48);
    for (const hash of ['sha256', 'sha384'] as const) {
      const sessionHash = provider.hash(hash, provider.randomBytes(200));
      const ems = extendedMasterSecret(provider, hash, premaster, sessionHash);
      expect(ems.length).toBe(48);
      expect(toHex(ems)).toBe(referencePrf(hash, premaster, Buffer.concat([ascii('extended master secret'), sessionHash]), 48));
    }
  });

  it('RFC 5246 7.4.9: verify_data = PRF(master, finished_label, Hash(handshake_messages))[0..11]', () => {
    const master = provider.randomBytes(48);
    for (const hash of ['sha256', 'sha384'] as const) {
      const transcript = provider.hash(hash, provider.randomBytes(500));
      for (const label of ['client finished', 'server finished'] as const) {
        const vd = verifyData(provider, hash, master, label, transcript);
        expect(toHex(vd)).toBe(referencePrf(hash, master, Buffer.concat([ascii(label), transcript]), 12));
      }
    }
  });

  it('RFC 5705 4: exporter seed is client_random + server_random [+ uint16 length + context]', () => {
    const master = provider.randomBytes(48);
    const cr = provider.randomBytes(32);
    const sr = provider.randomBytes(32);
    const label = 'EXPERIMENTAL dtls-kit';
    const noContext = exportKeyingMaterial(provider, 'sha256', master, cr, sr, label, undefined, 40);
    expect(toHex(noContext)).toBe(referencePrf('sha256', master, Buffer.concat([ascii(label), cr, sr]), 40));

    const context = provider.randomBytes(300);
    const withContext = exportKeyingMaterial(provider, 'sha384', master, cr, sr, label, context, 77);
    expect(toHex(withContext)).toBe(referencePrf('sha384', master, Buffer.concat([ascii(label), cr, sr, Buffer.from([0x01, 0x2c]), context]), 77));

    // An empty context is not the same as no context (RFC 5705 4).
    const emptyContext = exportKeyingMaterial(provider, 'sha256', master, cr, sr, label, new Uint8Array(0), 40);
    expect(toHex(emptyContext)).toBe(referencePrf('sha256', master, Buffer.concat([ascii(label), cr, sr, Buffer.from([0, 0])]), 40));
    expect(toHex(emptyContext)).not.toBe(toHex(noContext));
  });

  it('RFC 5705 4 / RFC 7627: the exporter refuses reserved labels and oversized contexts', () => {
    const z = new Uint8Array(32);
    for (const label of ['client finished', 'server finished', 'master secret', 'key expansion', 'extended master secret']) {
      expect(() => exportKeyingMaterial(provider, 'sha256', z, z, z, label, undefined, 16)).toThrow(TypeError);
    }
    expect(() => exportKeyingMaterial(provider, 'sha256', z, z, z, 'EXPORTER-x', new Uint8Array(0x10000), 16)).toThrow(RangeError);
    expect(exportKeyingMaterial(provider, 'sha256', z, z, z, 'EXPORTER-x', new Uint8Array(0xffff), 16).length).toBe(16);
  });

  it('key block parts are independent copies', () => {
    const suite = CIPHER_SUITES[0];
    if (suite === undefined) throw new Error('no suites');
    const keys = keyBlock(provider, suite, new Uint8Array(48), new Uint8Array(32), new Uint8Array(32));
    const before = toHex(keys.serverWriteKey);
    keys.clientWriteKey.fill(0xaa);
    expect(toHex(keys.serverWriteKey)).toBe(before);
    expect(keys.clientWriteKey.buffer).not.toBe(keys.serverWriteKey.buffer);
  });
});
