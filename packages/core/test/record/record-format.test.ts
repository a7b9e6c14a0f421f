/**
 * The record format of an epoch (RecordFormat): DTLS 1.2's (RFC 6347 4.1) byte for byte, and a
 * test-only format with a 16-byte header and an inner content type, which proves that nothing on
 * the record path — sealing, splitting a datagram, opening, holding a future epoch's records,
 * the room a flight leaves per record — assumes the 13-byte header.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import { serializeFlight } from '../../src/handshake/common/flight.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords, type RawRecord } from '../../src/record/datagram.js';
import { DTLS12_RECORD_FORMAT } from '../../src/record/dtls12-record-format.js';
import type { InnerRecord, RecordFormat } from '../../src/record/record-format.js';
import { encodeRecord, type RecordHeader } from '../../src/record/record-header.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { nodeEpochKeys, testBytes } from './node-aead.js';

const gcmKeys = (seed: number): ReturnType<typeof nodeEpochKeys> => nodeEpochKeys('aes-128-gcm', testBytes(16, seed), testBytes(4, seed + 100));

/**
 * Not a real protocol: marker 0x7f || type || epoch(2) || sequence_number(6) || length(2) || the
 * 4 bytes 'test'; the AEAD protects payload || content type, under wire type 0x7f.
 */
const MARKER = 0x7f;
const TAG = utf8('test');
const TEST_FORMAT: RecordFormat = {
  name: 'test',
  version: 0xfefd, // its header has no version field (as RFC 9147's unified header)
  headerLength: 16,
  connectionId: TAG,
  innerPlaintextExpansion: 1,
  frames: (b) => b === MARKER,
  frame(d: Uint8Array, at: number): RawRecord | undefined {
    if (d.length - at < 16) return undefined;
    const v = new DataView(d.buffer, d.byteOffset + at);
    const header: RecordHeader = {
      type: v.getUint8(1),
      version: 0xfefd,
      epoch: v.getUint16(2),
      sequenceNumber: v.getUint16(4) * 2 ** 32 + v.getUint32(6),
      length: v.getUint16(10),
    };
    if (at + 16 + header.length > d.length) return undefined;
    return { header, fragment: d.subarray(at + 16, at + 16 + header.length), headerLength: 16, format: TEST_FORMAT };
  },
  accepts: (h) => h.type === MARKER,
  encodeHeader(h: RecordHeader, out: Uint8Array, at: number): void {
    const v = new DataView(out.buffer, out.byteOffset + at);
    v.setUint8(0, MARKER);
    v.setUint8(1, h.type);
    v.setUint16(2, h.epoch);
    v.setUint16(4, Math.floor(h.sequenceNumber / 2 ** 32));
    v.setUint32(6, h.sequenceNumber % 2 ** 32);
    v.setUint16(10, h.length);
    out.set(TAG, at + 12);
  },
  additionalData: (h, n) => concatBytes(TAG, fromHex(h.epoch.toString(16).padStart(4, '0')), Uint8Array.of(h.type, n >> 8, n & 0xff)),
  wireType: () => MARKER,
  innerPlaintext: (type, payload) => concatBytes(payload, Uint8Array.of(type)),
  openInnerPlaintext(_wireType: number, p: Uint8Array): InnerRecord | undefined {
    const type = p[p.length - 1];
    return type === undefined ? undefined : { type, payload: p.subarray(0, p.length - 1) };
  },
};

