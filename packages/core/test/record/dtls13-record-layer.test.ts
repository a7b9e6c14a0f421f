/**
 * The DTLS 1.3 record layer (RFC 9147 4): sealing and opening per epoch, held to an independent
 * construction written in this file straight from the RFC text with node:crypto (header as AAD
 * with the sequence number in the clear, RFC 8446 5.3 nonce, RFC 9147 4.2.3 mask), and to the
 * silent-discard, replay, CID and AEAD-limit rules. wolfSSL's own records are opened by
 * test/interop/wolfssl13-records.test.ts.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/bytes.js';
import { nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { AeadAlgorithm, CryptoProvider } from '../../src/crypto/provider.js';
import { DtlsError } from '../../src/errors.js';
import { dtls13EpochKeys } from '../../src/record/dtls13-epoch-keys.js';
import type { Dtls13TrafficKeys } from '../../src/record/dtls13-epoch-keys.js';
import { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import type { Dtls13RecordLayerOptions, Dtls13WriteFormat } from '../../src/record/dtls13-record-layer.js';
import { keyLengthOf, nodeOpen, nodeSeal, tagLengthOf } from './node-aead.js';

const ALGORITHMS: readonly AeadAlgorithm[] = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305', 'aes-128-ccm', 'aes-128-ccm-8'];
const PROVIDERS: readonly CryptoProvider[] = [nodeCryptoProvider, nobleCryptoProvider];
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const ACK = 26;

function traffic(algorithm: AeadAlgorithm): Dtls13TrafficKeys {
  const n = keyLengthOf(algorithm);
  return { key: new Uint8Array(randomBytes(n)), iv: new Uint8Array(randomBytes(12)), snKey: new Uint8Array(randomBytes(n)) };
}

/** A sender and a receiver sharing the keys of `epochs`. */
function pair(
  algorithm: AeadAlgorithm,
  epochs: readonly number[],
  opts: { provider?: CryptoProvider; format?: Dtls13WriteFormat; reader?: Dtls13RecordLayerOptions } = {},
): { tx: Dtls13RecordLayer; rx: Dtls13RecordLayer; keys: Map<number, Dtls13TrafficKeys> } {
  const provider = opts.provider ?? nodeCryptoProvider;
  const tx = new Dtls13RecordLayer();
  const rx = new Dtls13RecordLayer(opts.reader);
  const keys = new Map<number, Dtls13TrafficKeys>();
  for (const e of epochs) {
    const t = traffic(algorithm);
    keys.set(e, t);
    tx.setWriteKeys(e, dtls13EpochKeys(provider, algorithm, t), opts.format);
    rx.setReadKeys(e, dtls13EpochKeys(provider, algorithm, t));
  }
  return { tx, rx, keys };
}

// --- the RFC's construction, written out independently --------------------------------------

/** RFC 9147 4.2.3, with node:crypto directly: AES-ECB of the sample, or the ChaCha20 key stream at counter||nonce = sample. */
function independentMask(algorithm: AeadAlgorithm, snKey: Uint8Array, sample: Uint8Array): Uint8Array {
  if (algorithm === 'chacha20-poly1305') return new Uint8Array(createCipheriv('chacha20', snKey, sample).update(new Uint8Array(16)));
  return new Uint8Array(createCipheriv(`aes-${snKey.length * 8}-ecb`, snKey, null).setAutoPadding(false).update(sample));
}

/** RFC 8446 5.3, with BigInt: iv XOR the 64-bit sequence number left-padded to 12 bytes. */
function independentNonce(iv: Uint8Array, seq: number): Uint8Array {
  const padded = fromHex(BigInt(seq).toString(16).padStart(24, '0'));
  return iv.map((b, i) => b ^ (padded[i] ?? 0));
}

