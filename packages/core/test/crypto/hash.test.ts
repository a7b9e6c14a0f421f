/**
 * Hash and HMAC on both providers. Known answers: FIPS 180-2 Appendix B.1 / D.1 ("abc") and
 * RFC 4231 test cases 2 and 6 (HMAC-SHA-256/384, the latter with a key longer than a block).
 * Then cross-provider agreement on random inputs, and the node provider's own RFC 2104 HMAC
 * against node:crypto's createHmac at its block and scratch-buffer boundaries.
 */
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/bytes.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { HashAlgorithm } from '../../src/crypto/provider.js';
import { PROVIDERS } from './providers.js';

describe.each(PROVIDERS)('hash and HMAC known answers: $name provider', ({ provider }) => {
  it('SHA-256 and SHA-384 of "abc" (FIPS 180-2)', () => {
    expect(toHex(provider.hash('sha256', utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(provider.hash('sha384', utf8('abc')))).toBe(
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    );
  });

  it('RFC 4231 test case 2 (key "Jefe")', () => {
    const data = utf8('what do ya want for nothing?');
    expect(toHex(provider.hmac('sha256', utf8('Jefe'), data))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(toHex(provider.hmac('sha384', utf8('Jefe'), data))).toBe(
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    );
  });

  it('RFC 4231 test case 6 (131-byte key, hashed first)', () => {
    const key = fromHex('aa'.repeat(131));
    const data = utf8('Test Using Larger Than Block-Size Key - Hash Key First');
    expect(toHex(provider.hmac('sha256', key, data))).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
    expect(toHex(provider.hmac('sha384', key, data))).toBe(
      '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952',
    );
  });

  it('randomBytes gives the requested length, and differs between calls', () => {
    expect(provider.randomBytes(0).length).toBe(0);
    const a = provider.randomBytes(32);
    const b = provider.randomBytes(32);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe('hash and HMAC cross-provider agreement', () => {
  const algorithms: readonly HashAlgorithm[] = ['sha256', 'sha384'];
  it.each(algorithms)('%s', (algorithm) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
        expect(toHex(nobleCryptoProvider.hash(algorithm, data))).toBe(toHex(nodeCryptoProvider.hash(algorithm, data)));
        expect(toHex(nobleCryptoProvider.hmac(algorithm, key, data))).toBe(toHex(nodeCryptoProvider.hmac(algorithm, key, data)));
      }),
    );
  });
});

describe('node provider hash and HMAC against node:crypto streams', () => {
  const algorithms: readonly HashAlgorithm[] = ['sha256', 'sha384'];
  /** Around both block sizes (64, 128) and the hashed-key case. */
  const keyLengths = [0, 1, 32, 63, 64, 65, 127, 128, 129, 300];
  /** Around the 1,024-byte message scratch, and far above it. */
  const messageLengths = [0, 1, 1023, 1024, 1025, 70_000];
  const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

  it.each(algorithms)('%s: HMAC for key and message lengths at every boundary', (algorithm) => {
    for (const kl of keyLengths) {
      for (const ml of messageLengths) {
        const key = bytes(kl, 7);
        const data = bytes(ml, 11);
        const expected = createHmac(algorithm, key).update(data).digest('hex');
        expect(toHex(nodeCryptoProvider.hmac(algorithm, key, data)), `key ${kl}, message ${ml}`).toBe(expected);
      }
    }
  });

  it.each(algorithms)('%s: hash of long and empty inputs', (algorithm) => {
    for (const ml of messageLengths) {
      const data = bytes(ml, 3);
      expect(toHex(nodeCryptoProvider.hash(algorithm, data))).toBe(createHash(algorithm).update(data).digest('hex'));
    }
  });

  it('each output is a plain Uint8Array of its own: later calls and input changes leave it alone', () => {
    const key = bytes(48, 1);
    const data = bytes(100, 2);
    const first = nodeCryptoProvider.hmac('sha256', key, data);
    const firstHex = toHex(first);
    const hashed = nodeCryptoProvider.hash('sha384', data);
    const hashedHex = toHex(hashed);
    nodeCryptoProvider.hmac('sha256', bytes(48, 9), bytes(900, 4));
    nodeCryptoProvider.hmac('sha384', bytes(200, 9), bytes(2000, 4));
    nodeCryptoProvider.hash('sha384', bytes(10, 5));
    key.fill(0);
    data.fill(0);
    expect(toHex(first)).toBe(firstHex);
    expect(toHex(hashed)).toBe(hashedHex);
    expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(32);
  });
});

describe('node provider randomBytes', () => {
  it('short requests across several pool refills: each its own buffer, none handed out twice or wiped', () => {
    const seen = new Set<string>();
    // 3,000 x 33 bytes: ~24 refills of a 4 KiB pool, with requests straddling every boundary.
    for (let i = 0; i < 3000; i++) {
      const r = nodeCryptoProvider.randomBytes(33);
      expect(r.length).toBe(33);
      expect(Object.getPrototypeOf(r)).toBe(Uint8Array.prototype);
      expect(r.buffer.byteLength).toBe(33);
      // 33 zero bytes by chance: 2^-264. A wiped pool region handed out would look like this.
      expect(r.some((b) => b !== 0)).toBe(true);
      seen.add(toHex(r));
    }
    expect(seen.size).toBe(3000);
  });

  it('every length from 0 to 70 and long ones; bad lengths are RangeErrors', () => {
    for (let n = 0; n <= 70; n++) expect(nodeCryptoProvider.randomBytes(n).length).toBe(n);
    const long = nodeCryptoProvider.randomBytes(5000);
    expect(long.length).toBe(5000);
    expect(new Set(long).size).toBeGreaterThan(200);
    expect(() => nodeCryptoProvider.randomBytes(-1)).toThrow(RangeError);
    expect(() => nodeCryptoProvider.randomBytes(1.5)).toThrow(RangeError);
  });
});