describe('DTLS12_RECORD_FORMAT (RFC 6347 4.1)', () => {
  it('frames the 13-byte header and builds the RFC 5246 6.2.3.3 additional data', () => {
    const header = { type: ContentType.application_data, version: 0xfefd, epoch: 1, sequenceNumber: 0x0102_0304_0506 };
    const record = encodeRecord(header, fromHex('aabbcc'));
    const raw = DTLS12_RECORD_FORMAT.frame(concatBytes(fromHex('ff'), record), 1);
    expect(raw?.header).toEqual({ ...header, length: 3 });
    expect(raw?.headerLength).toBe(13);
    expect(toHex(raw?.fragment ?? new Uint8Array(0))).toBe('aabbcc');
    expect(DTLS12_RECORD_FORMAT.frame(record.subarray(0, 15), 0)).toBeUndefined();
    // epoch(2) || sequence_number(6) || type(1) || version(2) || length(2) (RFC 6347 4.1.2.1).
    expect(toHex(DTLS12_RECORD_FORMAT.additionalData({ ...header, length: 99 }, 0x0123))).toBe('0001010203040506' + '17' + 'fefd' + '0123');
    const out = new Uint8Array(13);
    DTLS12_RECORD_FORMAT.encodeHeader({ ...header, length: 3 }, out, 0);
    expect(toHex(out)).toBe(toHex(record.subarray(0, 13)));
  });

  it('accepts DTLS 1.2 and 1.0 versions and the four content types only; frames every first byte', () => {
    const h = (type: number, version: number): RecordHeader => ({ type, version, epoch: 0, sequenceNumber: 0, length: 0 });
    expect([20, 21, 22, 23].every((t) => DTLS12_RECORD_FORMAT.accepts(h(t, 0xfefd)))).toBe(true);
    expect(DTLS12_RECORD_FORMAT.accepts(h(22, 0xfeff))).toBe(true);
    expect(DTLS12_RECORD_FORMAT.accepts(h(25, 0xfefd))).toBe(false);
    expect(DTLS12_RECORD_FORMAT.accepts(h(22, 0x0303))).toBe(false);
    expect([0, 25, 0x7f, 0xff].every((b) => DTLS12_RECORD_FORMAT.frames(b))).toBe(true);
  });
});