/** Opens a record of `epoch` framed as 0b001CSLEE with a 16-bit sequence number and a length, by the RFC's rules. */
function independentOpen(algorithm: AeadAlgorithm, t: Dtls13TrafficKeys, record: Uint8Array, cidLength = 0): { seq: number; inner: Uint8Array; header: Uint8Array } {
  const headerLength = 1 + cidLength + 2 + 2;
  const ciphertext = record.subarray(headerLength);
  const mask = independentMask(algorithm, t.snKey, ciphertext.subarray(0, 16));
  const header = record.slice(0, headerLength);
  header[1 + cidLength] = (header[1 + cidLength] ?? 0) ^ (mask[0] ?? 0);
  header[2 + cidLength] = (header[2 + cidLength] ?? 0) ^ (mask[1] ?? 0);
  const seq = ((header[1 + cidLength] ?? 0) << 8) | (header[2 + cidLength] ?? 0);
  const inner = nodeOpen(algorithm, t.key, independentNonce(t.iv, seq), ciphertext, header);
  if (inner === null) throw new Error('the independent construction does not open our record');
  return { seq, inner, header };
}

/** Seals `inner` (the whole DTLSInnerPlaintext, as given) by the RFC's rules: the header 0b0010_11EE, seq16, length. */
function independentSeal(algorithm: AeadAlgorithm, t: Dtls13TrafficKeys, epoch: number, seq: number, inner: Uint8Array): Uint8Array {
  const length = inner.length + tagLengthOf(algorithm);
  const header = Uint8Array.of(0b0010_1100 | (epoch & 3), (seq >>> 8) & 0xff, seq & 0xff, length >>> 8, length & 0xff);
  const ciphertext = nodeSeal(algorithm, t.key, independentNonce(t.iv, seq), inner, header);
  const mask = independentMask(algorithm, t.snKey, ciphertext.subarray(0, 16));
  const wire = header.slice();
  wire[1] = (wire[1] ?? 0) ^ (mask[0] ?? 0);
  wire[2] = (wire[2] ?? 0) ^ (mask[1] ?? 0);
  return concatBytes(wire, ciphertext);
}

function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DtlsError) return e.alert;
    throw e;
  }
  return undefined;
}

