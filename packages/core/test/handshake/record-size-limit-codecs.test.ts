/**
 * The extension_data of record_size_limit (RFC 8449 4: uint16) and max_fragment_length (RFC 6066
 * 4: one MaxFragmentLength code, 1..4 for 2^9..2^12): round trips, and the typed errors of bad bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, DtlsError, IllegalParameterError } from '../../src/errors.js';
import { decodeMaxFragmentLength, encodeMaxFragmentLength, MAX_FRAGMENT_LENGTHS } from '../../src/handshake/extensions/max-fragment-length.js';
import { decodeRecordSizeLimit, encodeRecordSizeLimit } from '../../src/handshake/extensions/record-size-limit.js';

describe('record_size_limit extension_data (RFC 8449 4)', () => {
  it('is a big-endian uint16, and decodes back', () => {
    expect(encodeRecordSizeLimit(16384)).toEqual(Uint8Array.of(0x40, 0x00));
    expect(encodeRecordSizeLimit(64)).toEqual(Uint8Array.of(0x00, 0x40));
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), (n) => decodeRecordSizeLimit(encodeRecordSizeLimit(n)) === n));
  });

  it('anything but two bytes is a DecodeError (decode_error)', () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(0, 64, 0)]) expect(() => decodeRecordSizeLimit(bad)).toThrow(DecodeError);
  });
});

describe('max_fragment_length extension_data (RFC 6066 4)', () => {
  it('512, 1024, 2048, 4096 are the codes 1..4, and decode back', () => {
    expect(MAX_FRAGMENT_LENGTHS.map((l) => encodeMaxFragmentLength(l)[0])).toEqual([1, 2, 3, 4]);
    for (const l of MAX_FRAGMENT_LENGTHS) expect(decodeMaxFragmentLength(encodeMaxFragmentLength(l))).toBe(l);
  });

  it('another code is illegal_parameter ("MUST abort the handshake"); another length a DecodeError', () => {
    for (const code of [0, 5, 255]) {
      expect(() => decodeMaxFragmentLength(Uint8Array.of(code))).toThrow(IllegalParameterError);
    }
    expect(() => decodeMaxFragmentLength(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeMaxFragmentLength(Uint8Array.of(1, 1))).toThrow(DecodeError);
    // Random bytes give only our typed errors.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), (b) => {
        try {
          decodeMaxFragmentLength(b);
          return b.length === 1 && (b[0] ?? 0) >= 1 && (b[0] ?? 0) <= 4;
        } catch (e) {
          return e instanceof DtlsError;
        }
      }),
    );
  });
});
