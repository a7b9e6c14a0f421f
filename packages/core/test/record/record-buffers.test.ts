/**
 * What the record layer reuses per record, and what it never reuses (issue 15): sealed records
 * come from shared slabs and are never written again; the AEAD's nonce and additional data (and a
 * tls12_cid inner plaintext) live in scratch space reused for every record and used up within the
 * call; an opened payload is the application's and nothing on the record path writes it later.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, utf8 } from '../../src/bytes.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { loadSodiumCryptoProvider } from '../../src/crypto/sodium-provider.js';
import { loadNativeCryptoProvider } from '../../src/crypto/native-provider.js';
import type { Aead, AeadAlgorithm, CryptoProvider } from '../../src/crypto/provider.js';
import { innerPlaintextScratch } from '../../src/record/aead-scratch.js';
import { ContentType } from '../../src/record/content-type.js';
import type { EpochKeys } from '../../src/record/epoch-keys.js';
import type { RecordFormat } from '../../src/record/record-format.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { tls12CidRecordFormat } from '../../src/record/tls12-cid-record-format.js';
import { keyLengthOf, testBytes } from './node-aead.js';

// sodium-native's seals ChaCha20-Poly1305 straight into the slab (and hands the rest to node:crypto).
const sodiumCryptoProvider = loadSodiumCryptoProvider();
// native-aead's seals AES-GCM and ChaCha20-Poly1305 into the slab through OpenSSL EVP (CCM: node:crypto).
const nativeCryptoProvider = loadNativeCryptoProvider();
const PROVIDERS: readonly CryptoProvider[] = [nodeCryptoProvider, nobleCryptoProvider, sodiumCryptoProvider, nativeCryptoProvider];
const ALGORITHMS: readonly AeadAlgorithm[] = ['aes-128-gcm', 'chacha20-poly1305', 'aes-128-ccm-8'];

function keysFor(provider: CryptoProvider, algorithm: AeadAlgorithm, aead?: Aead): EpochKeys {
  const chacha = algorithm === 'chacha20-poly1305';
  return {
    aead: aead ?? provider.aead(algorithm, testBytes(keyLengthOf(algorithm), 7)),
    fixedIv: testBytes(chacha ? 12 : 4, 70),
    recordIvLength: chacha ? 0 : 8,
  };
}

/** A writer and a reader of epoch 1 with the same keys, in `format`. */
function pair(provider: CryptoProvider, algorithm: AeadAlgorithm, format?: RecordFormat): { writer: RecordLayer; reader: RecordLayer } {
  const writer = new RecordLayer();
  const reader = new RecordLayer({ replayWindowSize: 1024 });
  writer.setWriteKeys(keysFor(provider, algorithm), format);
  reader.setReadKeys(keysFor(provider, algorithm), format);
  return { writer, reader };
}

/** 1,200 bytes that say which message they are. */
function message(i: number): Uint8Array {
  return new Uint8Array(1200).fill(i & 0xff).map((b, j) => (j < 4 ? (i >>> (8 * j)) & 0xff : b));
}

function openOne(reader: RecordLayer, record: Uint8Array): Uint8Array {
  const records = reader.open(record);
  expect(records).toHaveLength(1);
  const payload = records[0]?.payload;
  if (payload === undefined) throw new Error('no record');
  return payload;
}

