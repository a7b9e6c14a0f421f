/**
 * CBC records (RFC 5246 6.2.3.2) with and without encrypt-then-MAC (RFC 7366): the bytes we seal
 * against a reference built here from node:crypto's AES-CBC and HMAC by the RFC's formulas, each
 * provider's records opened by every other, and every kind of bad record dropped, counted and never
 * thrown: a flipped bit anywhere, a bad padding under a good MAC, a length no CBC record can have.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex, utf8 } from '../../src/bytes.js';
import { keyBlock } from '../../src/crypto/key-schedule.js';
import { prf } from '../../src/crypto/prf.js';
import type { CryptoProvider, HashAlgorithm } from '../../src/crypto/provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { CbcEpochKeys } from '../../src/record/cbc-record.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { RecordLayer } from '../../src/record/record-layer.js';
import { cipherSuiteByName } from '../../src/suites/registry.js';
import { PROVIDERS } from '../crypto/providers.js';
import { testBytes } from './node-aead.js';

const KEY = testBytes(16, 1);
const MAC_KEY = testBytes(32, 2);
const FIXED_IV = testBytes(16, 3);

/** A provider whose IVs are known, so a sealed record can be compared byte for byte. */
function fixedIvProvider(base: CryptoProvider): CryptoProvider {
  return { ...base, randomBytes: (n: number) => FIXED_IV.slice(0, n) };
}

function cbcKeys(provider: CryptoProvider, encryptThenMac: boolean, macHash: HashAlgorithm = 'sha256'): CbcEpochKeys {
  const cbc = provider.cbc;
  if (cbc === undefined) throw new Error(`${provider.name} has no AES-CBC`);
  return {
    cbc: cbc(macHash === 'sha256' ? 'aes-128-cbc' : 'aes-256-cbc', macHash === 'sha256' ? KEY : testBytes(32, 1)),
    macKey: macHash === 'sha256' ? MAC_KEY : testBytes(48, 2),
    macHash,
    macLength: macHash === 'sha256' ? 32 : 48,
    encryptThenMac,
    recordIvLength: 16,
    provider,
  };
}

/** seq_num(8) || type || version || length: RFC 5246 6.2.3.1 with DTLS's epoch || sequence_number (RFC 6347 4.1.2.1). */
function macHeader(epoch: number, seq: number, type: number, length: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt16BE(epoch, 0);
  b.writeUIntBE(seq, 2, 6);
  b[8] = type;
  b.writeUInt16BE(0xfefd, 9);
  b.writeUInt16BE(length, 11);
  return b;
}