describe('DTLS 1.3 record layer (RFC 9147 4)', () => {
  for (const provider of PROVIDERS) {
    for (const algorithm of ALGORITHMS) {
      it(`${provider.name} ${algorithm}: our records open by the RFC's construction, and its records open with ours`, () => {
        const { tx, rx, keys } = pair(algorithm, [2, 3], { provider });
        const t3 = keys.get(3);
        if (t3 === undefined) throw new Error('no keys');
        for (let i = 0; i < 3; i++) {
          const content = utf8(`message ${i}`);
          const record = tx.seal(APPLICATION_DATA, content);
          expect(record[0]).toBe(0b0010_1111); // 001, C=0, S=1, L=1, epoch 3 & 3
          const seen = independentOpen(algorithm, t3, record);
          expect(seen.seq).toBe(i);
          // DTLSInnerPlaintext: content || type (|| zeros: CCM_8 pads short ones to 16 bytes of ciphertext).
          expect(toHex(seen.inner.subarray(0, content.length))).toBe(toHex(content));
          expect(seen.inner[content.length]).toBe(APPLICATION_DATA);
          expect(seen.inner.subarray(content.length + 1).every((b) => b === 0)).toBe(true);
          expect(rx.open(record)).toEqual([{ type: APPLICATION_DATA, epoch: 3, sequenceNumber: i, content: utf8(`message ${i}`), authenticated: true }]);
        }
        const theirs = independentSeal(algorithm, t3, 3, 7, concatBytes(utf8('from the RFC'), Uint8Array.of(APPLICATION_DATA, 0, 0)));
        expect(rx.open(theirs)).toEqual([{ type: APPLICATION_DATA, epoch: 3, sequenceNumber: 7, content: utf8('from the RFC'), authenticated: true }]);
      });
    }
  }

  it('the additional data is the header with the sequence number in the clear: the masked header does not open', () => {
    const { tx, keys } = pair('aes-128-gcm', [2]);
    const t = keys.get(2);
    if (t === undefined) throw new Error('no keys');
    const record = tx.seal(HANDSHAKE, utf8('EncryptedExtensions'));
    const seen = independentOpen('aes-128-gcm', t, record);
    expect(nodeOpen('aes-128-gcm', t.key, independentNonce(t.iv, seen.seq), record.subarray(5), record.subarray(0, 5))).toBeNull();
  });

  it('pads CCM_8 records to 16 bytes of ciphertext (RFC 9147 4.2.3) and drops shorter records unread', () => {
    const { tx, rx } = pair('aes-128-ccm-8', [2]);
    const record = tx.seal(ACK, new Uint8Array(0));
    expect(record.length - 5).toBe(16); // 1 type byte + 7 zeros + 8-byte tag
    expect(rx.open(record)).toMatchObject([{ type: ACK, content: new Uint8Array(0) }]);
    const short = concatBytes(fromHex('2e0000000f'), new Uint8Array(15));
    expect(rx.open(short)).toEqual([]);
    expect(rx.stats.dropped).toBe(1);
  });

  it('reconstructs 8-bit sequence numbers over many wraps, and accepts reordering inside the window', () => {
    const { tx, rx } = pair('aes-128-gcm', [3], { format: { sequenceNumberLength: 1, lengthPresent: false } });
    const records = Array.from({ length: 700 }, (_, i) => tx.seal(APPLICATION_DATA, utf8(String(i))));
    expect(records[0]?.[0]).toBe(0b0010_0011); // S=0, L=0
    for (let i = 0; i < 600; i++) expect(rx.open(records[i] ?? new Uint8Array(0))[0]?.sequenceNumber).toBe(i);
    for (const i of [650, 610, 699, 640]) expect(rx.open(records[i] ?? new Uint8Array(0))[0]?.sequenceNumber).toBe(i);
  });

  it('drops replays after deprotection, and forged or tampered records silently, counting them', () => {
    const { tx, rx } = pair('chacha20-poly1305', [3]);
    const record = tx.seal(APPLICATION_DATA, utf8('once'));
    expect(rx.open(record)).toHaveLength(1);
    expect(rx.open(record)).toEqual([]);
    expect(rx.stats.replayed).toBe(1);
    const tampered = record.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(rx.open(tampered)).toEqual([]);
    // The sequence number is in the AAD (in the clear): a flipped bit gives another nonce and AAD.
    const seqFlip = tx.seal(APPLICATION_DATA, utf8('seq'));
    seqFlip[2] = (seqFlip[2] ?? 0) ^ 0x80;
    expect(rx.open(seqFlip)).toEqual([]);
    expect(rx.stats.authFailures).toBe(2);
  });

  it('finds the epoch from its two bits: handshake and application epochs together, and epoch 4 after a key update', () => {
    const { tx, rx } = pair('aes-256-gcm', [2, 3, 4]);
    const hs = tx.seal(HANDSHAKE, utf8('Finished'), 2);
    const app = tx.seal(APPLICATION_DATA, utf8('data'), 3);
    const next = tx.seal(APPLICATION_DATA, utf8('after KeyUpdate'), 4);
    expect([hs[0], app[0], next[0]].map((b) => (b ?? 0) & 3)).toEqual([2, 3, 0]);
    expect(rx.open(concatBytes(next, hs, app)).map((r) => [r.epoch, r.type])).toEqual([
      [4, APPLICATION_DATA],
      [2, HANDSHAKE],
      [3, APPLICATION_DATA],
    ]);
    rx.forgetReadEpochsBefore(4);
    // Bits 2 with only epoch 4 readable: epoch 2 is gone, epoch 6 may come: held, capped, and dropped when holding stops.
    expect(rx.open(tx.seal(HANDSHAKE, utf8('late'), 2))).toEqual([]);
    expect(rx.heldCount).toBe(1);
    rx.stopHolding();
    expect(rx.stats.unknownEpoch).toBe(1);
    expect(rx.open(tx.seal(HANDSHAKE, utf8('later'), 2))).toEqual([]);
    expect(rx.stats.unknownEpoch).toBe(2);
  });

  it('epoch 0 is DTLSPlaintext for handshake, alert and ack only, unauthenticated until the handshake accepts it', () => {
    const { tx, rx } = pair('aes-128-gcm', []);
    const hello = tx.seal(HANDSHAKE, utf8('ClientHello'), 0);
    expect(toHex(hello.subarray(0, 13))).toBe('16' + 'fefd' + '0000' + '000000000000' + '000b');
    expect(rx.open(hello)).toEqual([{ type: HANDSHAKE, epoch: 0, sequenceNumber: 0, content: utf8('ClientHello'), authenticated: false }]);
    rx.acceptUnauthenticated(0);
    expect(rx.open(hello)).toEqual([]);
    expect(alertOf(() => tx.seal(APPLICATION_DATA, utf8('no'), 0))).toBe(AlertDescription.internal_error);
    // A DTLSPlaintext record claiming another epoch is not DTLS 1.3's.
    const epoch2 = hello.slice();
    epoch2[4] = 2;
    expect(rx.open(epoch2)).toEqual([]);
  });

  it('reads several records of a datagram and drops the rest after a DTLS 1.2 first byte (RFC 9147 4.1)', () => {
    const { tx, rx } = pair('aes-128-gcm', [2]);
    const plain = tx.seal(HANDSHAKE, utf8('ServerHello'), 0);
    const a = tx.seal(HANDSHAKE, utf8('EncryptedExtensions'), 2);
    const b = tx.seal(HANDSHAKE, utf8('Finished'), 2);
    expect(rx.open(concatBytes(plain, a, b)).map((r) => r.epoch)).toEqual([0, 2, 2]);
    const c = tx.seal(HANDSHAKE, utf8('more'), 2);
    const d = tx.seal(HANDSHAKE, utf8('lost'), 2);
    expect(rx.open(concatBytes(c, fromHex('17fefd0001000000000000000100'), d)).map((r) => r.sequenceNumber)).toEqual([2]);
  });

  it('writes the peer CID and reads ours; another CID ends the datagram, an unasked CID is rejected (RFC 9147 4, 9)', () => {
    const cid = fromHex('c1d2');
    const { tx, rx, keys } = pair('aes-128-gcm', [3], { format: { connectionId: cid }, reader: { receiveConnectionId: cid } });
    const t = keys.get(3);
    if (t === undefined) throw new Error('no keys');
    const record = tx.seal(APPLICATION_DATA, utf8('with cid'));
    expect(toHex(record.subarray(0, 3))).toBe('3f' + 'c1d2');
    expect(independentOpen('aes-128-gcm', t, record, 2).header.subarray(1, 3)).toEqual(cid); // the CID is in the AAD
    expect(rx.open(record)).toHaveLength(1);
    const other = tx.seal(APPLICATION_DATA, utf8('x'));
    other[2] = 0xd3;
    const after = tx.seal(APPLICATION_DATA, utf8('after'));
    expect(rx.open(concatBytes(other, after))).toEqual([]);
    const noCid = new Dtls13RecordLayer();
    noCid.setReadKeys(3, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t));
    expect(noCid.open(tx.seal(APPLICATION_DATA, utf8('y')))).toEqual([]);
    expect(noCid.stats.dropped).toBe(1);
  });

  it('an authenticated record with an all-zero inner plaintext or an unknown inner type ends the connection', () => {
    const { rx, keys } = pair('aes-128-gcm', [3]);
    const t = keys.get(3);
    if (t === undefined) throw new Error('no keys');
    expect(alertOf(() => rx.open(independentSeal('aes-128-gcm', t, 3, 0, new Uint8Array(4))))).toBe(AlertDescription.unexpected_message);
    expect(alertOf(() => rx.open(independentSeal('aes-128-gcm', t, 3, 1, Uint8Array.of(1, 2, 20))))).toBe(AlertDescription.unexpected_message);
  });

  it('counts failed authentications per key: a key update is asked for before the limit, the connection ends at it (RFC 9147 4.5.3)', () => {
    const { tx, rx } = pair('aes-128-ccm-8', [3], { reader: { ccm8IntegrityLimit: 4, keyUpdateFraction: 0.5 } });
    const forged = (): Uint8Array => {
      const r = tx.seal(APPLICATION_DATA, utf8('forged'));
      r[r.length - 1] = (r[r.length - 1] ?? 0) ^ 0xff;
      return r;
    };
    expect(rx.open(forged())).toEqual([]);
    expect(rx.keyUpdateNeeded).toBe(false);
    expect(rx.open(forged())).toEqual([]);
    expect(rx.keyUpdateNeeded).toBe(true);
    expect(rx.open(forged())).toEqual([]);
    expect(alertOf(() => rx.open(forged()))).toBe(AlertDescription.bad_record_mac);
  });

  it('after a key update, an old key that reaches its limit is dropped rather than ending the connection', () => {
    const { tx, rx } = pair('aes-128-ccm-8', [3, 4], { reader: { ccm8IntegrityLimit: 2 } });
    for (let i = 0; i < 2; i++) {
      const r = tx.seal(APPLICATION_DATA, utf8('forged'), 3);
      r[r.length - 1] = (r[r.length - 1] ?? 0) ^ 0xff;
      expect(rx.open(r)).toEqual([]);
    }
    expect(rx.readEpochsHeld).toEqual([4]);
    expect(rx.open(tx.seal(APPLICATION_DATA, utf8('fine'), 4))).toHaveLength(1);
  });

  it('refuses to seal in an epoch it does not hold or a content over 2^14', () => {
    const { tx } = pair('aes-128-gcm', [2]);
    expect(alertOf(() => tx.seal(APPLICATION_DATA, utf8('x'), 3))).toBe(AlertDescription.internal_error);
    expect(alertOf(() => tx.seal(APPLICATION_DATA, new Uint8Array(2 ** 14 + 1)))).toBe(AlertDescription.internal_error);
    expect(alertOf(() => tx.setWriteKeys(2, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', traffic('aes-128-gcm'))))).toBe(AlertDescription.internal_error);
  });

  it('chacha20MaskCounter big-endian reads the mask counter as wolfSSL 5.5.4 does, and only for ChaCha20', () => {
    for (const algorithm of ['chacha20-poly1305', 'aes-128-gcm'] as const) {
      // Fixed keys: with random ones the two masks' first bytes would agree once in 2^16 runs.
      const n = keyLengthOf(algorithm);
      const t = { key: new Uint8Array(n).fill(1), iv: new Uint8Array(12).fill(2), snKey: new Uint8Array(n).fill(3) };
      const tx = new Dtls13RecordLayer({ chacha20MaskCounter: 'big-endian' });
      tx.setWriteKeys(3, dtls13EpochKeys(nodeCryptoProvider, algorithm, t));
      const record = tx.seal(APPLICATION_DATA, utf8('quirk'));
      const sample = record.subarray(5, 21);
      const swapped = Uint8Array.of(sample[3] ?? 0, sample[2] ?? 0, sample[1] ?? 0, sample[0] ?? 0, ...sample.subarray(4));
      const mask = independentMask(algorithm, t.snKey, algorithm === 'chacha20-poly1305' ? swapped : sample);
      expect(((record[1] ?? 0) ^ (mask[0] ?? 0)) << 8 | ((record[2] ?? 0) ^ (mask[1] ?? 0))).toBe(0);
      const same = new Dtls13RecordLayer({ chacha20MaskCounter: 'big-endian' });
      same.setReadKeys(3, dtls13EpochKeys(nobleCryptoProvider, algorithm, t));
      expect(same.open(record)).toHaveLength(1);
      const rfc = new Dtls13RecordLayer();
      rfc.setReadKeys(3, dtls13EpochKeys(nodeCryptoProvider, algorithm, t));
      // Sequence number 0 masked with the other counter reads as another number: the AEAD refuses it (AES is unaffected).
      expect(rfc.open(record)).toHaveLength(algorithm === 'chacha20-poly1305' ? 0 : 1);
    }
  });

  it('holds records of an epoch without keys and reads them when its keys are set (RFC 9147 4.2.1)', () => {
    const t2 = traffic('aes-128-gcm');
    const t3 = traffic('aes-128-gcm');
    const tx = new Dtls13RecordLayer();
    tx.setWriteKeys(2, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t2));
    tx.setWriteKeys(3, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t3));
    const rx = new Dtls13RecordLayer();
    // A ServerHello sharing its datagram with the epoch-2 flight, and data of epoch 3 overtaking it.
    const datagram = concatBytes(tx.seal(HANDSHAKE, utf8('ServerHello'), 0), tx.seal(HANDSHAKE, utf8('EncryptedExtensions'), 2), tx.seal(APPLICATION_DATA, utf8('early data'), 3));
    expect(rx.open(datagram).map((r) => r.epoch)).toEqual([0]);
    expect(rx.heldCount).toBe(2);
    expect(rx.open(datagram).map((r) => r.epoch)).toEqual([0]); // the copies are not held twice
    expect(rx.stats.replayed).toBe(2);
    expect(rx.setReadKeys(2, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t2))).toMatchObject([{ epoch: 2, content: utf8('EncryptedExtensions') }]);
    expect(rx.heldCount).toBe(1);
    expect(rx.setReadKeys(3, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t3))).toMatchObject([{ epoch: 3, content: utf8('early data') }]);
    expect(rx.stats).toMatchObject({ held: 2, unknownEpoch: 0, authFailures: 0 });
  });

  it('caps the hold in records and bytes, oldest out first', () => {
    const t = traffic('aes-128-gcm');
    const tx = new Dtls13RecordLayer();
    tx.setWriteKeys(2, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t));
    const rx = new Dtls13RecordLayer({ maxHeldRecords: 3, maxHeldBytes: 200 });
    for (let i = 0; i < 5; i++) rx.open(tx.seal(HANDSHAKE, utf8(`record ${i}`)));
    expect(rx.heldCount).toBe(3);
    rx.open(tx.seal(HANDSHAKE, new Uint8Array(300)));
    expect(rx.heldCount).toBe(3); // larger than the byte cap: not held
    rx.open(tx.seal(HANDSHAKE, new Uint8Array(150)));
    expect(rx.heldCount).toBe(1); // 150 bytes of content: the others make room
    expect(rx.stats.unknownEpoch).toBe(2 + 1 + 3);
    const released = rx.setReadKeys(2, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t));
    expect(released.map((r) => r.sequenceNumber)).toEqual([6]);
    const none = new Dtls13RecordLayer({ maxHeldRecords: 0 });
    none.open(tx.seal(HANDSHAKE, utf8('x')));
    expect(none.heldCount).toBe(0);
    expect(none.stats.unknownEpoch).toBe(1);
  });

  it('asks for a key update before the confidentiality limit and refuses to seal past it (RFC 9147 4.5.3)', () => {
    const t = traffic('aes-128-gcm');
    const tx = new Dtls13RecordLayer({ aeadLimits: { 'aes-128-gcm': { confidentiality: 4 } }, keyUpdateFraction: 0.5 });
    tx.setWriteKeys(3, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', t));
    const states = [];
    for (let i = 0; i < 4; i++) {
      tx.seal(APPLICATION_DATA, utf8(String(i)));
      states.push([tx.writeKeyUsage(), tx.keyUpdateNeeded]);
    }
    expect(states).toEqual([
      ['fresh', false],
      ['update', true],
      ['update', true],
      ['exhausted', true],
    ]);
    expect(alertOf(() => tx.seal(APPLICATION_DATA, utf8('one too many')))).toBe(AlertDescription.internal_error);
    // A new epoch (after the KeyUpdate, RFC 9147 8) starts a new count.
    tx.setWriteKeys(4, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', traffic('aes-128-gcm')));
    expect(tx.seal(APPLICATION_DATA, utf8('fresh key')).length).toBeGreaterThan(0);
    expect(tx.writeKeyUsage()).toBe('fresh');
    // Limits may be lowered, never raised above the RFC's.
    expect(() => new Dtls13RecordLayer({ aeadLimits: { 'aes-128-gcm': { integrity: 2 ** 37 } } })).toThrow(RangeError);
  });

  it('says how many bytes a record adds around its content, per write epoch', () => {
    const tx = new Dtls13RecordLayer();
    tx.setWriteKeys(2, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-ccm-8', traffic('aes-128-ccm-8')), { connectionId: fromHex('0102'), sequenceNumberLength: 1 });
    tx.setWriteKeys(3, dtls13EpochKeys(nodeCryptoProvider, 'aes-128-gcm', traffic('aes-128-gcm')));
    const content = new Uint8Array(40);
    for (const epoch of [0, 2, 3]) expect(tx.seal(HANDSHAKE, content, epoch).length - content.length).toBe(tx.recordOverhead(epoch));
    expect([0, 2, 3].map((e) => tx.recordOverhead(e))).toEqual([13, 1 + 2 + 1 + 2 + 1 + 8, 1 + 2 + 2 + 1 + 16]);
  });
});
