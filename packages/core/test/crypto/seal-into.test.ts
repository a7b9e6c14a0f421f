/**
 * Aead.sealInto (the record layer's in-place seal) writes exactly what seal() returns, at the
 * offset asked, touching nothing else; open() of the node provider hands back plaintext that
 * owns its memory (not a Buffer, not a view into a larger buffer).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AEAD_SPECS } from '../../src/crypto/aead-spec.js';
import type { AeadAlgorithm } from '../../src/crypto/provider.js';
import { PROVIDERS } from './providers.js';

const ALGORITHMS = Object.keys(AEAD_SPECS) as AeadAlgorithm[];

describe.each(PROVIDERS)('$name provider: sealInto and open', ({ provider }) => {
  it.each(ALGORITHMS)('%s: sealInto at an offset equals seal, and opens', (algorithm) => {
    const spec = AEAD_SPECS[algorithm];
    const aead = provider.aead(algorithm, new Uint8Array(randomBytes(spec.keyLength)));
    for (const size of [0, 1, 16, 1200, 16384]) {
      const nonce = new Uint8Array(randomBytes(spec.nonceLength));
      const aad = new Uint8Array(randomBytes(13));
      const plaintext = new Uint8Array(randomBytes(size));
      const sealed = aead.seal(nonce, plaintext, aad);
      expect(sealed.length).toBe(size + aead.tagLength);
      if (aead.sealInto !== undefined) {
        const out = new Uint8Array(21 + sealed.length + 5).fill(0xee);
        aead.sealInto(nonce, plaintext, aad, out, 21);
        expect(out.subarray(21, 21 + sealed.length)).toEqual(sealed);
        expect(out.subarray(0, 21).every((b) => b === 0xee)).toBe(true);
        expect(out.subarray(21 + sealed.length).every((b) => b === 0xee)).toBe(true);
        expect(() => aead.sealInto?.(nonce, plaintext, aad, new Uint8Array(sealed.length - 1), 0)).toThrow(RangeError);
      }
      const opened = aead.open(nonce, sealed, aad);
      expect(opened).toEqual(plaintext);
      expect(Buffer.isBuffer(opened)).toBe(false);
      expect(opened?.byteOffset).toBe(0);
      expect(opened?.buffer.byteLength).toBe(size);
    }
  });
});

it('the node provider seals in place', () => {
  const node = PROVIDERS.find((p) => p.name === 'node');
  expect(node?.provider.aead('aes-128-gcm', new Uint8Array(16)).sealInto).toBeTypeOf('function');
});

it('the native-aead provider seals AES-GCM and ChaCha20-Poly1305 in place and opens them in place', () => {
  const native = PROVIDERS.find((p) => p.name === 'native');
  for (const [algorithm, keyLength] of [['aes-128-gcm', 16], ['aes-256-gcm', 32], ['chacha20-poly1305', 32]] as const) {
    const aead = native?.provider.aead(algorithm, new Uint8Array(keyLength));
    expect(aead?.sealInto, algorithm).toBeTypeOf('function');
    expect(aead?.openInPlace, algorithm).toBeTypeOf('function');
  }
});

it('the sodium provider seals ChaCha20-Poly1305 in place', () => {
  const sodium = PROVIDERS.find((p) => p.name === 'sodium');
  expect(sodium?.provider.aead('chacha20-poly1305', new Uint8Array(32)).sealInto).toBeTypeOf('function');
});
