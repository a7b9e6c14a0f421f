/**
 * The DTLS 1.3 unified header (RFC 9147 4, figure 3) and first-byte demultiplexing (RFC 9147 4.1),
 * checked against bytes written out by hand from the figure, and against the header wolfSSL 5.5.4
 * writes (Dtls13RlAddCiphertextHeader: fixed bits, epoch bits, S and L set), which the wolfSSL
 * interop test (test/interop/wolfssl13-records.test.ts) frames from a live session.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/bytes.js';
import { dtls13RecordKind } from '../../src/record/dtls13-demultiplex.js';
import { encodeUnifiedHeader, frameUnifiedRecord, unifiedHeaderLength } from '../../src/record/unified-header.js';
import type { UnifiedHeader } from '../../src/record/unified-header.js';

function header(h: UnifiedHeader, recordLength: number): Uint8Array {
  const out = new Uint8Array(unifiedHeaderLength(h.connectionId.length, h.sequenceNumberLength, h.lengthPresent));
  expect(encodeUnifiedHeader(h, recordLength, out, 0)).toBe(out.length);
  return out;
}

describe('unified header (RFC 9147 4)', () => {
  it('writes 0b001CSLEE, the CID, the sequence number and the length, as figure 3 draws them', () => {
    // The full variant: C S L set, epoch 3 -> 0b0011_1111; CID c0ffee; seq 0x1234; length 0x0014.
    expect(toHex(header({ epochBits: 3, connectionId: fromHex('c0ffee'), sequenceNumberLength: 2, sequenceNumberBits: 0x1234, lengthPresent: true }, 20))).toBe(
      '3f' + 'c0ffee' + '1234' + '0014',
    );
    // The minimal variant of figure 4: 0b0010_00EE, 8-bit sequence number, no length: 2 bytes.
    expect(toHex(header({ epochBits: 2, connectionId: new Uint8Array(0), sequenceNumberLength: 1, sequenceNumberBits: 0x42, lengthPresent: false }, 20))).toBe('2242');
    // wolfSSL's: S and L set, no CID, epoch 2 -> 0x2e.
    expect(toHex(header({ epochBits: 2, connectionId: new Uint8Array(0), sequenceNumberLength: 2, sequenceNumberBits: 0, lengthPresent: true }, 0x3d))).toBe('2e0000003d');
  });

  it('refuses fields that do not fit', () => {
    const base: UnifiedHeader = { epochBits: 0, connectionId: new Uint8Array(0), sequenceNumberLength: 1, sequenceNumberBits: 0, lengthPresent: true };
    const out = new Uint8Array(16);
    expect(() => encodeUnifiedHeader({ ...base, epochBits: 4 }, 1, out, 0)).toThrow(RangeError);
    expect(() => encodeUnifiedHeader({ ...base, sequenceNumberBits: 256 }, 1, out, 0)).toThrow(RangeError);
    expect(() => encodeUnifiedHeader(base, 0x10000, out, 0)).toThrow(RangeError);
  });

  it('frames several records in a datagram, the last one without a length running to its end', () => {
    const first = concatBytes(fromHex('2e0001' + '0005'), fromHex('aabbccddee'));
    const second = concatBytes(fromHex('2f07'), fromHex('0102030405060708'));
    const datagram = concatBytes(first, second);
    const a = frameUnifiedRecord(datagram, 0, 0);
    expect(a?.header).toEqual({ epochBits: 2, connectionId: new Uint8Array(0), sequenceNumberLength: 2, sequenceNumberBits: 1, lengthPresent: true });
    expect(toHex(a?.encryptedRecord ?? new Uint8Array(0))).toBe('aabbccddee');
    expect(toHex(a?.headerBytes ?? new Uint8Array(0))).toBe('2e00010005');
    // 0x2f = 0b0010_1111 claims a 16-bit sequence number (0x0701) and a length (0x0203) that overruns.
    expect(frameUnifiedRecord(datagram, a?.end ?? -1, 0)).toBeUndefined();
    const minimal = concatBytes(first, fromHex('2307'), fromHex('0102030405060708'));
    const c = frameUnifiedRecord(minimal, first.length, 0);
    expect(c?.header).toMatchObject({ epochBits: 3, sequenceNumberLength: 1, sequenceNumberBits: 7, lengthPresent: false });
    expect(toHex(c?.encryptedRecord ?? new Uint8Array(0))).toBe('0102030405060708');
    expect(c?.end).toBe(minimal.length);
  });

  it('gives the records without a CID one shared empty CID, not an ArrayBuffer each (issue 15: no allocation per record)', () => {
    const one = frameUnifiedRecord(fromHex('2e0001' + '0005' + 'aabbccddee'), 0, 0);
    const two = frameUnifiedRecord(fromHex('2e0002' + '0005' + 'aabbccddee'), 0, 0);
    expect(one?.header.connectionId.length).toBe(0);
    expect(one?.header.connectionId).toBe(two?.header.connectionId);
    // A CID is the record's own copy: the datagram's memory may be reused.
    const datagram = fromHex('3e' + 'abcd' + '0102' + '0003' + '112233');
    const cid = frameUnifiedRecord(datagram, 0, 2)?.header.connectionId;
    datagram.fill(0);
    expect(toHex(cid ?? new Uint8Array(0))).toBe('abcd');
  });

  it('reads the CID with the length the receiver chose, and rejects a CID it never asked for (RFC 9147 9)', () => {
    const withCid = fromHex('3e' + 'abcd' + '0102' + '0003' + '112233');
    expect(toHex(frameUnifiedRecord(withCid, 0, 2)?.header.connectionId ?? new Uint8Array(0))).toBe('abcd');
    expect(frameUnifiedRecord(withCid, 0, 0)).toBeUndefined();
    // Read with a 3-byte CID, the length field lands elsewhere (0x0311) and overruns: not framed.
    expect(frameUnifiedRecord(withCid, 0, 3)).toBeUndefined();
  });

  it('rejects truncated headers, overlong records and records longer than 2^14 + 256 (RFC 8446 5.2)', () => {
    expect(frameUnifiedRecord(fromHex('2e00'), 0, 0)).toBeUndefined();
    expect(frameUnifiedRecord(fromHex('2e000000ff00'), 0, 0)).toBeUndefined();
    const big = new Uint8Array(5 + 2 ** 14 + 257);
    big.set(fromHex('2e0000'), 0);
    big[3] = (2 ** 14 + 257) >>> 8;
    big[4] = (2 ** 14 + 257) & 0xff;
    expect(frameUnifiedRecord(big, 0, 0)).toBeUndefined();
    big[4] = (2 ** 14 + 256) & 0xff;
    expect(frameUnifiedRecord(big.subarray(0, big.length - 1), 0, 0)?.encryptedRecord.length).toBe(2 ** 14 + 256);
    // Without L, the rest of the datagram is the record: the same bound.
    const noLength = new Uint8Array(3 + 2 ** 14 + 257);
    noLength[0] = 0x2a;
    expect(frameUnifiedRecord(noLength, 0, 0)).toBeUndefined();
  });

  it('round-trips any header (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ minLength: 0, maxLength: 20 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        (epochBits, connectionId, long, seq, lengthPresent, body) => {
          const h: UnifiedHeader = { epochBits, connectionId, sequenceNumberLength: long ? 2 : 1, sequenceNumberBits: long ? seq : seq & 0xff, lengthPresent };
          const datagram = concatBytes(header(h, body.length), body);
          const framed = frameUnifiedRecord(datagram, 0, connectionId.length);
          if (connectionId.length === 0) expect(framed?.header.connectionId.length).toBe(0);
          expect(framed?.header).toEqual(h);
          expect(framed?.encryptedRecord).toEqual(body);
          expect(framed?.end).toBe(datagram.length);
        },
      ),
    );
  });

  it('never throws on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 4 }), (bytes, offset, cid) => {
        const f = frameUnifiedRecord(bytes, offset, cid);
        if (f !== undefined) expect(f.end).toBeLessThanOrEqual(bytes.length);
      }),
    );
  });
});

describe('demultiplexing by the first byte (RFC 9147 4.1, figure 5)', () => {
  it('plaintext for alert, handshake and ack; ciphertext for 001xxxxx; DTLS 1.2 for 20, 23, 24, 25; else invalid', () => {
    const kinds = new Map<string, number[]>();
    for (let b = 0; b < 256; b++) {
      const k = dtls13RecordKind(b);
      kinds.set(k, [...(kinds.get(k) ?? []), b]);
    }
    expect(kinds.get('plaintext')).toEqual([21, 22, 26]);
    expect(kinds.get('ciphertext')).toEqual(Array.from({ length: 32 }, (_, i) => 32 + i));
    expect(kinds.get('dtls12')).toEqual([20, 23, 24, 25]);
    expect(kinds.get('invalid')?.length).toBe(256 - 3 - 32 - 4);
  });
});
