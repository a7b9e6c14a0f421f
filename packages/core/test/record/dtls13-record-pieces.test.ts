/**
 * The pure pieces of the DTLS 1.3 record layer, against the RFC text: sequence number and epoch
 * reconstruction (RFC 9147 4.2.2), the per-record nonce (RFC 8446 5.3), DTLSInnerPlaintext (RFC
 * 8446 5.2/5.4), the AEAD limits of RFC 9147 4.5.3 and the ACK body (RFC 9147 7).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { fromHex, toHex } from '../../src/bytes.js';
import { DtlsError } from '../../src/errors.js';
import { MAX_ACK_RECORD_NUMBERS, decodeAck, encodeAck } from '../../src/record/ack.js';
import { DTLS13_AEAD_LIMITS, KeyUsage } from '../../src/record/dtls13-aead-limits.js';
import { dtls13Nonce } from '../../src/record/dtls13-nonce.js';
import { encodeInnerPlaintext, openInnerPlaintext } from '../../src/record/inner-plaintext.js';
import { reconstructEpoch, reconstructSequenceNumber } from '../../src/record/record-number-reconstruction.js';

function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DtlsError) return e.alert;
    throw e;
  }
  return undefined;
}

describe('sequence number reconstruction (RFC 9147 4.2.2)', () => {
  it('picks the value closest to one plus the highest deprotected', () => {
    expect(reconstructSequenceNumber(0, 0, 1)).toBe(0);
    expect(reconstructSequenceNumber(0, 5, 1)).toBe(5);
    expect(reconstructSequenceNumber(0x100, 0x00, 1)).toBe(0x100);
    expect(reconstructSequenceNumber(0x100, 0xff, 1)).toBe(0xff); // one behind, not 0x1ff
    expect(reconstructSequenceNumber(0x1fe, 0x02, 1)).toBe(0x202); // wrapped forward
    expect(reconstructSequenceNumber(0x12_0005, 0xfffe, 2)).toBe(0x11_fffe);
    expect(reconstructSequenceNumber(0x12_fff0, 0x0010, 2)).toBe(0x13_0010);
    // Past 2^32: arithmetic, not 32-bit operators.
    expect(reconstructSequenceNumber(0x1_0000_0000 + 0x80, 0x7f, 1)).toBe(0x1_0000_007f);
    expect(reconstructSequenceNumber(2 ** 48 - 2, 0xff, 1)).toBe(2 ** 48 - 1);
  });

  it('recovers any sequence number within half a window of the expected one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: -127, max: 128 }), fc.boolean(), (expected, delta, long) => {
        const win = long ? 0x10000 : 0x100;
        const d = long ? delta * 256 : delta;
        const actual = expected + d;
        fc.pre(actual >= 0 && Math.abs(d) < win / 2);
        expect(reconstructSequenceNumber(expected, actual % win, long ? 2 : 1)).toBe(actual);
      }),
    );
  });
});

describe('epoch reconstruction (RFC 9147 4.2.2, 6.1)', () => {
  it('the current epoch when its bits match, else the most recent past epoch, else the next one held', () => {
    expect(reconstructEpoch(2, 2, [0, 2])).toBe(2);
    expect(reconstructEpoch(3, 2, [0, 2, 3])).toBe(3); // handshake: application keys already held
    expect(reconstructEpoch(2, 3, [2, 3])).toBe(2); // a late handshake record
    expect(reconstructEpoch(0, 4, [3, 4])).toBe(4);
    expect(reconstructEpoch(3, 7, [3, 6, 7])).toBe(7);
    expect(reconstructEpoch(2, 7, [2, 6, 7])).toBe(6); // the most recent past epoch with the bits
    expect(reconstructEpoch(1, 3, [2, 3])).toBeUndefined();
    expect(reconstructEpoch(0, 3, [2, 3])).toBeUndefined(); // epoch 4's keys do not exist yet
  });
});

describe('per-record nonce (RFC 8446 5.3)', () => {
  it('XORs the 64-bit sequence number, left-padded to iv_length, into the IV; the epoch takes no part', () => {
    const iv = fromHex('000102030405060708090a0b');
    expect(toHex(dtls13Nonce(iv, 0))).toBe('000102030405060708090a0b');
    expect(toHex(dtls13Nonce(iv, 1))).toBe('000102030405060708090a0a');
    // IV bytes 4..11 (04..0b) XOR 00 00 01 02 03 04 05 06.
    expect(toHex(dtls13Nonce(iv, 0x0102_0304_0506))).toBe('000102030405' + '07050b0d0f0d');
    // RFC 8448 3: the server's first handshake record (seq 0) uses the write IV as it is.
    const rfc8448 = fromHex('5d313eb2671276ee13000b30');
    expect(toHex(dtls13Nonce(rfc8448, 0))).toBe('5d313eb2671276ee13000b30');
  });
});

describe('DTLSInnerPlaintext (RFC 8446 5.2, 5.4)', () => {
  it('is content || type || zeros, and opens back to content and type', () => {
    const inner = encodeInnerPlaintext(23, fromHex('68656c6c6f'), 3);
    expect(toHex(inner)).toBe('68656c6c6f' + '17' + '000000');
    const opened = openInnerPlaintext(inner);
    expect(opened.type).toBe(23);
    expect(toHex(opened.content)).toBe('68656c6c6f');
    expect(openInnerPlaintext(fromHex('16')).content.length).toBe(0);
    // Zeros inside the content stay content: the type is the LAST non-zero byte.
    expect(toHex(openInnerPlaintext(fromHex('00160000170000')).content)).toBe('00160000');
  });

  it('a plaintext of zeros only is an unexpected_message; over 2^14 + 1 bytes a record_overflow', () => {
    expect(alertOf(() => openInnerPlaintext(new Uint8Array(10)))).toBe(AlertDescription.unexpected_message);
    expect(alertOf(() => openInnerPlaintext(new Uint8Array(0)))).toBe(AlertDescription.unexpected_message);
    const big = new Uint8Array(2 ** 14 + 2);
    big[0] = 23;
    expect(alertOf(() => openInnerPlaintext(big))).toBe(AlertDescription.record_overflow);
    expect(() => encodeInnerPlaintext(23, new Uint8Array(2 ** 14), 1)).toThrow(RangeError);
  });
});

describe('AEAD limits (RFC 9147 4.5.3, Appendix B; RFC 8446 5.5)', () => {
  it('holds the numbers of the RFCs', () => {
    expect(DTLS13_AEAD_LIMITS['aes-128-gcm']).toEqual({ confidentiality: 23_726_566, integrity: 2 ** 36 }); // 2^24.5, 2^36
    expect(DTLS13_AEAD_LIMITS['aes-256-gcm']).toEqual({ confidentiality: 23_726_566, integrity: 2 ** 36 });
    expect(DTLS13_AEAD_LIMITS['chacha20-poly1305']).toEqual({ confidentiality: 2 ** 48, integrity: 2 ** 36 });
    expect(DTLS13_AEAD_LIMITS['aes-128-ccm']).toEqual({ confidentiality: 2 ** 23, integrity: 11_863_283 }); // 2^23.5
    expect(DTLS13_AEAD_LIMITS['aes-128-ccm-8']).toEqual({ confidentiality: 2 ** 23, integrity: 2 ** 7 });
  });

  it('says "update" before the limit and "exhausted" at it', () => {
    const u = new KeyUsage(8, 0.75);
    const states = Array.from({ length: 9 }, () => u.add());
    expect(states).toEqual(['fresh', 'fresh', 'fresh', 'fresh', 'fresh', 'update', 'update', 'exhausted', 'exhausted']);
    expect(u.count).toBe(9);
    expect(() => new KeyUsage(0)).toThrow(RangeError);
    expect(() => new KeyUsage(10, 0)).toThrow(RangeError);
  });
});

describe('ACK (RFC 9147 7)', () => {
  it('encodes record_numbers<0..2^16-1> of uint64 epoch, uint64 sequence_number', () => {
    const body = encodeAck([
      { epoch: 2, sequenceNumber: 0 },
      { epoch: 3, sequenceNumber: 0x0102_0304_0506 },
    ]);
    expect(toHex(body)).toBe('0020' + '0000000000000002' + '0000000000000000' + '0000000000000003' + '0000010203040506');
    expect(decodeAck(body)).toEqual([
      { epoch: 2, sequenceNumber: 0 },
      { epoch: 3, sequenceNumber: 0x0102_0304_0506 },
    ]);
    expect(decodeAck(fromHex('0000'))).toEqual([]);
  });

  it('rejects malformed bodies with decode_error and unreachable numbers with illegal_parameter', () => {
    expect(alertOf(() => decodeAck(fromHex('00')))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => decodeAck(fromHex('0010' + '00'.repeat(15))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => decodeAck(fromHex('000f' + '00'.repeat(15))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => decodeAck(fromHex('0010' + '00'.repeat(17))))).toBe(AlertDescription.decode_error);
    expect(alertOf(() => decodeAck(fromHex('0010' + 'ff'.repeat(16))))).toBe(AlertDescription.illegal_parameter);
    const three = encodeAck([1, 2, 3].map((n) => ({ epoch: 3, sequenceNumber: n })));
    expect(alertOf(() => decodeAck(three, 2))).toBe(AlertDescription.decode_error);
    expect(() => encodeAck(Array.from({ length: MAX_ACK_RECORD_NUMBERS + 1 }, () => ({ epoch: 0, sequenceNumber: 0 })))).toThrow(RangeError);
  });

  it('round-trips, and random bytes give only typed errors (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ epoch: fc.integer({ min: 0, max: 2 ** 53 - 1 }), sequenceNumber: fc.integer({ min: 0, max: 2 ** 48 - 1 }) }), { maxLength: 50 }), (rs) => {
        expect(decodeAck(encodeAck(rs))).toEqual(rs);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          decodeAck(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DtlsError);
        }
      }),
    );
  });
});
