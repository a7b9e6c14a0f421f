import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { ContentType, isKnownContentType } from '../../src/record/content-type.js';
import {
  MAX_SEQUENCE_NUMBER,
  RECORD_HEADER_LENGTH,
  decodeRecordHeader,
  encodeRecord,
  encodeRecordHeader,
} from '../../src/record/record-header.js';
import type { RecordHeader } from '../../src/record/record-header.js';

const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  type: fc.integer({ min: 0, max: 0xff }),
  version: fc.integer({ min: 0, max: 0xffff }),
  epoch: fc.integer({ min: 0, max: 0xffff }),
  sequenceNumber: fc.integer({ min: 0, max: MAX_SEQUENCE_NUMBER }),
  length: fc.integer({ min: 0, max: 0xffff }),
});

describe('record header (RFC 6347 4.1)', () => {
  it('lays out type, version, epoch, 48-bit sequence number and length in 13 bytes', () => {
    const record = encodeRecord(
      { type: ContentType.handshake, version: 0xfefd, epoch: 0x0102, sequenceNumber: 0x030405060708 },
      fromHex('aabbcc'),
    );
    expect(toHex(record)).toBe('16' + 'fefd' + '0102' + '030405060708' + '0003' + 'aabbcc');
    expect(RECORD_HEADER_LENGTH).toBe(13);
  });

  it('decodes what it encodes, at any offset', () => {
    fc.assert(
      fc.property(headerArb, fc.nat(20), (header, offset) => {
        const buf = new Uint8Array(offset + RECORD_HEADER_LENGTH);
        encodeRecordHeader(header, buf, offset);
        expect(decodeRecordHeader(buf, offset)).toEqual(header);
      }),
    );
  });

  it('returns undefined for fewer than 13 bytes', () => {
    expect(decodeRecordHeader(new Uint8Array(12))).toBeUndefined();
    expect(decodeRecordHeader(new Uint8Array(20), 8)).toBeUndefined();
    expect(decodeRecordHeader(new Uint8Array(20), -1)).toBeUndefined();
  });

  it('knows the four DTLS 1.2 content types', () => {
    expect([20, 21, 22, 23].every(isKnownContentType)).toBe(true);
    expect([0, 19, 24, 25, 255].some(isKnownContentType)).toBe(false);
  });
});
