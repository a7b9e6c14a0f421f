import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/bytes.js';
import { ContentType } from '../../src/record/content-type.js';
import { firstRecordHeader, firstRecordSequenceNumber, splitRecords } from '../../src/record/datagram.js';
import { MAX_CIPHERTEXT_LENGTH, encodeRecord } from '../../src/record/record-header.js';

const rec = (seq: number, fragment: Uint8Array, epoch = 0): Uint8Array =>
  encodeRecord({ type: ContentType.handshake, version: 0xfefd, epoch, sequenceNumber: seq }, fragment);

describe('splitRecords (RFC 6347 4.1.1)', () => {
  it('returns every record of a datagram, in order, as views', () => {
    const d = concatBytes(rec(1, fromHex('01')), rec(2, new Uint8Array(0)), rec(3, fromHex('030303'), 1));
    const records = splitRecords(d);
    expect(records.map((r) => r.header.sequenceNumber)).toEqual([1, 2, 3]);
    expect(records.map((r) => toHex(r.fragment))).toEqual(['01', '', '030303']);
    expect(records[2]?.header.epoch).toBe(1);
    expect(records[0]?.fragment.buffer).toBe(d.buffer);
  });

  it('drops a truncated record and everything after it (RFC 6347 4.1.2.7)', () => {
    const good = rec(1, fromHex('0101'));
    const truncated = rec(2, fromHex('020202')).subarray(0, 15);
    expect(splitRecords(concatBytes(good, truncated)).length).toBe(1);
    expect(splitRecords(concatBytes(good, fromHex('16fefd'))).length).toBe(1);
    expect(splitRecords(truncated)).toEqual([]);
    expect(splitRecords(new Uint8Array(0))).toEqual([]);
  });

  it('drops a record longer than 2^14 + 2048 (RFC 5246 6.2.3)', () => {
    const big = rec(1, new Uint8Array(MAX_CIPHERTEXT_LENGTH + 1));
    expect(splitRecords(concatBytes(big, rec(2, fromHex('00'))))).toEqual([]);
    expect(splitRecords(rec(1, new Uint8Array(MAX_CIPHERTEXT_LENGTH))).length).toBe(1);
  });

  it('never throws on random bytes, and every record it returns lies inside the datagram', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (d) => {
        let total = 0;
        for (const r of splitRecords(d)) total += 13 + r.fragment.length;
        expect(total).toBeLessThanOrEqual(d.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the sequence number of the first record for a stateless server (RFC 6347 4.2.1)', () => {
    const d = concatBytes(rec(0x0000_0102_0304, fromHex('aa')), rec(9, fromHex('bb')));
    expect(firstRecordSequenceNumber(d)).toBe(0x0000_0102_0304);
    expect(firstRecordHeader(d)?.length).toBe(1);
    expect(firstRecordSequenceNumber(d.subarray(0, 13))).toBeUndefined();
    expect(firstRecordSequenceNumber(fromHex('16fefd'))).toBeUndefined();
  });
});