describe('sealed records: shared slabs, never written again', () => {
  it('seals consecutive records into one shared allocation, not an ArrayBuffer each', () => {
    const { writer } = pair(nodeCryptoProvider, 'aes-128-gcm');
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 20; i++) buffers.add(writer.seal(ContentType.application_data, message(i)).buffer);
    // 20 records of 1,229 bytes fill at most two 32 KiB slabs.
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  for (const provider of PROVIDERS) {
    for (const algorithm of ALGORITHMS) {
      it(`keeps a record as sealed while later records fill its slab and the next ones (a datagram still queued for sending): ${provider.name}, ${algorithm}`, () => {
        const { writer, reader } = pair(provider, algorithm);
        const first = writer.seal(ContentType.application_data, message(0));
        const copy = first.slice();
        const later: Uint8Array[] = [];
        // 100 records of about 1,230 bytes: several 32 KiB slabs after the first record's.
        for (let i = 1; i <= 100; i++) later.push(writer.seal(ContentType.application_data, message(i)));
        expect(later.some((r) => r.buffer !== first.buffer)).toBe(true);
        expect(bytesEqual(first, copy)).toBe(true);
        expect(bytesEqual(openOne(reader, first), message(0))).toBe(true);
        later.forEach((r, i) => expect(bytesEqual(openOne(reader, r), message(i + 1))).toBe(true));
      });
    }
  }

  it('never lets the records of two connections overlap in a slab they share', () => {
    const a = pair(nodeCryptoProvider, 'aes-128-gcm');
    const b = pair(nodeCryptoProvider, 'chacha20-poly1305');
    const sealed: { record: Uint8Array; copy: Uint8Array; i: number; reader: RecordLayer }[] = [];
    for (let i = 0; i < 60; i++) {
      const side = i % 2 === 0 ? a : b;
      const record = side.writer.seal(ContentType.application_data, message(i));
      sealed.push({ record, copy: record.slice(), i, reader: side.reader });
    }
    const shared = sealed.filter((s) => s.record.buffer === sealed[0]?.record.buffer);
    expect(shared.length).toBeGreaterThan(2); // both connections did seal into one slab
    for (const s of sealed) {
      for (const t of sealed) {
        if (s === t || s.record.buffer !== t.record.buffer) continue;
        const disjoint = s.record.byteOffset + s.record.length <= t.record.byteOffset || t.record.byteOffset + t.record.length <= s.record.byteOffset;
        expect(disjoint).toBe(true);
      }
    }
    for (const s of sealed) {
      expect(bytesEqual(s.record, s.copy)).toBe(true);
      expect(bytesEqual(openOne(s.reader, s.record), message(s.i))).toBe(true);
    }
  });
});

describe('scratch nonce and additional data', () => {
  /** Wraps an Aead and notes the memory of every nonce and additional data it is given. */
  function spying(inner: Aead): { aead: Aead; nonces: Set<ArrayBufferLike>; aads: Set<ArrayBufferLike> } {
    const nonces = new Set<ArrayBufferLike>();
    const aads = new Set<ArrayBufferLike>();
    const aead: Aead = {
      algorithm: inner.algorithm,
      tagLength: inner.tagLength,
      seal(nonce, plaintext, aad) {
        nonces.add(nonce.buffer);
        aads.add(aad.buffer);
        return inner.seal(nonce, plaintext, aad);
      },
      open(nonce, ciphertextAndTag, aad) {
        nonces.add(nonce.buffer);
        aads.add(aad.buffer);
        return inner.open(nonce, ciphertextAndTag, aad);
      },
    };
    return { aead, nonces, aads };
  }

  for (const algorithm of ['aes-128-gcm', 'chacha20-poly1305'] as const) {
    it(`hands the AEAD the same nonce and additional-data memory for every record, sealing and opening: ${algorithm}`, () => {
      const inner = nodeCryptoProvider.aead(algorithm, testBytes(keyLengthOf(algorithm), 7));
      const spy = spying(inner);
      const writer = new RecordLayer();
      const reader = new RecordLayer();
      writer.setWriteKeys(keysFor(nodeCryptoProvider, algorithm, spy.aead));
      reader.setReadKeys(keysFor(nodeCryptoProvider, algorithm, spy.aead));
      for (let i = 0; i < 10; i++) {
        expect(bytesEqual(openOne(reader, writer.seal(ContentType.application_data, message(i))), message(i))).toBe(true);
      }
      expect(spy.nonces.size).toBe(1);
      expect(spy.aads.size).toBe(1);
    });
  }

  it('builds a tls12_cid inner plaintext in scratch, leaves the payload as it was and no copy of it behind (RFC 9146 4)', () => {
    const format = tls12CidRecordFormat(utf8('cid!'));
    const inner = nodeCryptoProvider.aead('aes-128-gcm', testBytes(16, 7));
    const sealedFrom: Uint8Array[] = [];
    const aead: Aead = {
      algorithm: inner.algorithm,
      tagLength: inner.tagLength,
      seal(nonce, plaintext, aad) {
        sealedFrom.push(plaintext);
        return inner.seal(nonce, plaintext, aad);
      },
      open: (nonce, ciphertextAndTag, aad) => inner.open(nonce, ciphertextAndTag, aad),
    };
    const writer = new RecordLayer();
    const reader = new RecordLayer();
    writer.setWriteKeys(keysFor(nodeCryptoProvider, 'aes-128-gcm', aead), format);
    reader.setReadKeys(keysFor(nodeCryptoProvider, 'aes-128-gcm', aead), format);
    const payload = utf8('the application keeps this buffer');
    const before = payload.slice();
    const record = writer.seal(ContentType.application_data, payload);
    const scratch = innerPlaintextScratch(payload.length + 1);
    expect(sealedFrom).toHaveLength(1);
    expect(sealedFrom[0]?.buffer).toBe(scratch?.buffer);
    expect(bytesEqual(payload, before)).toBe(true);
    expect(scratch?.subarray(0, payload.length + 1).every((b) => b === 0)).toBe(true);
    expect(bytesEqual(openOne(reader, record), payload)).toBe(true);
  });
});

describe('opened payloads belong to the application', () => {
  const cases: { name: string; format?: RecordFormat; provider: CryptoProvider; algorithm: AeadAlgorithm }[] = [
    { name: 'dtls12, node:crypto AES-GCM', provider: nodeCryptoProvider, algorithm: 'aes-128-gcm' },
    { name: 'dtls12, node:crypto ChaCha20-Poly1305', provider: nodeCryptoProvider, algorithm: 'chacha20-poly1305' },
    { name: 'dtls12, noble AES-CCM_8', provider: nobleCryptoProvider, algorithm: 'aes-128-ccm-8' },
    { name: 'dtls12, sodium-native ChaCha20-Poly1305', provider: sodiumCryptoProvider, algorithm: 'chacha20-poly1305' },
    { name: 'tls12_cid, sodium-native ChaCha20-Poly1305', provider: sodiumCryptoProvider, algorithm: 'chacha20-poly1305', format: tls12CidRecordFormat(utf8('c1')) },
    { name: 'tls12_cid, node:crypto AES-GCM', provider: nodeCryptoProvider, algorithm: 'aes-128-gcm', format: tls12CidRecordFormat(utf8('c1')) },
    { name: 'dtls12, native-aead AES-GCM', provider: nativeCryptoProvider, algorithm: 'aes-128-gcm' },
    { name: 'tls12_cid, native-aead ChaCha20-Poly1305', provider: nativeCryptoProvider, algorithm: 'chacha20-poly1305', format: tls12CidRecordFormat(utf8('c1')) },
  ];
  for (const c of cases) {
    it(`does not change a payload it returned when it opens later records: ${c.name}`, () => {
      const { writer, reader } = pair(c.provider, c.algorithm, c.format);
      const kept: Uint8Array[] = [];
      for (let i = 0; i < 80; i++) kept.push(openOne(reader, writer.seal(ContentType.application_data, message(i))));
      kept.forEach((p, i) => expect(bytesEqual(p, message(i))).toBe(true));
    });
  }

  it('does not change an epoch-0 payload when the datagram it came in is reused for the next one', () => {
    const writer = new RecordLayer();
    const reader = new RecordLayer();
    const datagram = new Uint8Array(13 + 1200); // a runtime's receive buffer, say
    const kept: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      datagram.set(writer.seal(ContentType.handshake, message(i)));
      kept.push(openOne(reader, datagram));
    }
    kept.forEach((p, i) => expect(bytesEqual(p, message(i))).toBe(true));
  });
});

