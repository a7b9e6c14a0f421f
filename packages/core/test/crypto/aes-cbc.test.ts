/**
 * AES-CBC without padding in every provider, against NIST SP 800-38A F.2.1 (CBC-AES128) and F.2.5
 * (CBC-AES256), and against each other on random inputs; the provider contract's errors.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import type { CbcAlgorithm } from '../../src/crypto/provider.js';
import { PROVIDERS } from './providers.js';

const IV = '000102030405060708090a0b0c0d0e0f';
const PLAINTEXT =
  '6bc1bee22e409f96e93d7e117393172a' + 'ae2d8a571e03ac9c9eb76fac45af8e51' + '30c81c46a35ce411e5fbc1191a0a52ef' + 'f69f2445df4f9b17ad2b417be66c3710';

/** NIST SP 800-38A Appendix F.2.1 and F.2.5. */
const VECTORS: readonly { name: string; algorithm: CbcAlgorithm; key: string; ciphertext: string }[] = [
  {
    name: 'SP 800-38A F.2.1 CBC-AES128',
    algorithm: 'aes-128-cbc',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    ciphertext: '7649abac8119b246cee98e9b12e9197d' + '5086cb9b507219ee95db113a917678b2' + '73bed6b8e3c1743b7116e69e22229516' + '3ff1caa1681fac09120eca307586e1a7',
  },
  {
    name: 'SP 800-38A F.2.5 CBC-AES256',
    algorithm: 'aes-256-cbc',
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    ciphertext: 'f58c4c04d6e5f1ba779eabfb5f7bfbd6' + '9cfc4e967edb808d679f777bc6702c7d' + '39f23369a9d9bacfa530e26304231461' + 'b2eb05e2c39be9fcda6c19078c6a9d1b',
  },
];

describe.each(PROVIDERS)('AES-CBC, $name provider', ({ provider }) => {
  const cbc = provider.cbc;
  it('has AES-CBC', () => {
    expect(cbc).toBeTypeOf('function');
  });
  if (cbc === undefined) return;

  it.each(VECTORS)('$name: encrypt and decrypt', ({ algorithm, key, ciphertext }) => {
    const cipher = cbc(algorithm, fromHex(key));
    expect(toHex(cipher.encrypt(fromHex(IV), fromHex(PLAINTEXT)))).toBe(ciphertext);
    expect(toHex(cipher.decrypt(fromHex(IV), fromHex(ciphertext)))).toBe(PLAINTEXT);
    // Block by block: a record's IV is the previous ciphertext block's role (CBC chaining).
    expect(toHex(cipher.encrypt(fromHex(ciphertext.slice(0, 32)), fromHex(PLAINTEXT.slice(32, 64))))).toBe(ciphertext.slice(32, 64));
  });

  it('refuses a wrong key length, IV length or a partial block (RangeError), and adds no padding', () => {
    expect(() => cbc('aes-128-cbc', new Uint8Array(15))).toThrow(RangeError);
    expect(() => cbc('aes-256-cbc', new Uint8Array(16))).toThrow(RangeError);
    const cipher = cbc('aes-128-cbc', new Uint8Array(16));
    expect(() => cipher.encrypt(new Uint8Array(12), new Uint8Array(16))).toThrow(RangeError);
    expect(() => cipher.encrypt(new Uint8Array(16), new Uint8Array(17))).toThrow(RangeError);
    expect(() => cipher.decrypt(new Uint8Array(16), new Uint8Array(31))).toThrow(RangeError);
    expect(cipher.encrypt(new Uint8Array(16), new Uint8Array(32))).toHaveLength(32);
    expect(cipher.encrypt(new Uint8Array(16), new Uint8Array(0))).toHaveLength(0);
  });

  it('agrees with every other provider on random keys, IVs and data', () => {
    for (let i = 0; i < 50; i++) {
      const algorithm: CbcAlgorithm = i % 2 === 0 ? 'aes-128-cbc' : 'aes-256-cbc';
      const key = new Uint8Array(randomBytes(algorithm === 'aes-128-cbc' ? 16 : 32));
      const iv = new Uint8Array(randomBytes(16));
      const data = new Uint8Array(randomBytes(16 * (i % 7)));
      const sealed = cbc(algorithm, key).encrypt(iv, data);
      for (const other of PROVIDERS) {
        const otherCbc = other.provider.cbc;
        expect(otherCbc, other.name).toBeDefined();
        if (otherCbc === undefined) continue;
        expect(toHex(otherCbc(algorithm, key).encrypt(iv, data)), other.name).toBe(toHex(sealed));
        expect(toHex(otherCbc(algorithm, key).decrypt(iv, sealed)), other.name).toBe(toHex(data));
      }
    }
  });
});
