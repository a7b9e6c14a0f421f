import { createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { bytesEqual, concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { AeadAlgorithm, CryptoProvider } from '../../src/crypto/provider.js';
import { DtlsError } from '../../src/errors.js';
import { ContentType } from '../../src/record/content-type.js';
import type { EpochKeys } from '../../src/record/epoch-keys.js';
import { MAX_SEQUENCE_NUMBER, encodeRecord } from '../../src/record/record-header.js';
import { DTLS12_RECORD_FORMAT, dtls12RecordFormat } from '../../src/record/dtls12-record-format.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { keyLengthOf, nodeEpochKeys, nodeSeal, tagLengthOf, testBytes } from './node-aead.js';

const ALGORITHMS: readonly AeadAlgorithm[] = ['aes-128-gcm', 'aes-256-gcm', 'aes-128-ccm', 'aes-128-ccm-8', 'chacha20-poly1305'];

interface Material {
  key: Uint8Array;
  iv: Uint8Array;
  keys: EpochKeys;
}

function material(algorithm: AeadAlgorithm, seed = 1): Material {
  const key = testBytes(keyLengthOf(algorithm), seed);
  const iv = testBytes(algorithm === 'chacha20-poly1305' ? 12 : 4, seed + 100);
  return { key, iv, keys: nodeEpochKeys(algorithm, key, iv) };
}

/** A writer in epoch 1 and a reader in epoch 1 sharing keys (one direction of a connection). */
function pair(algorithm: AeadAlgorithm = 'aes-128-gcm', readerOptions = {}): { writer: RecordLayer; reader: RecordLayer } {
  const m = material(algorithm);
  const writer = new RecordLayer();
  const reader = new RecordLayer(readerOptions);
  writer.setWriteKeys(m.keys);
  reader.setReadKeys(m.keys);
  return { writer, reader };
}

function expectInternalError(f: () => unknown): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DtlsError);
  if (caught instanceof DtlsError) expect(caught.alert).toBe(AlertDescription.internal_error);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Decryption straight from node:crypto, so the test does not lean on the Aead under test. */
function decryptByHand(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Buffer {
  const plaintextLength = ciphertext.length;
  switch (algorithm) {
    case 'aes-128-gcm':
    case 'aes-256-gcm': {
      const d = createDecipheriv(algorithm, key, nonce);
      d.setAAD(aad);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
    case 'aes-128-ccm':
    case 'aes-128-ccm-8': {
      const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: tag.length });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength });
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
    case 'chacha20-poly1305': {
      const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      d.setAAD(aad, { plaintextLength });
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
  }
}

describe('RecordLayer: AEAD records match the RFC constructions', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: a sealed record decrypts by hand with node:crypto`, () => {
      const { key, iv, keys } = material(algorithm);
      const writer = new RecordLayer();
      writer.setWriteKeys(keys);
      writer.setNextWriteSequence(1, 0x0102_0304_0506);
      const payload = utf8('hello, DTLS 1.2 record layer');
      const record = Buffer.from(writer.seal(ContentType.application_data, payload));

      // RFC 6347 4.1 header.
      expect(record[0]).toBe(23);
      expect(record.readUInt16BE(1)).toBe(0xfefd);
      expect(record.readUInt16BE(3)).toBe(1);
      expect(record.readUIntBE(5, 6)).toBe(0x0102_0304_0506);
      expect(record.readUInt16BE(11)).toBe(record.length - 13);
      const body = record.subarray(13);
      const tagLength = tagLengthOf(algorithm);

      let nonce: Buffer;
      let sealed: Buffer;
      if (algorithm === 'chacha20-poly1305') {
        // RFC 7905 2: the 64-bit epoch||seq, padded left with 4 zero bytes, XOR the 12-byte IV.
        const padded = Buffer.concat([Buffer.alloc(4), record.subarray(3, 11)]);
        nonce = Buffer.from(padded.map((b, i) => b ^ (iv[i] ?? 0)));
        sealed = body;
        expect(record.length).toBe(13 + payload.length + tagLength);
      } else {
        // RFC 5288 3 / RFC 6655 3: salt(4) || explicit(8), the explicit part sent first; ours is epoch||seq.
        const explicit = body.subarray(0, 8);
        expect(toHex(explicit)).toBe('0001' + '010203040506');
        nonce = Buffer.concat([iv, explicit]);
        sealed = body.subarray(8);
        expect(record.length).toBe(13 + 8 + payload.length + tagLength);
      }
      // RFC 6347 4.1.2.1: epoch || seq || type || version || plaintext length.
      const aad = Buffer.concat([record.subarray(3, 11), Buffer.from([23, 0xfe, 0xfd]), u16(payload.length)]);
      const ciphertext = sealed.subarray(0, sealed.length - tagLength);
      const tag = sealed.subarray(sealed.length - tagLength);
      expect(toHex(decryptByHand(algorithm, key, nonce, ciphertext, tag, aad))).toBe(toHex(payload));
    });

    it(`${algorithm}: a record built by hand with node:crypto opens`, () => {
      const { key, iv, keys } = material(algorithm, 7);
      const reader = new RecordLayer();
      reader.setReadKeys(keys);
      const payload = utf8('built by hand');
      const epoch = fromHex('0001');
      const seq = fromHex('00000000002a');
      const aad = concatBytes(epoch, seq, fromHex('17fefd'), u16(payload.length));
      let fragment: Uint8Array;
      if (algorithm === 'chacha20-poly1305') {
        const padded = concatBytes(new Uint8Array(4), epoch, seq);
        const nonce = padded.map((b, i) => b ^ (iv[i] ?? 0));
        fragment = nodeSeal(algorithm, key, nonce, payload, aad);
      } else {
        // The peer may pick any unique explicit nonce (RFC 5288 3); we read it from the record.
        const explicit = fromHex('c0ffee0000001234');
        fragment = concatBytes(explicit, nodeSeal(algorithm, key, concatBytes(iv, explicit), payload, aad));
      }
      const record = encodeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 42 }, fragment);
      const out = reader.open(record);
      expect(out.length).toBe(1);
      expect(out[0]?.epoch).toBe(1);
      expect(out[0]?.sequenceNumber).toBe(42);
      expect(toHex(out[0]?.payload ?? new Uint8Array(0))).toBe(toHex(payload));
    });

    it(`${algorithm}: round-trips payloads from 0 to 2^14 bytes`, () => {
      const { writer, reader } = pair(algorithm);
      for (const size of [0, 1, 100, 2 ** 14]) {
        const payload = testBytes(size, size);
        const out = reader.open(writer.seal(ContentType.application_data, payload));
        expect(out.length).toBe(1);
        expect(bytesEqual(out[0]?.payload ?? new Uint8Array(1), payload)).toBe(true);
      }
    });
  }

  it('rejects key material whose IV lengths fit no nonce construction', () => {
    const { keys } = material('aes-128-gcm');
    const layer = new RecordLayer();
    expectInternalError(() => layer.setWriteKeys({ ...keys, recordIvLength: 0 }));
    expectInternalError(() => layer.setReadKeys({ ...keys, fixedIv: new Uint8Array(12) }));
    expect(layer.writeEpoch).toBe(0);
    expect(layer.readEpoch).toBe(0);
  });
});

describe('RecordLayer: datagrams and silent discard (RFC 6347 4.1.1, 4.1.2.7)', () => {
  it('opens several records of one datagram, in order', () => {
    const { writer, reader } = pair('chacha20-poly1305');
    const d = concatBytes(
      writer.seal(ContentType.application_data, utf8('one')),
      writer.seal(ContentType.alert, fromHex('0100')),
      writer.seal(ContentType.application_data, utf8('three')),
    );
    const out = reader.open(d);
    expect(out.map((r) => [r.type, r.sequenceNumber, Buffer.from(r.payload).toString('hex')])).toEqual([
      [23, 0, toHex(utf8('one'))],
      [21, 1, '0100'],
      [23, 2, toHex(utf8('three'))],
    ]);
  });

  it('keeps the good records before a truncated one and counts the rest as dropped', () => {
    const { writer, reader } = pair();
    const a = writer.seal(23, utf8('a'));
    const b = writer.seal(23, utf8('b'));
    const out = reader.open(concatBytes(a, b.subarray(0, b.length - 1)));
    expect(out.map((r) => r.sequenceNumber)).toEqual([0]);
    expect(reader.stats.dropped).toBe(1);
  });

  it('drops a replayed record and counts it', () => {
    const { writer, reader } = pair();
    const d = writer.seal(23, utf8('once'));
    expect(reader.open(d).length).toBe(1);
    expect(reader.open(d)).toEqual([]);
    expect(reader.stats.replayed).toBe(1);
  });

  it('moves the replay window only after authentication', () => {
    const { writer, reader } = pair();
    const genuine = writer.seal(23, utf8('genuine'));
    writer.setNextWriteSequence(1, 1000);
    const forged = Buffer.from(writer.seal(23, utf8('forged')));
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    expect(reader.open(forged)).toEqual([]);
    expect(reader.stats.badMac).toBe(1);
    expect(reader.open(genuine).length).toBe(1); // seq 0 is not "too old" after the forged seq 1000
  });

  it('moves the epoch-0 window only when told the record was used (RFC 6347 4.1.2.6: plaintext has no MAC)', () => {
    const reader = new RecordLayer();
    const plain = (seq: number): Uint8Array => encodeRecord({ type: 22, version: 0xfefd, epoch: 0, sequenceNumber: seq }, fromHex('01'));
    const [spoofed] = reader.open(plain(MAX_SEQUENCE_NUMBER));
    expect(spoofed).toMatchObject({ epoch: 0, sequenceNumber: MAX_SEQUENCE_NUMBER, authenticated: false });
    // Not used, so not seen: the genuine low sequence numbers still pass.
    expect(reader.open(plain(2)).length).toBe(1);
    reader.acceptUnauthenticated(0, 2);
    expect(reader.open(plain(2))).toEqual([]);
    expect(reader.open(plain(3)).length).toBe(1);
    expect(reader.stats.replayed).toBe(1);
    // A record with keys is in the window as soon as it authenticates; the call is then a no-op.
    const { writer, reader: keyed } = pair();
    const sealed = writer.seal(23, utf8('x'));
    expect(keyed.open(sealed)[0]?.authenticated).toBe(true);
    keyed.acceptUnauthenticated(1, 5000);
    expect(keyed.open(writer.seal(23, utf8('y'))).length).toBe(1);
  });

  it('makes a record unreadable when any single byte of it changes', () => {
    for (const algorithm of ALGORITHMS) {
      const { writer, reader } = pair(algorithm);
      const record = writer.seal(ContentType.application_data, utf8('integrity'));
      fc.assert(
        fc.property(fc.nat(record.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
          const bad = record.slice();
          bad[at] = (bad[at] ?? 0) ^ flip;
          // Flips in the header's epoch may land in epoch 0 (plaintext, the previous epoch) — forget it.
          reader.discardPreviousReadEpoch();
          expect(reader.open(bad)).toEqual([]);
        }),
        { numRuns: 200 },
      );
      expect(reader.open(record).length).toBe(1);
    }
  });

  it('never throws and never returns a record from random bytes once keys are set', () => {
    const m1 = material('aes-128-gcm', 1);
    const m2 = material('chacha20-poly1305', 2);
    const reader = new RecordLayer();
    reader.setReadKeys(m1.keys);
    reader.setReadKeys(m2.keys); // epoch 2 current, epoch 1 previous: no plaintext epoch left
    const recordArb = fc
      .record({
        type: fc.oneof(fc.constantFrom(20, 21, 22, 23), fc.integer({ min: 0, max: 255 })),
        version: fc.oneof(fc.constantFrom(0xfefd, 0xfeff), fc.integer({ min: 0, max: 0xffff })),
        epoch: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 0, max: 0xffff })),
        sequenceNumber: fc.oneof(fc.nat(100), fc.integer({ min: 0, max: MAX_SEQUENCE_NUMBER })),
        fragment: fc.uint8Array({ maxLength: 120 }),
      })
      .map(({ fragment, ...header }) => encodeRecord(header, fragment));
    const datagramArb = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(recordArb, { maxLength: 5 }).map((rs) => concatBytes(...rs)),
      fc.tuple(fc.array(recordArb, { maxLength: 3 }), fc.uint8Array({ maxLength: 30 })).map(([rs, tail]) =>
        concatBytes(...rs, tail),
      ),
    );
    fc.assert(
      fc.property(datagramArb, (d) => {
        expect(reader.open(d)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
    expect(reader.heldCount).toBeLessThanOrEqual(32);
    expect(reader.setReadKeys(material('aes-128-ccm', 3).keys)).toEqual([]);
  });

  it('drops unknown versions and content types, and accepts 0xfeff', () => {
    const reader = new RecordLayer();
    const make = (type: number, version: number, seq: number): Uint8Array =>
      encodeRecord({ type, version, epoch: 0, sequenceNumber: seq }, fromHex('01'));
    expect(reader.open(make(22, 0xfeff, 0)).length).toBe(1);
    expect(reader.open(make(22, 0xfefd, 1)).length).toBe(1);
    expect(reader.open(make(22, 0x0303, 2))).toEqual([]);
    expect(reader.open(make(24, 0xfefd, 3))).toEqual([]);
    expect(reader.stats.dropped).toBe(2);
  });

  it("writes each epoch's format's version in the header and the additional data", () => {
    const m = material('aes-128-ccm-8');
    const feff = dtls12RecordFormat(0xfeff);
    // Epoch 0 in the initial format; epoch 1 in the format given with its keys.
    const writer = new RecordLayer({ initialFormat: feff });
    expect(toHex(writer.seal(22, fromHex('00')).subarray(0, 3))).toBe('16feff');
    writer.setWriteKeys(m.keys, feff);
    const reader = new RecordLayer();
    reader.setReadKeys(m.keys);
    const record = writer.seal(22, utf8('first hello'));
    expect(toHex(record.subarray(1, 3))).toBe('feff');
    expect(reader.open(record).length).toBe(1); // the AAD carried 0xfeff too, or it would not authenticate
    // Back to DTLS 1.2's {254, 253} in the next epoch: the version is per epoch, not per layer.
    writer.setWriteKeys(material('aes-128-ccm-8', 2).keys);
    expect(toHex(writer.seal(23, utf8('data')).subarray(0, 5))).toBe('17fefd0002');
    // By default every epoch writes {254, 253} (RFC 6347 4.1).
    expect(toHex(new RecordLayer().seal(22, fromHex('00')).subarray(0, 3))).toBe('16fefd');
    expect(() => dtls12RecordFormat(0x0303)).toThrow(RangeError);
  });

  it('enforces the 2^14 plaintext limit on both sides (RFC 5246 6.2.1)', () => {
    const { writer, reader } = pair();
    expectInternalError(() => writer.seal(23, new Uint8Array(2 ** 14 + 1)));
    expectInternalError(() => new RecordLayer().seal(23, new Uint8Array(2 ** 14 + 1)));

    const plainReader = new RecordLayer();
    expect(plainReader.open(encodeRecord({ type: 22, version: 0xfefd, epoch: 0, sequenceNumber: 0 }, new Uint8Array(2 ** 14 + 1)))).toEqual([]);
    expect(plainReader.stats.dropped).toBe(1);

    // An authentic record with 2^14 + 1 bytes of plaintext, sealed by hand.
    const { key, iv } = material('aes-128-gcm');
    const explicit = fromHex('0001000000000009');
    const big = new Uint8Array(2 ** 14 + 1);
    const aad = concatBytes(explicit, fromHex('17fefd'), u16(big.length));
    const fragment = concatBytes(explicit, nodeSeal('aes-128-gcm', key, concatBytes(iv, explicit), big, aad));
    expect(reader.open(encodeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 9 }, fragment))).toEqual([]);
    expect(reader.stats.dropped).toBe(1);
    // Too short to hold an explicit nonce and a tag.
    expect(reader.open(encodeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 10 }, new Uint8Array(23)))).toEqual([]);
    expect(reader.stats.dropped).toBe(2);
  });
});

describe('RecordLayer: epochs', () => {
  it('holds next-epoch records (copied) and releases them in order when the keys arrive', () => {
    const m = material('aes-256-gcm');
    const writer = new RecordLayer();
    const reader = new RecordLayer();
    const hello = writer.seal(ContentType.handshake, utf8('hello'));
    writer.setWriteKeys(m.keys);
    const finished = writer.seal(ContentType.handshake, utf8('finished'));
    const data = writer.seal(ContentType.application_data, utf8('data'));

    // A ChangeCipherSpec-style flight: an epoch-0 record and an epoch-1 record in one datagram.
    const datagram = concatBytes(hello, finished);
    const first = reader.open(datagram);
    expect(first.map((r) => [r.epoch, r.sequenceNumber])).toEqual([[0, 0]]);
    datagram.fill(0); // the runtime may reuse its buffer
    expect(reader.open(data)).toEqual([]);
    expect(reader.open(data)).toEqual([]); // a duplicate while held
    expect(reader.heldCount).toBe(2);
    expect(reader.stats.held).toBe(2);
    expect(reader.stats.replayed).toBe(1);

    const released = reader.setReadKeys(m.keys);
    expect(reader.readEpoch).toBe(1);
    expect(released.map((r) => [r.epoch, r.sequenceNumber, Buffer.from(r.payload).toString()])).toEqual([
      [1, 0, 'finished'],
      [1, 1, 'data'],
    ]);
    expect(reader.heldCount).toBe(0);
    expect(reader.open(data)).toEqual([]); // replayed after release
  });

  it('drops held records that do not authenticate once the keys arrive', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(material('aes-128-gcm', 1).keys);
    const reader = new RecordLayer();
    expect(reader.open(writer.seal(23, utf8('x')))).toEqual([]);
    expect(reader.setReadKeys(material('aes-128-gcm', 2).keys)).toEqual([]);
    expect(reader.stats.badMac).toBe(1);
  });

  it('caps held records, dropping the oldest', () => {
    const m = material('aes-128-ccm');
    const writer = new RecordLayer();
    writer.setWriteKeys(m.keys);
    const reader = new RecordLayer();
    for (let i = 0; i < 40; i++) expect(reader.open(writer.seal(23, utf8(`r${i}`)))).toEqual([]);
    expect(reader.heldCount).toBe(32);
    expect(reader.stats.dropped).toBe(8);
    const released = reader.setReadKeys(m.keys);
    expect(released.map((r) => r.sequenceNumber)).toEqual(Array.from({ length: 32 }, (_, i) => i + 8));

    const w2 = new RecordLayer();
    w2.setWriteKeys(m.keys);
    const r2 = new RecordLayer({ maxHeldRecords: 3 });
    for (let i = 0; i < 5; i++) r2.open(w2.seal(23, utf8('x')));
    expect(r2.setReadKeys(m.keys).map((r) => r.sequenceNumber)).toEqual([2, 3, 4]);

    const r3 = new RecordLayer({ maxHeldRecords: 0 });
    r3.open(w2.seal(23, utf8('x')));
    expect(r3.heldCount).toBe(0);
    expect(r3.stats.dropped).toBe(1);
  });

  it('caps held records in bytes too, dropping the oldest; a record over the cap is not held', () => {
    const m = material('aes-128-gcm');
    const writer = new RecordLayer();
    writer.setWriteKeys(m.keys);
    const reader = new RecordLayer({ maxHeldBytes: 1000 });
    // 13 + 8 + 300 + 16 = 337 bytes each: two fit in 1000, the third evicts the first.
    for (let i = 0; i < 3; i++) reader.open(writer.seal(23, new Uint8Array(300).fill(i)));
    expect([reader.heldCount, reader.heldBytes, reader.stats.dropped]).toEqual([2, 674, 1]);
    reader.open(writer.seal(23, new Uint8Array(1000)));
    expect([reader.heldCount, reader.heldBytes, reader.stats.dropped]).toEqual([2, 674, 2]);
    expect(reader.setReadKeys(m.keys).map((r) => r.sequenceNumber)).toEqual([1, 2]);
    expect(reader.heldBytes).toBe(0);
    // The default is 4 KiB.
    const byDefault = new RecordLayer();
    for (let i = 0; i < 20; i++) byDefault.open(writer.seal(23, new Uint8Array(1000)));
    expect(byDefault.heldBytes).toBeLessThanOrEqual(4096);
    expect(byDefault.heldCount).toBe(3); // 1037 bytes each
    expect(() => new RecordLayer({ maxHeldBytes: -1 })).toThrow(RangeError);
  });

  it('stopHolding(): drops what is held (counted) and holds nothing more', () => {
    const m = material('chacha20-poly1305');
    const writer = new RecordLayer();
    writer.setWriteKeys(m.keys);
    const reader = new RecordLayer();
    reader.open(writer.seal(23, utf8('early')));
    expect(reader.heldCount).toBe(1);
    reader.stopHolding();
    expect([reader.heldCount, reader.heldBytes, reader.stats.dropped]).toEqual([0, 0, 1]);
    reader.open(writer.seal(23, utf8('later')));
    expect([reader.heldCount, reader.stats.dropped]).toEqual([0, 2]);
    expect(reader.setReadKeys(m.keys)).toEqual([]);
  });

  it('drops records of epochs other than previous, current and next', () => {
    const reader = new RecordLayer();
    const rec = (epoch: number): Uint8Array => encodeRecord({ type: 22, version: 0xfefd, epoch, sequenceNumber: 0 }, fromHex('00'));
    expect(reader.open(rec(2))).toEqual([]);
    expect(reader.open(rec(0xffff))).toEqual([]);
    expect(reader.stats.dropped).toBe(2);
    expect(reader.heldCount).toBe(0);
  });

  it('still returns previous-epoch records, with their epoch and their own replay window', () => {
    const m = material('chacha20-poly1305');
    const writer = new RecordLayer();
    const reader = new RecordLayer();
    const old0 = writer.seal(22, utf8('flight, first try'));
    expect(reader.open(old0).length).toBe(1);
    // A plaintext record enters the window only once the handshake used it (RFC 6347 4.1.2.6).
    expect(reader.open(old0).length).toBe(1);
    reader.acceptUnauthenticated(0, 0);
    writer.setWriteKeys(m.keys);
    reader.setReadKeys(m.keys);
    // The peer retransmits its epoch-0 flight after we moved on.
    const retransmit = writer.seal(22, utf8('flight, again'), 0);
    expect(retransmit[4]).toBe(0);
    const out = reader.open(retransmit);
    expect(out.map((r) => [r.epoch, r.sequenceNumber])).toEqual([[0, 1]]);
    expect(reader.open(old0)).toEqual([]);
    expect(reader.stats.replayed).toBe(1);
    expect(reader.open(writer.seal(23, utf8('new')))[0]?.epoch).toBe(1);

    reader.discardPreviousReadEpoch();
    expect(reader.open(writer.seal(22, utf8('late'), 0))).toEqual([]);
  });

  it('writes in the previous epoch with its own sequence numbers, and in no other', () => {
    const writer = new RecordLayer();
    writer.seal(22, fromHex('00'));
    writer.seal(22, fromHex('00'));
    writer.setWriteKeys(material('aes-128-gcm').keys);
    expect(writer.writeEpoch).toBe(1);
    expect(writer.nextWriteSequence()).toBe(0);
    const again = writer.seal(22, fromHex('00'), 0);
    expect(toHex(again.subarray(3, 11))).toBe('0000000000000002');
    expect(writer.nextWriteSequence(1)).toBe(0);
    expectInternalError(() => writer.seal(22, fromHex('00'), 2));
    writer.setWriteKeys(material('aes-128-gcm', 5).keys);
    expectInternalError(() => writer.seal(22, fromHex('00'), 0));
    writer.discardPreviousWriteEpoch();
    expectInternalError(() => writer.seal(22, fromHex('00'), 1));
  });
});

describe('RecordLayer: sequence numbers (RFC 6347 4.1, 4.2.1)', () => {
  it('answers with a chosen epoch-0 sequence number, which may move either way', () => {
    const server = new RecordLayer();
    server.setNextWriteSequence(0, 7);
    expect(toHex(server.seal(22, fromHex('00')).subarray(3, 11))).toBe('0000000000000007');
    server.setNextWriteSequence(0, 1);
    expect(server.nextWriteSequence(0)).toBe(1);
  });

  it('never moves an epoch with keys backwards (that would reuse a nonce)', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(material('aes-128-gcm').keys);
    writer.seal(23, fromHex('00'));
    expectInternalError(() => writer.setNextWriteSequence(1, 0));
    writer.setNextWriteSequence(1, 1);
    writer.setNextWriteSequence(1, 100);
    expectInternalError(() => writer.setNextWriteSequence(1, -1));
    expectInternalError(() => writer.setNextWriteSequence(1, MAX_SEQUENCE_NUMBER + 1));
    expectInternalError(() => writer.setNextWriteSequence(3, 0));
  });

  it('refuses to wrap past 2^48 - 1', () => {
    for (const keyed of [false, true]) {
      const writer = new RecordLayer();
      if (keyed) writer.setWriteKeys(material('chacha20-poly1305').keys);
      const epoch = writer.writeEpoch;
      writer.setNextWriteSequence(epoch, MAX_SEQUENCE_NUMBER - 1);
      writer.seal(23, fromHex('00'));
      const last = writer.seal(23, fromHex('00'));
      expect(toHex(last.subarray(5, 11))).toBe('ffffffffffff');
      expectInternalError(() => writer.seal(23, fromHex('00')));
      expectInternalError(() => writer.seal(23, fromHex('00')));
    }
  });

  it('reads records with the highest sequence number', () => {
    const { writer, reader } = pair('aes-128-gcm');
    writer.setNextWriteSequence(1, MAX_SEQUENCE_NUMBER);
    const out = reader.open(writer.seal(23, utf8('last')));
    expect(out[0]?.sequenceNumber).toBe(MAX_SEQUENCE_NUMBER);
  });
});

describe('RecordLayer: options', () => {
  it('validates them and starts with zero counters', () => {
    expect(() => new RecordLayer({ replayWindowSize: 0 })).toThrow(RangeError);
    expect(() => new RecordLayer({ maxHeldRecords: -1 })).toThrow(RangeError);
    const layer = new RecordLayer({ replayWindowSize: 1024 });
    expect(layer.stats).toEqual({ dropped: 0, replayed: 0, badMac: 0, held: 0, sealed: 0 });
    expect([layer.readEpoch, layer.writeEpoch]).toEqual([0, 0]);
  });

  it('uses the configured replay window size', () => {
    const { writer, reader } = pair('aes-128-gcm', { replayWindowSize: 1024 });
    const early = writer.seal(23, utf8('early'));
    writer.setNextWriteSequence(1, 1000);
    expect(reader.open(writer.seal(23, utf8('later'))).length).toBe(1);
    expect(reader.open(early).length).toBe(1); // 1000 - 0 < 1024: still inside the window
  });
});

describe('RecordLayer with the crypto providers', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: node:crypto and noble providers interoperate through the record layer`, () => {
      const { key, iv, keys } = material(algorithm);
      const viaProvider = (provider: CryptoProvider): EpochKeys => ({ ...keys, aead: provider.aead(algorithm, key) });
      const directions: [CryptoProvider, CryptoProvider][] = [
        [nodeCryptoProvider, nobleCryptoProvider],
        [nobleCryptoProvider, nodeCryptoProvider],
      ];
      for (const [from, to] of directions) {
        const writer = new RecordLayer();
        const reader = new RecordLayer();
        writer.setWriteKeys(viaProvider(from));
        reader.setReadKeys(viaProvider(to));
        const payloads = [new Uint8Array(0), utf8('x'), testBytes(1500, 3)];
        const out = reader.open(concatBytes(...payloads.map((p) => writer.seal(23, p))));
        expect(out.map((r) => toHex(r.payload))).toEqual(payloads.map(toHex));
        // And the test Aead agrees with both.
        const check = new RecordLayer();
        check.setReadKeys({ ...keys, fixedIv: iv });
        writer.setNextWriteSequence(1, 50);
        expect(check.open(writer.seal(23, utf8('cross-check'))).length).toBe(1);
      }
    });
  }
});

