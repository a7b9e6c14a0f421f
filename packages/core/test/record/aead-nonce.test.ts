import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { aeadAdditionalData, explicitAeadNonce, explicitNonceFor, xorAeadNonce } from '../../src/record/aead-nonce.js';
import { MAX_SEQUENCE_NUMBER } from '../../src/record/record-header.js';

describe('AEAD nonce and additional data', () => {
  it('uses epoch || sequence_number as the 8-byte explicit nonce', () => {
    expect(toHex(explicitNonceFor(0x0102, 0x030405060708))).toBe('0102030405060708');
    expect(toHex(explicitNonceFor(0xffff, MAX_SEQUENCE_NUMBER))).toBe('ffffffffffffffff');
  });

  it('builds the AES-GCM/CCM nonce as salt || explicit nonce (RFC 5288 3, RFC 6655 3)', () => {
    expect(toHex(explicitAeadNonce(fromHex('a1a2a3a4'), fromHex('0102030405060708')))).toBe('a1a2a3a40102030405060708');
  });

  it('builds the ChaCha20-Poly1305 nonce as write_IV XOR (0^32 || epoch || seq) (RFC 7905 2)', () => {
    expect(toHex(xorAeadNonce(fromHex('ffffffffffffffffffffffff'), 0x0102, 0x030405060708))).toBe('fffffffffefdfcfbfaf9f8f7');
    expect(toHex(xorAeadNonce(fromHex('0102030405060708090a0b0c'), 0, 0))).toBe('0102030405060708090a0b0c');
    expect(toHex(xorAeadNonce(fromHex('000000000000000000000000'), 1, 2))).toBe('000000000001000000000002');
  });

  it('lays out additional_data as epoch || seq || type || version || length (RFC 6347 4.1.2.1)', () => {
    expect(toHex(aeadAdditionalData(1, 5, 23, 0xfefd, 0x0123))).toBe('0001' + '000000000005' + '17' + 'fefd' + '0123');
  });
});

describe('AEAD nonce and additional data written into scratch space', () => {
  it('writes the ChaCha20-Poly1305 nonce over whatever a reused buffer held (RFC 7905 2)', () => {
    const out = new Uint8Array(12).fill(0xaa); // the previous record's nonce, say
    expect(xorAeadNonce(fromHex('000000000000000000000000'), 1, 2, out)).toBe(out);
    expect(toHex(out)).toBe('000000000001000000000002');
    expect(xorAeadNonce(fromHex('ffffffffffffffffffffffff'), 0x0102, 0x030405060708, out)).toBe(out);
    expect(toHex(out)).toBe('fffffffffefdfcfbfaf9f8f7');
  });

  it('writes the AES-GCM/CCM nonce and the additional data into the given buffer (RFC 5288 3, RFC 6347 4.1.2.1)', () => {
    const nonce = new Uint8Array(12).fill(0xaa);
    expect(explicitAeadNonce(fromHex('a1a2a3a4'), fromHex('0102030405060708'), nonce)).toBe(nonce);
    expect(toHex(nonce)).toBe('a1a2a3a40102030405060708');
    const scratch = new Uint8Array(64).fill(0xaa);
    const aad = aeadAdditionalData(1, 5, 23, 0xfefd, 0x0123, scratch);
    expect(aad.buffer).toBe(scratch.buffer);
    expect(aad.byteOffset).toBe(scratch.byteOffset);
    expect(toHex(aad)).toBe('0001' + '000000000005' + '17' + 'fefd' + '0123');
  });
});
