/**
 * DTLS 1.3 record number encryption masks (RFC 9147 4.2.3), per provider and cipher: published
 * block-function vectors (FIPS-197 Appendix C for AES-ECB, RFC 8439 2.3.2 for the ChaCha20 block
 * function), and node:crypto (OpenSSL) against @noble/ciphers on random keys and samples, so every
 * provider is held to two implementations we did not write.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { nobleRecordNumberMasker } from '../../src/crypto/noble-record-number-mask.js';
import { nodeRecordNumberMasker } from '../../src/crypto/node-record-number-mask.js';
import { recordNumberCipherFor } from '../../src/crypto/record-number-mask.js';
import type { RecordNumberCipher, RecordNumberMasker } from '../../src/crypto/record-number-mask.js';
import { PROVIDERS } from './providers.js';

function maskerOf(name: string, cipher: RecordNumberCipher, key: Uint8Array): RecordNumberMasker {
  const p = PROVIDERS.find((x) => x.name === name)?.provider;
  const make = p?.recordNumberMasker;
  if (make === undefined) throw new Error(`provider ${name} has no record number masker`);
  return make(cipher, key);
}

const KEY_LENGTH: Record<RecordNumberCipher, number> = { 'aes-128': 16, 'aes-256': 32, chacha20: 32 };

describe('record number mask (RFC 9147 4.2.3)', () => {
  for (const { name } of PROVIDERS) {
    describe(`${name} provider`, () => {
      it('AES-128: Mask = AES-ECB(sn_key, Ciphertext[0..15]) — FIPS-197 C.1', () => {
        const m = maskerOf(name, 'aes-128', fromHex('000102030405060708090a0b0c0d0e0f'));
        expect(toHex(m.mask(fromHex('00112233445566778899aabbccddeeff')))).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
      });

      it('AES-256: FIPS-197 C.3', () => {
        const m = maskerOf(name, 'aes-256', fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'));
        expect(toHex(m.mask(fromHex('00112233445566778899aabbccddeeff')))).toBe('8ea2b7ca516745bfeafc49904b496089');
      });

      it('ChaCha20: counter = Ciphertext[0..3] little-endian, nonce = Ciphertext[4..15] — RFC 8439 2.3.2 block', () => {
        // RFC 8439 2.3.2: key 00..1f, nonce 000000090000004a00000000, block count 1; the serialized
        // block starts 10 f1 e7 e4 ... The sample is the counter (1, little-endian) then the nonce.
        const m = maskerOf(name, 'chacha20', fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'));
        const sample = fromHex('01000000' + '000000090000004a00000000');
        expect(toHex(m.mask(sample))).toBe('10f1e7e4d13b5915500fdd1fa32071c4');
      });

      for (const cipher of ['aes-128', 'aes-256', 'chacha20'] as const) {
        it(`${cipher}: equals node:crypto and @noble/ciphers on random keys and samples (counter up to 2^32-1)`, () => {
          for (let i = 0; i < 40; i++) {
            const key = new Uint8Array(randomBytes(KEY_LENGTH[cipher]));
            const sample = new Uint8Array(randomBytes(16));
            if (i === 0) sample.fill(0xff, 0, 4); // the largest ChaCha20 block counter
            const expectedNode = toHex(nodeRecordNumberMasker(cipher, key).mask(sample));
            expect(toHex(nobleRecordNumberMasker(cipher, key).mask(sample))).toBe(expectedNode);
            expect(toHex(maskerOf(name, cipher, key).mask(sample))).toBe(expectedNode);
          }
        });
      }

      it('one keyed masker gives, call after call, what a fresh one gives (no state between records)', () => {
        for (const cipher of ['aes-128', 'aes-256', 'chacha20'] as const) {
          const key = new Uint8Array(randomBytes(KEY_LENGTH[cipher]));
          const m = maskerOf(name, cipher, key);
          for (let i = 0; i < 20; i++) {
            const sample = new Uint8Array(randomBytes(16));
            expect(toHex(m.mask(sample))).toBe(toHex(nobleRecordNumberMasker(cipher, key).mask(sample)));
          }
        }
      });

      it('refuses a wrong sn_key length and a sample that is not 16 bytes', () => {
        expect(() => maskerOf(name, 'aes-128', new Uint8Array(32))).toThrow(RangeError);
        expect(() => maskerOf(name, 'chacha20', new Uint8Array(16))).toThrow(RangeError);
        const m = maskerOf(name, 'aes-256', new Uint8Array(32));
        expect(() => m.mask(new Uint8Array(15))).toThrow(RangeError);
      });
    });
  }

  it('maps each AEAD to the cipher under it', () => {
    expect(recordNumberCipherFor('aes-128-gcm')).toBe('aes-128');
    expect(recordNumberCipherFor('aes-128-ccm')).toBe('aes-128');
    expect(recordNumberCipherFor('aes-128-ccm-8')).toBe('aes-128');
    expect(recordNumberCipherFor('aes-256-gcm')).toBe('aes-256');
    expect(recordNumberCipherFor('chacha20-poly1305')).toBe('chacha20');
  });
});

describe('ChaCha20 block function (RFC 8439 2.3.2)', () => {
  it('gives the serialized block of the RFC', async () => {
    const { chacha20Block } = await import('../../src/crypto/chacha20-block.js');
    const block = chacha20Block(fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'), 1, fromHex('000000090000004a00000000'));
    expect(toHex(block)).toBe(
      '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e' + 'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e',
    );
  });
});