describe('RecordLayer: handing an established DTLS 1.2 layer over', () => {
  /** Both directions in epoch 1: the state exportEstablished() takes. */
  function established(): { layer: RecordLayer; peer: RecordLayer; keys: EpochKeys } {
    const { keys } = material('aes-128-gcm');
    const layer = new RecordLayer();
    const peer = new RecordLayer();
    for (const l of [layer, peer]) {
      l.setWriteKeys(keys);
      l.setReadKeys(keys);
    }
    return { layer, peer, keys };
  }

  it('restores into a new layer: the sequence goes on and the replay window keeps what it saw', () => {
    const { layer, peer, keys } = established();
    const first = layer.seal(ContentType.application_data, utf8('before'));
    expect(peer.open(first).length).toBe(1);
    const seen = peer.seal(ContentType.application_data, utf8('seen'));
    expect(layer.open(seen).length).toBe(1);

    const restored = new RecordLayer();
    restored.restoreEstablished(layer.exportEstablished(), { keys, format: DTLS12_RECORD_FORMAT }, { keys, format: DTLS12_RECORD_FORMAT });
    const next = restored.seal(ContentType.application_data, utf8('after'));
    const read = peer.open(next);
    expect(read.length).toBe(1);
    expect(read[0]?.sequenceNumber).toBe(1);
    // A record the old layer already took is a replay for the new one (RFC 6347 4.1.2.6).
    expect(restored.open(seen).length).toBe(0);
  });

  it('refuses a layer that went to DTLS 1.3, and leaves it as it was', () => {
    const { layer, keys } = established();
    const state = layer.exportEstablished();
    const dtls13 = new RecordLayer();
    dtls13.enterDtls13();
    // A 1.3 layer's 1.2 epoch maps are one frozen pair shared by every 1.3 connection: a restore
    // must never reach them.
    expect(() => dtls13.restoreEstablished(state, { keys, format: DTLS12_RECORD_FORMAT }, { keys, format: DTLS12_RECORD_FORMAT })).toThrow(
      /needs a new record layer/,
    );
    expect(dtls13.readEpoch).toBe(0);
    const other = new RecordLayer();
    other.enterDtls13();
    expect(other.readEpoch).toBe(0);
    // And a layer already keyed is refused the same way.
    expect(() => layer.restoreEstablished(state, { keys, format: DTLS12_RECORD_FORMAT }, { keys, format: DTLS12_RECORD_FORMAT })).toThrow(/needs a new record layer/);
  });
});
