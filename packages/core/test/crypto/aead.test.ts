/**
 * AEADs through the provider interface, on both providers.
 * Known answers:
 *  - AES-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1-4 (AES-128)
 *    and 16 (AES-256), the vectors NIST SP 800-38D points to.
 *  - ChaCha20-Poly1305: RFC 8439 section 2.8.2.
 *  - AES-CCM_8 with a TLS-shaped 12-byte nonce: NIST SP 800-38C Appendix C, Example 3.
 * Then cross-provider agreement on random inputs (fast-check), and tampering; on every provider,
 * the optional sodium-native and native-aead ones included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/bytes.js';
import { AEAD_SPECS } from '../../src/crypto/aead-spec.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { AeadAlgorithm, CryptoProvider } from '../../src/crypto/provider.js';
import { nativeCryptoProvider, PROVIDERS, sodiumCryptoProvider } from './providers.js';

interface AeadVector {
  readonly name: string;
  readonly algorithm: AeadAlgorithm;
  readonly key: string;
  readonly nonce: string;
  readonly aad: string;
  readonly plaintext: string;
  readonly sealed: string;
}

const GCM_P =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const GCM_P60 = GCM_P.slice(0, 120);
const GCM_A = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';

const VECTORS: readonly AeadVector[] = [
  { name: 'GCM test case 1', algorithm: 'aes-128-gcm', key: '00'.repeat(16), nonce: '00'.repeat(12), aad: '', plaintext: '', sealed: '58e2fccefa7e3061367f1d57a4e7455a' },
  {
    name: 'GCM test case 2',
    algorithm: 'aes-128-gcm',
    key: '00'.repeat(16),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    sealed: '0388dace60b6a392f328c2b971b2fe78' + 'ab6e47d42cec13bdf53a67b21257bddf',
  },
  {
    name: 'GCM test case 3',
    algorithm: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: GCM_P,
    sealed:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985' +
      '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
  {
    name: 'GCM test case 4',
    algorithm: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: GCM_A,
    plaintext: GCM_P60,
    sealed:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' +
      '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'GCM test case 16',
    algorithm: 'aes-256-gcm',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: GCM_A,
    plaintext: GCM_P60,
    sealed:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b',
  },
  {
    name: 'RFC 8439 2.8.2',
    algorithm: 'chacha20-poly1305',
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    nonce: '070000004041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plaintext: toHex(utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")),
    sealed:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691',
  },
  {
    name: 'SP 800-38C C.3 (12-byte nonce, 8-byte tag)',
    algorithm: 'aes-128-ccm-8',
    key: '404142434445464748494a4b4c4d4e4f',
    nonce: '101112131415161718191a1b',
    aad: '000102030405060708090a0b0c0d0e0f10111213',
    plaintext: '202122232425262728292a2b2c2d2e2f3031323334353637',
    sealed: 'e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5' + '484392fbc1b09951',
  },
];

const ALGORITHMS: readonly AeadAlgorithm[] = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305', 'aes-128-ccm', 'aes-128-ccm-8'];

describe.each(PROVIDERS)('AEAD known answers: $name provider', ({ provider }) => {
  it.each(VECTORS)('$name', (v) => {
    const aead = provider.aead(v.algorithm, fromHex(v.key));
    expect(aead.algorithm).toBe(v.algorithm);
    const sealed = aead.seal(fromHex(v.nonce), fromHex(v.plaintext), fromHex(v.aad));
    expect(sealed).toBeInstanceOf(Uint8Array);
    expect(toHex(sealed)).toBe(v.sealed);
    const opened = aead.open(fromHex(v.nonce), fromHex(v.sealed), fromHex(v.aad));
    expect(opened === null ? null : toHex(opened)).toBe(v.plaintext);
  });
});

describe.each(PROVIDERS)('AEAD misuse and tampering: $name provider', ({ provider }) => {
  it.each(ALGORITHMS)('%s: tag length and key length as specified', (algorithm) => {
    const spec = AEAD_SPECS[algorithm];
    expect(provider.aead(algorithm, new Uint8Array(spec.keyLength)).tagLength).toBe(spec.tagLength);
    expect(() => provider.aead(algorithm, new Uint8Array(spec.keyLength - 1))).toThrow(RangeError);
    expect(() => provider.aead(algorithm, new Uint8Array(spec.keyLength + 1))).toThrow(RangeError);
  });

  it.each(ALGORITHMS)('%s: a flipped bit anywhere, a wrong nonce or short input opens to null', (algorithm) => {
    const spec = AEAD_SPECS[algorithm];
    const key = provider.randomBytes(spec.keyLength);
    const aead = provider.aead(algorithm, key);
    const nonce = provider.randomBytes(12);
    const aad = provider.randomBytes(13);
    const plaintext = provider.randomBytes(37);
    const sealed = aead.seal(nonce, plaintext, aad);
    expect(sealed.length).toBe(plaintext.length + spec.tagLength);
    expect(aead.open(nonce, sealed, aad)).toEqual(plaintext);

    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i] = (bad[i] ?? 0) ^ (1 << i % 8);
      expect(aead.open(nonce, bad, aad)).toBeNull();
    }
    for (let i = 0; i < aad.length; i++) {
      const bad = aad.slice();
      bad[i] = (bad[i] ?? 0) ^ 0x40;
      expect(aead.open(nonce, sealed, bad)).toBeNull();
    }
    const badNonce = nonce.slice();
    badNonce[11] = (badNonce[11] ?? 0) ^ 1;
    expect(aead.open(badNonce, sealed, aad)).toBeNull();
    expect(aead.open(nonce, sealed.subarray(0, sealed.length - 1), aad)).toBeNull();
    expect(aead.open(nonce, sealed.subarray(0, spec.tagLength - 1), aad)).toBeNull();
    expect(aead.open(nonce, new Uint8Array(0), aad)).toBeNull();
    expect(aead.open(nonce.subarray(0, 8), sealed, aad)).toBeNull();
    expect(aead.open(new Uint8Array(13), sealed, aad)).toBeNull();
    expect(() => aead.seal(nonce.subarray(0, 8), plaintext, aad)).toThrow(RangeError);
  });

  it.each(ALGORITHMS)('%s: the AEAD is reusable across records and does not keep references to its inputs', (algorithm) => {
    const key = provider.randomBytes(AEAD_SPECS[algorithm].keyLength);
    const aead = provider.aead(algorithm, key);
    const nonce = new Uint8Array(12);
    const first = aead.seal(nonce, utf8('hello'), new Uint8Array(0));
    key.fill(0); // the caller wiping its copy must not change the keyed AEAD
    nonce[11] = 1;
    aead.seal(nonce, utf8('another record'), utf8('aad'));
    nonce[11] = 0;
    expect(aead.seal(nonce, utf8('hello'), new Uint8Array(0))).toEqual(first);
  });
});

/** Pairs of independent implementations, and the algorithms where they differ. */
const AGREEMENT: readonly [name: string, a: CryptoProvider, b: CryptoProvider, algorithms: readonly AeadAlgorithm[]][] = [
  ['node:crypto vs noble', nodeCryptoProvider, nobleCryptoProvider, ALGORITHMS],
  // The sodium provider's own AEAD is ChaCha20-Poly1305 (the rest is node:crypto's).
  ['sodium-native vs node:crypto', sodiumCryptoProvider, nodeCryptoProvider, ['chacha20-poly1305']],
  ['sodium-native vs noble', sodiumCryptoProvider, nobleCryptoProvider, ['chacha20-poly1305']],
  // The native-aead provider's own AEADs are AES-GCM and ChaCha20-Poly1305 (CCM is node:crypto's).
  ['native-aead vs noble', nativeCryptoProvider, nobleCryptoProvider, ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305']],
  ['native-aead vs sodium-native', nativeCryptoProvider, sodiumCryptoProvider, ['chacha20-poly1305']],
];

describe.each(AGREEMENT)('AEAD cross-provider agreement (%s)', (_name, providerA, providerB, algorithms) => {
  it.each(algorithms)('%s: both seal to the same bytes and each opens what the other sealed', (algorithm) => {
    const spec = AEAD_SPECS[algorithm];
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: spec.keyLength, maxLength: spec.keyLength }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 40 }),
        (key, nonce, plaintext, aad) => {
          const a = providerA.aead(algorithm, key);
          const b = providerB.aead(algorithm, key);
          const sealedA = a.seal(nonce, plaintext, aad);
          const sealedB = b.seal(nonce, plaintext, aad);
          expect(toHex(sealedB)).toBe(toHex(sealedA));
          expect(b.open(nonce, sealedA, aad)).toEqual(plaintext);
          expect(a.open(nonce, sealedB, aad)).toEqual(plaintext);
        },
      ),
      { numRuns: 100 },
    );
  });
});
