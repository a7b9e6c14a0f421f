/**
 * The tls12_cid record format (RFC 9146 4 and 5.3), checked byte by byte against hand-written
 * strings built from the RFC's field definitions (no peer in Debian speaks RFC 9146 for DTLS 1.2,
 * so the RFC's text is the reference).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import { ContentType } from '../../src/record/content-type.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { tls12CidRecordFormat } from '../../src/record/tls12-cid-record-format.js';
import { nodeEpochKeys, nodeOpen, nodeSeal, testBytes } from './node-aead.js';

const KEY = testBytes(16, 1);
const SALT = testBytes(4, 101);
const CID = fromHex('c0ffee');

describe('tls12_cid record format (RFC 9146 4, 5.3)', () => {
  it('builds the additional data of RFC 9146 5.3 byte for byte', () => {
    const format = tls12CidRecordFormat(CID);
    const header = { type: ContentType.tls12_cid, version: 0xfefd, epoch: 1, sequenceNumber: 0x0102_0304_0506, length: 0 };
    const expected =
      'ffffffffffffffff' + // seq_num_placeholder: 8 bytes of 0xff
      '19' + //               tls12_cid (25)
      '03' + //               cid_length
      '19' + //               tls12_cid (25)
      'fefd' + //             DTLSCiphertext.version: DTLS 1.2
      '0001' + //             epoch
      '010203040506' + //     sequence_number (48 bits)
      'c0ffee' + //           cid
      '0123'; //              length_of_DTLSInnerPlaintext
    expect(toHex(format.additionalData(header, 0x0123))).toBe(expected);
  });

  it('seals a record as RFC 9146 4 lays it out: outer type 25, the CID after the sequence number, the real type inside', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(nodeEpochKeys('aes-128-gcm', KEY, SALT), tls12CidRecordFormat(CID));
    writer.setNextWriteSequence(1, 5);
    const record = writer.seal(ContentType.application_data, utf8('hi'));
    const innerLength = 2 + 1; // content || real_type, no padding
    const enc = 8 + innerLength + 16; // explicit nonce || ciphertext || tag (RFC 5288 3)
    const header =
      '19' + //               outer_type = tls12_cid
      'fefd' + //             version
      '0001' + //             epoch
      '000000000005' + //     sequence_number
      'c0ffee' + //           cid[cid_length]
      enc.toString(16).padStart(4, '0'); // length
    expect(toHex(record.subarray(0, 16))).toBe(header);
    expect(record.length).toBe(16 + enc);
    // nonce_explicit = epoch || sequence_number (RFC 5288 3, as we send it).
    expect(toHex(record.subarray(16, 24))).toBe('0001000000000005');
    // Decrypting with the additional data written out from RFC 9146 5.3 yields DTLSInnerPlaintext.
    const aad = fromHex('ffffffffffffffff' + '19' + '03' + '19' + 'fefd' + '0001' + '000000000005' + 'c0ffee' + '0003');
    const nonce = concatBytes(SALT, record.subarray(16, 24));
    const inner = nodeOpen('aes-128-gcm', KEY, nonce, record.subarray(24), aad);
    expect(inner && toHex(inner)).toBe(toHex(utf8('hi')) + '17'); // content || real_type (application_data)
    expect(writer.overhead(1)).toBe(16 + 8 + 16 + 1);
  });

  it('opens a record with the real type hidden and zero padding, built by hand', () => {
    const reader = new RecordLayer();
    reader.setReadKeys(nodeEpochKeys('chacha20-poly1305', testBytes(32, 3), testBytes(12, 7)), tls12CidRecordFormat(CID));
    const plaintext = concatBytes(fromHex('0100'), fromHex('15'), new Uint8Array(7)); // content || real_type=alert || 7 zeros
    const aad = fromHex('ffffffffffffffff' + '19' + '03' + '19' + 'fefd' + '0001' + '000000000009' + 'c0ffee' + '000a');
    // ChaCha20-Poly1305 nonce: write_IV XOR (0^32 || epoch || sequence_number) (RFC 7905 2).
    const iv = testBytes(12, 7);
    const seq = fromHex('00000000' + '0001' + '000000000009');
    const nonce = iv.map((b, i) => b ^ (seq[i] ?? 0));
    const sealed = nodeSeal('chacha20-poly1305', testBytes(32, 3), nonce, plaintext, aad);
    const record = concatBytes(fromHex('19' + 'fefd' + '0001' + '000000000009' + 'c0ffee' + sealed.length.toString(16).padStart(4, '0')), sealed);
    const [r, ...rest] = reader.open(record);
    expect(rest).toEqual([]);
    expect(r?.type).toBe(ContentType.alert);
    expect(r && toHex(r.payload)).toBe('0100');
    expect(r?.sequenceNumber).toBe(9);
  });

  it('drops a record with another CID, all-zero inner plaintext, or an unknown real type', () => {
    const keys = (): ReturnType<typeof nodeEpochKeys> => nodeEpochKeys('aes-128-gcm', KEY, SALT);
    const reader = new RecordLayer();
    reader.setReadKeys(keys(), tls12CidRecordFormat(CID));
    const other = new RecordLayer();
    other.setWriteKeys(keys(), tls12CidRecordFormat(fromHex('c0ffef')));
    expect(reader.open(other.seal(ContentType.application_data, utf8('x')))).toEqual([]);
    expect(reader.stats.dropped).toBe(1);
    expect(reader.stats.badMac).toBe(0);
    // Hand-sealed inner plaintexts that authenticate but are malformed.
    const seal = (plaintext: Uint8Array, seq: number): Uint8Array => {
      const s = seq.toString(16).padStart(12, '0');
      const aad = fromHex('ffffffffffffffff1903' + '19fefd0001' + s + 'c0ffee' + plaintext.length.toString(16).padStart(4, '0'));
      const explicit = fromHex('0001' + s);
      const sealed = nodeSeal('aes-128-gcm', KEY, concatBytes(SALT, explicit), plaintext, aad);
      const body = concatBytes(explicit, sealed);
      return concatBytes(fromHex('19fefd0001' + s + 'c0ffee' + body.length.toString(16).padStart(4, '0')), body);
    };
    expect(reader.open(seal(new Uint8Array(4), 1))).toEqual([]); // zeros only: no real_type
    expect(reader.open(seal(fromHex('aa1900'), 2))).toEqual([]); // real_type tls12_cid
    expect(reader.open(seal(fromHex('aa6300'), 3))).toEqual([]); // real_type 99
    expect(reader.stats.dropped).toBe(4);
    expect(reader.open(seal(fromHex('aa170000'), 4)).map((r) => toHex(r.payload))).toEqual(['aa']);
  });

  it('round-trips any content type, payload and CID of 1..255 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        fc.constantFrom(ContentType.handshake, ContentType.alert, ContentType.application_data),
        fc.uint8Array({ maxLength: 300 }),
        (cid, type, payload) => {
          const writer = new RecordLayer();
          const reader = new RecordLayer();
          writer.setWriteKeys(nodeEpochKeys('aes-128-gcm', KEY, SALT), tls12CidRecordFormat(cid));
          reader.setReadKeys(nodeEpochKeys('aes-128-gcm', KEY, SALT), tls12CidRecordFormat(cid));
          const record = writer.seal(type, payload);
          expect(toHex(record.subarray(11, 11 + cid.length))).toBe(toHex(cid));
          const [r] = reader.open(record);
          expect(r?.type).toBe(type);
          expect(r && toHex(r.payload)).toBe(toHex(payload));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a CID of 0 or more than 255 bytes (a zero-length CID means plain DTLS 1.2 records, RFC 9146 3)', () => {
    expect(() => tls12CidRecordFormat(new Uint8Array(0))).toThrow(RangeError);
    expect(() => tls12CidRecordFormat(new Uint8Array(256))).toThrow(RangeError);
    expect(tls12CidRecordFormat(CID).frames(25)).toBe(true);
    expect(tls12CidRecordFormat(CID).frames(23)).toBe(false);
  });
});
