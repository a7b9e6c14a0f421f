/**
 * The addon on its own: known answers (RFC 8439 2.8.2 for ChaCha20-Poly1305; McGrew & Viega's GCM
 * test cases 2-4 and 16, the vectors NIST SP 800-38D points to), a wrong tag, nonce or AAD
 * refused, decryption in place, misuse refused with typed errors, and dropped contexts freed.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as NativeAead from '../index.cjs';

const addon: typeof NativeAead = createRequire(import.meta.url)('../index.cjs');

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

interface Vector {
  readonly name: string;
  readonly algorithm: NativeAead.NativeAeadAlgorithm;
  readonly key: string;
  readonly nonce: string;
  readonly aad: string;
  readonly plaintext: string;
  readonly sealed: string;
}

const GCM_P = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const GCM_A = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';

const VECTORS: readonly Vector[] = [
  { name: 'GCM test case 1 (nothing to encrypt)', algorithm: 'aes-128-gcm', key: '00'.repeat(16), nonce: '00'.repeat(12), aad: '', plaintext: '', sealed: '58e2fccefa7e3061367f1d57a4e7455a' },
  {
    name: 'GCM test case 2',
    algorithm: 'aes-128-gcm',
    key: '00'.repeat(16),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    sealed: '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf',
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
    plaintext: GCM_P.slice(0, 120),
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
    plaintext: GCM_P.slice(0, 120),
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
    plaintext: Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.").toString('hex'),
    sealed:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691',
  },
];

describe('native-aead known answers', () => {
  it.each(VECTORS)('$name: seals to the vector, opens it, and opens it in place', (v) => {
    const sealing = addon.createContext(v.algorithm, hex(v.key), 'seal');
    const opening = addon.createContext(v.algorithm, hex(v.key), 'open');
    const plaintext = hex(v.plaintext);
    // Sealed at an offset of a larger record, as the record layer's sealInto does.
    const record = new Uint8Array(5 + plaintext.length + 16 + 3).fill(0xee);
    addon.seal(sealing, hex(v.nonce), hex(v.aad), plaintext, record, 5);
    expect(toHex(record.subarray(5, 5 + plaintext.length + 16))).toBe(v.sealed);
    expect(record.subarray(0, 5).every((b) => b === 0xee) && record.subarray(5 + plaintext.length + 16).every((b) => b === 0xee)).toBe(true);

    const out = new Uint8Array(plaintext.length);
    expect(addon.open(opening, hex(v.nonce), hex(v.aad), hex(v.sealed), out)).toBe(true);
    expect(toHex(out)).toBe(v.plaintext);

    const datagram = hex(v.sealed);
    const inPlace = datagram.subarray(0, plaintext.length);
    expect(addon.open(opening, hex(v.nonce), hex(v.aad), datagram, inPlace)).toBe(true);
    expect(toHex(inPlace)).toBe(v.plaintext);
    // The tag is where it was.
    expect(toHex(datagram.subarray(plaintext.length))).toBe(v.sealed.slice(plaintext.length * 2));
  });

  it.each(VECTORS)('$name: a flipped bit in the tag, the ciphertext, the AAD or the nonce is refused, and the output zeroed', (v) => {
    const opening = addon.createContext(v.algorithm, hex(v.key), 'open');
    const sealed = hex(v.sealed);
    const flips: [string, Uint8Array, Uint8Array, Uint8Array][] = [];
    for (const i of [0, sealed.length - 16, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      flips.push([`sealed byte ${i}`, hex(v.nonce), hex(v.aad), bad]);
    }
    const badNonce = hex(v.nonce);
    badNonce[11] = (badNonce[11] ?? 0) ^ 0x80;
    flips.push(['nonce', badNonce, hex(v.aad), sealed]);
    flips.push(['aad', hex(v.nonce), Uint8Array.of(...hex(v.aad), 0), sealed]);
    for (const [what, nonce, aad, input] of flips) {
      const out = new Uint8Array(sealed.length - 16).fill(0x77);
      expect(addon.open(opening, nonce, aad, input, out), what).toBe(false);
      expect(out.every((b) => b === 0), what).toBe(true);
    }
    // The context stays usable after a refusal.
    const out = new Uint8Array(sealed.length - 16);
    expect(addon.open(opening, hex(v.nonce), hex(v.aad), sealed, out)).toBe(true);
  });

  it('agrees with node:crypto on many records through one context per direction (the IV is reset per record)', async () => {
    const { createCipheriv, randomBytes } = await import('node:crypto');
    for (const [algorithm, keyLength] of [['aes-128-gcm', 16], ['aes-256-gcm', 32], ['chacha20-poly1305', 32]] as const) {
      const key = randomBytes(keyLength);
      const sealing = addon.createContext(algorithm, key, 'seal');
      const opening = addon.createContext(algorithm, key, 'open');
      for (let i = 0; i < 50; i++) {
        const nonce = randomBytes(12);
        const aad = randomBytes(13);
        const plaintext = randomBytes(i * 37);
        // Narrowed per family: node's typings take GCM and ChaCha20-Poly1305 through separate overloads.
        const cipher = algorithm === 'chacha20-poly1305' ? createCipheriv(algorithm, key, nonce, { authTagLength: 16 }) : createCipheriv(algorithm, key, nonce);
        cipher.setAAD(aad, { plaintextLength: plaintext.length });
        const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        const sealed = new Uint8Array(plaintext.length + 16);
        addon.seal(sealing, nonce, aad, plaintext, sealed, 0);
        expect(toHex(sealed)).toBe(expected.toString('hex'));
        const opened = new Uint8Array(plaintext.length);
        expect(addon.open(opening, nonce, aad, expected, opened)).toBe(true);
        expect(toHex(opened)).toBe(plaintext.toString('hex'));
      }
    }
  });
});

describe('native-aead not built', () => {
  it('its load throws, saying the addon is not built and how to build it (what core turns into ProviderUnavailableError)', () => {
    // The package as an install whose build failed left it: index.cjs without build/.
    const dir = mkdtempSync(join(tmpdir(), 'native-aead-unbuilt-'));
    try {
      copyFileSync(new URL('../index.cjs', import.meta.url), join(dir, 'index.cjs'));
      let error: unknown;
      try {
        createRequire(join(dir, 'index.cjs'))('./index.cjs');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect(String(error)).toMatch(/@dtls-kit\/native-aead: the addon is not built or does not load here \(Cannot find module '\.\/build\/Release\/native_aead\.node'.*node scripts\/build-addon\.mjs/s);
      expect(error instanceof Error ? error.cause : undefined).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('native-aead misuse', () => {
  const key = new Uint8Array(16);
  const sealing = addon.createContext('aes-128-gcm', key, 'seal');
  const opening = addon.createContext('aes-128-gcm', key, 'open');
  const nonce = new Uint8Array(12);

  it('names the OpenSSL it runs on, and its nonce and tag lengths', () => {
    expect(addon.openssl).toMatch(/^OpenSSL 3\./);
    expect(addon.TAG_LENGTH).toBe(16);
    expect(addon.NONCE_LENGTH).toBe(12);
  });

  it('refuses an unknown algorithm, a wrong key length, a wrong direction (RangeError)', () => {
    expect(() => addon.createContext('aes-128-ccm' as NativeAead.NativeAeadAlgorithm, key, 'seal')).toThrow(RangeError);
    expect(() => addon.createContext('aes-128-gcm', new Uint8Array(32), 'seal')).toThrow(/key length/);
    expect(() => addon.createContext('chacha20-poly1305', new Uint8Array(16), 'open')).toThrow(RangeError);
    expect(() => addon.createContext('aes-256-gcm', new Uint8Array(32), 'both' as NativeAead.NativeAeadDirection)).toThrow(RangeError);
    expect(() => addon.createContext('aes-128-gcm', [0, 1] as unknown as Uint8Array, 'seal')).toThrow(TypeError);
  });

  it('refuses a context that is not ours or of the other direction (TypeError)', () => {
    const out = new Uint8Array(32);
    expect(() => addon.seal(opening as NativeAead.NativeAeadContext, nonce, out, new Uint8Array(0), out, 0)).toThrow(/created for 'seal'/);
    expect(() => addon.open(sealing, nonce, new Uint8Array(0), new Uint8Array(16), new Uint8Array(0))).toThrow(/created for 'open'/);
    expect(() => addon.seal({} as NativeAead.NativeAeadContext, nonce, new Uint8Array(0), new Uint8Array(0), out, 0)).toThrow(TypeError);
  });

  it('refuses a nonce not of 12 bytes, an output too small or misplaced, overlapping memory (RangeError)', () => {
    const plaintext = new Uint8Array(10);
    const aad = new Uint8Array(0);
    expect(() => addon.seal(sealing, new Uint8Array(8), aad, plaintext, new Uint8Array(26), 0)).toThrow(/nonce/);
    expect(() => addon.seal(sealing, nonce, aad, plaintext, new Uint8Array(25), 0)).toThrow(/too small/);
    expect(() => addon.seal(sealing, nonce, aad, plaintext, new Uint8Array(30), 5)).toThrow(/too small/);
    expect(() => addon.seal(sealing, nonce, aad, plaintext, new Uint8Array(30), -1)).toThrow(/too small/);
    const slab = new Uint8Array(64);
    expect(() => addon.seal(sealing, nonce, aad, slab.subarray(2, 12), slab, 4)).toThrow(/overlaps/);
    expect(() => addon.open(opening, nonce, aad, new Uint8Array(15), new Uint8Array(0))).toThrow(/shorter than a tag/);
    expect(() => addon.open(opening, nonce, aad, new Uint8Array(30), new Uint8Array(13))).toThrow(/as long as/);
    expect(() => addon.open(opening, nonce, aad, slab.subarray(0, 30), slab.subarray(1, 15))).toThrow(/overlaps/);
  });
});

describe('native-aead record number mask (RFC 9147 4.2.3)', () => {
  const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
  const mask = (cipher: NativeAead.NativeMaskCipher, key: string, sample: string): string => {
    const out = new Uint8Array(16);
    addon.mask(addon.createMaskContext(cipher, hex(key)), hex(sample), out);
    return toHex(out);
  };

  it('gives the known answers: FIPS-197 C.1 and C.3 (one AES block), RFC 8439 2.3.2 (ChaCha20 key stream, counter || nonce as the sample)', () => {
    expect(mask('aes-128', KEY.slice(0, 32), '00112233445566778899aabbccddeeff')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    expect(mask('aes-256', KEY, '00112233445566778899aabbccddeeff')).toBe('8ea2b7ca516745bfeafc49904b496089');
    expect(mask('chacha20', KEY, '01000000000000090000004a00000000')).toBe('10f1e7e4d13b5915500fdd1fa32071c4');
  });

  it('agrees with node:crypto on many samples through one context (AES-ECB chains nothing; ChaCha20 takes each sample as its IV)', async () => {
    const { createCipheriv, randomBytes } = await import('node:crypto');
    for (const cipher of ['aes-128', 'aes-256', 'chacha20'] as const) {
      const key = randomBytes(cipher === 'aes-128' ? 16 : 32);
      const context = addon.createMaskContext(cipher, key);
      for (let i = 0; i < 200; i++) {
        const sample = randomBytes(16);
        const out = new Uint8Array(16);
        addon.mask(context, sample, out);
        const expected =
          cipher === 'chacha20'
            ? createCipheriv('chacha20', key, sample).update(Buffer.alloc(16))
            : createCipheriv(cipher === 'aes-128' ? 'aes-128-ecb' : 'aes-256-ecb', key, null).setAutoPadding(false).update(sample);
        expect(toHex(out), `${cipher} #${i}`).toBe(expected.toString('hex'));
      }
    }
  });

  it('refuses an unknown cipher, a wrong key length, a context not its own, samples and outputs not of 16 bytes or overlapping', () => {
    expect(() => addon.createMaskContext('aes-192' as NativeAead.NativeMaskCipher, new Uint8Array(24))).toThrow(RangeError);
    expect(() => addon.createMaskContext('aes-128', new Uint8Array(32))).toThrow(/key length/);
    expect(() => addon.createMaskContext('chacha20', new Uint8Array(16))).toThrow(RangeError);
    const context = addon.createMaskContext('aes-128', new Uint8Array(16));
    const aead = addon.createContext('aes-128-gcm', new Uint8Array(16), 'seal');
    expect(() => addon.mask(aead as unknown as NativeAead.NativeMaskContext, new Uint8Array(16), new Uint8Array(16))).toThrow(TypeError);
    expect(() => addon.seal(context as unknown as NativeAead.NativeAeadContext, new Uint8Array(12), new Uint8Array(0), new Uint8Array(0), new Uint8Array(16), 0)).toThrow(TypeError);
    expect(() => addon.mask(context, new Uint8Array(15), new Uint8Array(16))).toThrow(/16 bytes/);
    expect(() => addon.mask(context, new Uint8Array(16), new Uint8Array(17))).toThrow(/16 bytes/);
    const both = new Uint8Array(24);
    expect(() => addon.mask(context, both.subarray(0, 16), both.subarray(8, 24))).toThrow(/overlaps/);
    expect(() => addon.mask(context, both.subarray(0, 16), both.subarray(0, 16))).toThrow(/overlaps/);
  });
});

describe('native-aead memory', () => {
  it('200,000 contexts created and dropped leave the memory flat (the finalizer frees each EVP context)', async () => {
    const gc: unknown = Reflect.get(globalThis, 'gc');
    if (typeof gc !== 'function') throw new Error('run with --expose-gc (vitest.config.ts execArgv)');
    // Node-API runs finalizers after the collection, from the event loop: a turn of it each time.
    const collect = async (): Promise<void> => {
      Reflect.apply(gc, undefined, []);
      await new Promise((resolve) => setImmediate(resolve));
      Reflect.apply(gc, undefined, []);
      await new Promise((resolve) => setImmediate(resolve));
    };
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12);
    const out = new Uint8Array(16);
    const churn = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const context = addon.createContext(i % 2 === 0 ? 'aes-256-gcm' : 'chacha20-poly1305', key, 'seal');
        // Used once, so the OpenSSL provider state behind it is allocated too.
        addon.seal(context, nonce, out.subarray(0, 0), out.subarray(0, 0), out, 0);
        // Collections along the way, as a long-running server gets them.
        if (i % 20_000 === 19_999) await collect();
      }
      await collect();
    };
    await churn(20_000); // the allocator's and V8's steady state first
    const before = process.memoryUsage().rss;
    await churn(200_000);
    const grown = process.memoryUsage().rss - before;
    // A leaked context is over 1 KB (EVP_CIPHER_CTX and the provider's cipher state): 200,000 of
    // them would be over 200 MB. Freed, the figure stays within the allocator's noise.
    expect(grown, `RSS grew by ${(grown / 1e6).toFixed(1)} MB`).toBeLessThan(40e6);
  });
});