function aesCbc(data: Buffer): Buffer {
  const c = createCipheriv('aes-128-cbc', KEY, FIXED_IV).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function padding(length: number): Buffer {
  const pad = (16 - ((length + 1) % 16)) % 16;
  return Buffer.alloc(pad + 1, pad);
}

/** The record RFC 5246 6.2.3.2 (MAC-then-encrypt) or RFC 7366 3 (encrypt-then-MAC) describes, built by hand. */
function referenceRecord(encryptThenMac: boolean, epoch: number, seq: number, type: number, content: Uint8Array): Uint8Array {
  let fragment: Buffer;
  if (encryptThenMac) {
    const ciphertext = aesCbc(Buffer.concat([content, padding(content.length)]));
    const mac = createHmac('sha256', MAC_KEY)
      .update(Buffer.concat([macHeader(epoch, seq, type, 16 + ciphertext.length), FIXED_IV, ciphertext]))
      .digest();
    fragment = Buffer.concat([FIXED_IV, ciphertext, mac]);
  } else {
    const mac = createHmac('sha256', MAC_KEY).update(Buffer.concat([macHeader(epoch, seq, type, content.length), content])).digest();
    fragment = Buffer.concat([FIXED_IV, aesCbc(Buffer.concat([content, mac, padding(content.length + 32)]))]);
  }
  return encodeRecord({ type, version: 0xfefd, epoch, sequenceNumber: seq }, new Uint8Array(fragment));
}

function reader(keys: CbcEpochKeys): RecordLayer {
  const layer = new RecordLayer();
  layer.setReadKeys(keys);
  return layer;
}

describe.each([true, false])('CBC records, encrypt-then-MAC %s', (etm) => {
  it.each(PROVIDERS)('seals what RFC 5246 6.2.3.2 / RFC 7366 3 describe ($name provider)', ({ provider }) => {
    const writer = new RecordLayer();
    writer.setWriteKeys(cbcKeys(fixedIvProvider(provider), etm));
    for (const length of [0, 1, 15, 16, 31, 100, 1000]) {
      const content = testBytes(length, length);
      const seq = writer.nextWriteSequence();
      expect(toHex(writer.seal(ContentType.application_data, content)), `length ${length}`).toBe(
        toHex(referenceRecord(etm, 1, seq, ContentType.application_data, content)),
      );
    }
  });

  it.each(PROVIDERS)('opens the reference record ($name provider)', ({ provider }) => {
    const layer = reader(cbcKeys(provider, etm));
    const content = utf8('a reference CBC record');
    const [record] = layer.open(referenceRecord(etm, 1, 7, ContentType.application_data, content));
    expect(record?.payload).toEqual(content);
    expect(record?.sequenceNumber).toBe(7);
    expect(layer.stats.badMac).toBe(0);
  });

  it('every provider opens every other provider\'s records (random IVs), once each', () => {
    for (const sealer of PROVIDERS) {
      for (const opener of PROVIDERS) {
        const writer = new RecordLayer();
        writer.setWriteKeys(cbcKeys(sealer.provider, etm));
        const layer = reader(cbcKeys(opener.provider, etm));
        for (let i = 0; i < 20; i++) {
          const content = testBytes(i * 37, i);
          const sealed = writer.seal(ContentType.application_data, content);
          expect(layer.open(sealed).map((r) => toHex(r.payload)), `${sealer.name} -> ${opener.name}`).toEqual([toHex(content)]);
          expect(layer.open(sealed), 'a replay is dropped').toEqual([]);
        }
        expect(layer.stats.replayed).toBe(20);
      }
    }
  });

  it('a SHA-384 / AES-256 record goes through (TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384)', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(cbcKeys(nodeCryptoProvider, etm, 'sha384'));
    const layer = reader(cbcKeys(PROVIDERS[1]?.provider ?? nodeCryptoProvider, etm, 'sha384'));
    const content = testBytes(300, 9);
    expect(layer.open(writer.seal(ContentType.application_data, content))[0]?.payload).toEqual(content);
    // Overhead: 13 header + 16 IV + 48 MAC + at most 16 padding.
    expect(writer.overhead()).toBe(13 + 16 + 48 + 16);
  });

  it('drops a record with any one bit flipped after the header (bad_record_mac), and never throws', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(cbcKeys(nodeCryptoProvider, etm));
    const layer = reader(cbcKeys(nodeCryptoProvider, etm));
    const sealed = writer.seal(ContentType.application_data, testBytes(40, 1));
    for (let i = 13; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = sealed.slice();
        bad[i] = (bad[i] ?? 0) ^ bit;
        expect(layer.open(bad), `byte ${i}`).toEqual([]);
      }
    }
    expect(layer.stats.badMac).toBe(2 * (sealed.length - 13));
    // The genuine record still opens: nothing bad entered the replay window.
    expect(layer.open(sealed)).toHaveLength(1);
  });

  it('drops a record whose MAC is good but whose padding is not', () => {
    const content = testBytes(20, 4);
    // content || [MAC] || padding whose first byte is wrong.
    let fragment: Buffer;
    if (etm) {
      const pad = padding(content.length);
      pad[0] = (pad[0] ?? 0) ^ 1;
      const ciphertext = aesCbc(Buffer.concat([content, pad]));
      const mac = createHmac('sha256', MAC_KEY).update(Buffer.concat([macHeader(1, 0, 23, 16 + ciphertext.length), FIXED_IV, ciphertext])).digest();
      fragment = Buffer.concat([FIXED_IV, ciphertext, mac]);
    } else {
      const mac = createHmac('sha256', MAC_KEY).update(Buffer.concat([macHeader(1, 0, 23, content.length), content])).digest();
      const pad = padding(content.length + 32);
      pad[0] = (pad[0] ?? 0) ^ 1;
      fragment = Buffer.concat([FIXED_IV, aesCbc(Buffer.concat([content, mac, pad]))]);
    }
    const layer = reader(cbcKeys(nodeCryptoProvider, etm));
    expect(layer.open(encodeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 0 }, new Uint8Array(fragment)))).toEqual([]);
    expect(layer.stats.badMac).toBe(1);
  });

  it('drops records whose length no CBC record can have (counted as dropped)', () => {
    const layer = reader(cbcKeys(nodeCryptoProvider, etm));
    // Empty, one IV only, a partial block, and (EtM) a MAC with no ciphertext.
    for (const length of [0, 16, 16 + 17, 16 + 32, 16 + 33]) {
      expect(layer.open(encodeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: length }, testBytes(length, 5))), `length ${length}`).toEqual([]);
    }
    expect(layer.stats.dropped + layer.stats.badMac).toBe(5);
    expect(layer.stats.dropped).toBeGreaterThanOrEqual(3);
  });

  it('a MAC-then-encrypt reader does not open encrypt-then-MAC records, nor the reverse', () => {
    const writer = new RecordLayer();
    writer.setWriteKeys(cbcKeys(nodeCryptoProvider, etm));
    const layer = reader(cbcKeys(nodeCryptoProvider, !etm));
    for (let i = 0; i < 10; i++) expect(layer.open(writer.seal(ContentType.application_data, testBytes(10 * i, i)))).toEqual([]);
  });
});

describe('CBC key block (RFC 5246 6.3)', () => {
  it('cuts MAC keys first, then the encryption keys, and no IVs', () => {
    const suite = cipherSuiteByName('TLS_PSK_WITH_AES_128_CBC_SHA256');
    expect(suite?.cbc).toEqual({ cipher: 'aes-128-cbc', macHash: 'sha256', macLength: 32 });
    if (suite === undefined) return;
    const master = testBytes(48, 1);
    const cr = testBytes(32, 2);
    const sr = testBytes(32, 3);
    const block = prf(nodeCryptoProvider, 'sha256', master, 'key expansion', concatBytes(sr, cr), 2 * 32 + 2 * 16);
    const keys = keyBlock(nodeCryptoProvider, suite, master, cr, sr);
    expect(keys.clientWriteMacKey).toEqual(block.slice(0, 32));
    expect(keys.serverWriteMacKey).toEqual(block.slice(32, 64));
    expect(keys.clientWriteKey).toEqual(block.slice(64, 80));
    expect(keys.serverWriteKey).toEqual(block.slice(80, 96));
    expect(keys.clientWriteIv).toHaveLength(0);
    expect(keys.serverWriteIv).toHaveLength(0);
  });
});