describe('RecordLayer with a record format other than DTLS 1.2', () => {
  function pair(): { writer: RecordLayer; reader: RecordLayer } {
    const writer = new RecordLayer();
    const reader = new RecordLayer();
    writer.setWriteKeys(gcmKeys(1), TEST_FORMAT);
    reader.setReadKeys(gcmKeys(1), TEST_FORMAT);
    return { writer, reader };
  }

  it('seals in the epoch’s format and opens it back, inner content type included', () => {
    const { writer, reader } = pair();
    const payload = utf8('payload');
    const record = writer.seal(ContentType.application_data, payload);
    // 16-byte header, 8-byte explicit nonce, payload + inner type, 16-byte tag.
    expect(record.length).toBe(16 + 8 + payload.length + 1 + 16);
    expect(record[0]).toBe(MARKER);
    expect(toHex(record.subarray(12, 16))).toBe(toHex(TAG));
    expect(writer.overhead(1)).toBe(16 + 8 + 16 + 1);
    expect(writer.overhead(0)).toBe(13);
    const [r] = reader.open(record);
    expect(r?.type).toBe(ContentType.application_data);
    expect(r && toHex(r.payload)).toBe(toHex(payload));
    expect(r?.authenticated).toBe(true);
    // The additional data is the format's: a reader that builds DTLS 1.2's fails to authenticate.
    const dtls12Reader = new RecordLayer();
    dtls12Reader.setReadKeys(gcmKeys(1));
    expect(dtls12Reader.open(record)).toEqual([]);
  });

  it('splits a datagram that mixes formats, each record by the format that frames it', () => {
    const { writer, reader } = pair();
    const plain = writer.seal(ContentType.handshake, fromHex('0102'), 0);
    const a = writer.seal(ContentType.application_data, fromHex('aa'));
    const b = writer.seal(ContentType.alert, fromHex('0100'));
    const got = reader.open(concatBytes(plain, a, b));
    expect(got.map((r) => [r.epoch, r.type, toHex(r.payload)])).toEqual([
      [0, ContentType.handshake, '0102'],
      [1, ContentType.application_data, 'aa'],
      [1, ContentType.alert, '0100'],
    ]);
    expect(reader.stats.dropped).toBe(0);
    // The records framed by the default (DTLS 1.2) split only: 13-byte headers throughout.
    expect(splitRecords(plain).map((r) => r.headerLength)).toEqual([13]);
  });

  it('drops a record framed in a format its epoch does not use', () => {
    const { reader } = pair();
    const dtls12Writer = new RecordLayer();
    dtls12Writer.setWriteKeys(gcmKeys(1));
    expect(reader.open(dtls12Writer.seal(ContentType.application_data, fromHex('aa')))).toEqual([]);
    expect(reader.stats.dropped).toBe(1);
    expect(reader.stats.badMac).toBe(0);
  });

  it('holds a future epoch’s records counting the format’s header, and releases them with its keys', () => {
    const { writer, reader } = pair();
    writer.setWriteKeys(gcmKeys(2), TEST_FORMAT);
    const early = writer.seal(ContentType.handshake, new Uint8Array(100));
    expect(reader.open(early)).toEqual([]);
    expect([reader.heldCount, reader.heldBytes]).toEqual([1, early.length]);
    expect(reader.heldBytes).toBe(16 + 8 + 101 + 16);
    // The next epoch keeps the current epoch's format unless told otherwise.
    const released = reader.setReadKeys(gcmKeys(2));
    expect(released.map((r) => [r.epoch, r.type, r.payload.length])).toEqual([[2, ContentType.handshake, 100]]);
    expect(reader.heldCount).toBe(0);
  });

  it('drops held records when their epoch opens in another format', () => {
    const { writer, reader } = pair();
    writer.setWriteKeys(gcmKeys(2), TEST_FORMAT);
    reader.open(writer.seal(ContentType.handshake, fromHex('00')));
    expect(reader.heldCount).toBe(1);
    expect(reader.setReadKeys(gcmKeys(2), DTLS12_RECORD_FORMAT)).toEqual([]);
    expect(reader.stats.dropped).toBe(1);
  });

  it('holds the next epoch’s records in the format expected for it (expectReadFormat), framed among epoch-0 records', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(gcmKeys(1), TEST_FORMAT);
    const finished = writer.seal(ContentType.handshake, fromHex('14000000'));
    const retransmit = writer.seal(ContentType.handshake, fromHex('0e'), 0);
    const datagram = concatBytes(finished, retransmit);

    // Not told: the DTLS 1.2 header is read where the 16-byte one is, so nothing of the datagram survives.
    const unaware = new RecordLayer();
    expect(unaware.open(datagram)).toEqual([]);
    expect(unaware.heldCount).toBe(0);

    const reader = new RecordLayer();
    reader.expectReadFormat(TEST_FORMAT);
    expect(reader.open(datagram).map((r) => [r.epoch, toHex(r.payload)])).toEqual([[0, '0e']]);
    expect([reader.heldCount, reader.heldBytes]).toEqual([1, finished.length]);
    // A DTLS 1.2 record of that epoch can never be read in it: dropped, not held.
    const other = new RecordLayer();
    other.setWriteKeys(gcmKeys(1));
    expect(reader.open(other.seal(ContentType.handshake, fromHex('00')))).toEqual([]);
    expect([reader.heldCount, reader.stats.dropped]).toEqual([1, 1]);
    // setReadKeys uses the expected format.
    const released = reader.setReadKeys(gcmKeys(1));
    expect(released.map((r) => [r.epoch, toHex(r.payload)])).toEqual([[1, '14000000']]);
  });

  it('stops framing the next epoch’s format once nothing is held any more', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(gcmKeys(1), TEST_FORMAT);
    const reader = new RecordLayer();
    reader.expectReadFormat(TEST_FORMAT);
    reader.stopHolding();
    expect(reader.open(writer.seal(ContentType.handshake, fromHex('00')))).toEqual([]);
    expect(reader.heldCount).toBe(0);
    expect(reader.stats.dropped).toBe(1);
  });

  it('a flight leaves room for the format’s header: every datagram fits the MTU', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(gcmKeys(1), TEST_FORMAT);
    const mtu = 200;
    const body = testBytes(1000, 7);
    const datagrams = serializeFlight(
      [{ kind: 'handshake', msgType: 11, messageSeq: 3, body, epoch: 1 }],
      { seal: (t, p, e) => writer.seal(t, p, e), recordOverhead: (e) => writer.overhead(e) },
      mtu,
    );
    expect(datagrams.every((d) => d.length <= mtu)).toBe(true);
    // Exactly full records: the room is the MTU less the format's whole overhead, not 13 bytes of header.
    expect(datagrams[0]?.length).toBe(mtu);
    const reader = new RecordLayer();
    reader.setReadKeys(gcmKeys(1), TEST_FORMAT);
    const fragments = datagrams.flatMap((d) => reader.open(d)).flatMap((r) => decodeHandshakeFragments(r.payload));
    expect(toHex(concatBytes(...fragments.map((f) => f.body)))).toBe(toHex(body));
  });
});
