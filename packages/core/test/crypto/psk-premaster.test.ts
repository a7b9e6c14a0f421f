/**
 * PSK premaster secrets: layout of RFC 4279 2 (plain PSK, other_secret = N zero bytes) and
 * RFC 5489 2 (ECDHE_PSK, other_secret = the ECDH shared secret).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { pskPremasterSecret } from '../../src/crypto/psk-premaster.js';

describe('PSK premaster secret', () => {
  it('RFC 4279 2: uint16 N || N zero bytes || uint16 N || psk', () => {
    expect(toHex(pskPremasterSecret(fromHex('010203')))).toBe('0003' + '000000' + '0003' + '010203');
    const psk = new Uint8Array(300).fill(0x5a);
    const pms = pskPremasterSecret(psk);
    expect(pms.length).toBe(2 + 300 + 2 + 300);
    expect(toHex(pms.subarray(0, 2))).toBe('012c');
    expect(pms.subarray(2, 302).every((b) => b === 0)).toBe(true);
    expect(toHex(pms.subarray(302, 304))).toBe('012c');
    expect(pms.subarray(304)).toEqual(psk);
  });

  it('RFC 5489 2: uint16 len || ECDH secret || uint16 len || psk', () => {
    const ecdh = fromHex('aa'.repeat(32));
    expect(toHex(pskPremasterSecret(fromHex('c0ffee'), ecdh))).toBe('0020' + 'aa'.repeat(32) + '0003' + 'c0ffee');
  });

  it('an empty PSK is encoded as such (the caller decides whether to allow it)', () => {
    expect(toHex(pskPremasterSecret(new Uint8Array(0)))).toBe('00000000');
  });

  it('refuses parts longer than 2^16 - 1 bytes', () => {
    expect(() => pskPremasterSecret(new Uint8Array(0x10000))).toThrow(RangeError);
    expect(() => pskPremasterSecret(new Uint8Array(1), new Uint8Array(0x10000))).toThrow(RangeError);
  });
});
