/**
 * The TLS 1.2 PRF on both providers. Known answers: the P_SHA256 (100 bytes) and P_SHA384
 * (148 bytes) vectors posted to the IETF TLS list
 * (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), also used by GnuTLS' tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { prf } from '../../src/crypto/prf.js';
import { referencePrf } from './independent-prf.js';
import { PROVIDERS } from './providers.js';

describe.each(PROVIDERS)('TLS 1.2 PRF: $name provider', ({ provider }) => {
  it('P_SHA256 vector (IETF TLS list)', () => {
    const out = prf(provider, 'sha256', fromHex('9bbe436ba940f017b17652849a71db35'), 'test label', fromHex('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(toHex(out)).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
        '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('P_SHA384 vector (IETF TLS list)', () => {
    const out = prf(provider, 'sha384', fromHex('b80b733d6ceefcdc71566ea48e5567df'), 'test label', fromHex('cd665cf6a8447dd6ff8b27555edb7465'), 148);
    expect(toHex(out)).toBe(
      '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd' +
        '8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6' +
        '91c8f3a26854308d5eaa3be85e0990703d73e56f',
    );
  });

  it('a shorter output is a prefix of a longer one; zero length is empty', () => {
    const secret = fromHex('9bbe436ba940f017b17652849a71db35');
    const seed = fromHex('a0ba9f936cda311827a6f796ffd5198c');
    const long = prf(provider, 'sha256', secret, 'test label', seed, 100);
    for (const n of [0, 1, 12, 31, 32, 33, 64, 65]) expect(prf(provider, 'sha256', secret, 'test label', seed, n)).toEqual(long.subarray(0, n));
  });

  it('matches an independent P_hash on random inputs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('sha256' as const, 'sha384' as const),
        fc.uint8Array({ maxLength: 64 }),
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 200 }),
        (hash, secret, label, seed, length) => {
          const expected = referencePrf(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
          expect(toHex(prf(provider, hash, secret, label, seed, length))).toBe(expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses a non-ASCII label and a negative length', () => {
    expect(() => prf(provider, 'sha256', new Uint8Array(1), 'clé', new Uint8Array(0), 12)).toThrow(TypeError);
    expect(() => prf(provider, 'sha256', new Uint8Array(1), 'x', new Uint8Array(0), -1)).toThrow(RangeError);
  });
});