describe('a datagram handed over is opened in place (issue 15)', () => {
  /** `count` records of `writer` in one datagram, as a runtime receives them: memory of its own. */
  function datagramOf(writer: RecordLayer, first: number, count: number): Uint8Array {
    const records = Array.from({ length: count }, (_, k) => writer.seal(ContentType.application_data, message(first + k)));
    const datagram = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
    let at = 0;
    for (const r of records) {
      datagram.set(r, at);
      at += r.length;
    }
    return datagram;
  }

  // The providers that open in place: sodium-native (ChaCha20-Poly1305), native-aead (OpenSSL EVP, AES-GCM and ChaCha20-Poly1305).
  const cases: { name: string; format?: RecordFormat; provider: CryptoProvider; algorithm: AeadAlgorithm }[] = [
    { name: 'sodium-native, dtls12', provider: sodiumCryptoProvider, algorithm: 'chacha20-poly1305' },
    { name: 'sodium-native, tls12_cid', format: tls12CidRecordFormat(utf8('c1')), provider: sodiumCryptoProvider, algorithm: 'chacha20-poly1305' },
    { name: 'native-aead AES-GCM, dtls12', provider: nativeCryptoProvider, algorithm: 'aes-128-gcm' },
    { name: 'native-aead AES-GCM, tls12_cid', format: tls12CidRecordFormat(utf8('c1')), provider: nativeCryptoProvider, algorithm: 'aes-128-gcm' },
    { name: 'native-aead ChaCha20-Poly1305, dtls12', provider: nativeCryptoProvider, algorithm: 'chacha20-poly1305' },
  ];
  for (const c of cases) {
    it(`decrypts a handed-over datagram's records over their ciphertext, and leaves the payloads as they were: ${c.name}`, () => {
      const { writer, reader } = pair(c.provider, c.algorithm, c.format);
      const kept: { payload: Uint8Array; i: number }[] = [];
      for (let d = 0; d < 10; d++) {
        const datagram = datagramOf(writer, d * 3, 3);
        const records = reader.open(datagram, true);
        expect(records).toHaveLength(3);
        records.forEach((r, k) => {
          // No memory of its own: a view of the datagram, where its ciphertext was.
          expect(r.payload.buffer).toBe(datagram.buffer);
          kept.push({ payload: r.payload, i: d * 3 + k });
        });
      }
      // Later datagrams never wrote an earlier payload.
      for (const { payload, i } of kept) expect(bytesEqual(payload, message(i))).toBe(true);
    });
  }

  const inPlaceProviders: { name: string; provider: CryptoProvider; algorithm: AeadAlgorithm }[] = [
    { name: 'sodium-native ChaCha20-Poly1305', provider: sodiumCryptoProvider, algorithm: 'chacha20-poly1305' },
    { name: 'native-aead AES-GCM', provider: nativeCryptoProvider, algorithm: 'aes-128-gcm' },
  ];
  it.each(inPlaceProviders)('only reads a datagram that is not handed over; in a handed-over one a forged record costs only itself, and a copy is a replay: $name', ({ provider, algorithm }) => {
    const { writer, reader } = pair(provider, algorithm);
    const datagram = datagramOf(writer, 0, 2);
    const before = datagram.slice();
    const read = reader.open(datagram);
    expect(read.map((r) => bytesEqual(r.payload, message(r.sequenceNumber)))).toEqual([true, true]);
    expect(read.every((r) => r.payload.buffer !== datagram.buffer)).toBe(true);
    expect(bytesEqual(datagram, before)).toBe(true);

    // Three records, the middle one's tag broken: it is dropped (its bytes are then anyone's), the
    // two around it open in place, intact.
    const forged = datagramOf(writer, 2, 3);
    const secondTagEnd = (forged.length / 3) * 2 - 1;
    forged[secondTagEnd] = (forged[secondTagEnd] ?? 0) ^ 1;
    const copy = forged.slice();
    const opened = reader.open(forged, true);
    expect(opened.map((r) => r.sequenceNumber)).toEqual([2, 4]);
    expect(opened.map((r) => bytesEqual(r.payload, message(r.sequenceNumber)))).toEqual([true, true]);
    expect(opened.every((r) => r.payload.buffer === forged.buffer)).toBe(true);
    expect(reader.stats.badMac).toBe(1);
    // The same datagram again: its good records are replays (refused before any decryption), the forged one fails again.
    expect(reader.open(copy, true)).toHaveLength(0);
    expect(reader.stats.replayed).toBe(2);
    expect(reader.stats.badMac).toBe(2);

    // A provider that cannot open in place (node:crypto) opens a handed-over datagram as usual.
    const aes = pair(nodeCryptoProvider, 'aes-128-gcm');
    const plain = datagramOf(aes.writer, 0, 2);
    const sent = plain.slice();
    expect(aes.reader.open(plain, true).map((r) => bytesEqual(r.payload, message(r.sequenceNumber)))).toEqual([true, true]);
    expect(bytesEqual(plain, sent)).toBe(true);
  });
});
