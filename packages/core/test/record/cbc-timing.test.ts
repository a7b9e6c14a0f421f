/**
 * Lucky Thirteen (RFC 7457 2.4): without encrypt-then-MAC, a CBC record with a bad padding and one
 * with a good padding but a bad MAC must take the same time to reject, or the difference tells an
 * attacker about the plaintext. Measured here on the worst case for a naive implementation: a
 * record whose padding claims the maximum 256 bytes, valid in one record (so a naive MAC covers 32
 * bytes) and broken in the other (so a naive MAC covers 288 bytes, RFC 5246 6.2.3.2's "as if there
 * were a zero-length pad"). Interleaved batches, compared by their lower decile, with a generous
 * margin: the machine is shared (two cores, load around 10).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import type { CryptoProvider, HashAlgorithm } from '../../src/crypto/provider.js';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { openCbcRecord, type CbcEpochKeys } from '../../src/record/cbc-record.js';
import { DTLS12_RECORD_FORMAT } from '../../src/record/dtls12-record-format.js';
import { ADDITIONAL_DATA_SCRATCH } from '../../src/record/aead-scratch.js';
import type { RecordHeader } from '../../src/record/record-header.js';

const KEY = new Uint8Array(randomBytes(16));
const MAC_KEY = new Uint8Array(randomBytes(32));
const KEYS: CbcEpochKeys = {
  cbc: nodeCryptoProvider.cbc?.('aes-128-cbc', KEY) ?? (() => { throw new Error('node provider has no AES-CBC'); })(),
  macKey: MAC_KEY,
  macHash: 'sha256',
  macLength: 32,
  encryptThenMac: false,
  recordIvLength: 16,
  provider: nodeCryptoProvider,
};

/** IV || AES-CBC(plaintext): a MAC-then-encrypt record's fragment. */
function fragmentOf(plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-128-cbc', KEY, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([iv, c.update(plaintext), c.final()]));
}

/** 32 bytes of content, 32 of (wrong) MAC, 256 of padding 0xff: `breakPadding` spoils one padding byte. */
function record(breakPadding: boolean): Uint8Array {
  const plaintext = new Uint8Array(320);
  plaintext.set(randomBytes(64), 0);
  plaintext.fill(0xff, 64);
  if (breakPadding) plaintext[100] = 0x00;
  return fragmentOf(plaintext);
}

const HEADER: RecordHeader = { type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 5, length: 336 };

function timeBatch(fragment: Uint8Array, count: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    if (openCbcRecord(KEYS, DTLS12_RECORD_FORMAT, HEADER, fragment, ADDITIONAL_DATA_SCRATCH) !== null) throw new Error('a bad record opened');
  }
  return Number(process.hrtime.bigint() - start) / count;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * q)] ?? Number.NaN;
}

/** SHA-2 compressions of an HMAC's inner hash over `length` bytes: key block, message, 0x80, length field (FIPS 180-4 5.1). */
function innerCompressions(hash: HashAlgorithm, length: number): number {
  const block = hash === 'sha256' ? 64 : 128;
  return Math.ceil((block + length + 1 + (hash === 'sha256' ? 8 : 16)) / block);
}

/** Keys whose provider counts the hash compressions of every HMAC it computes. */
function countingKeys(hash: HashAlgorithm, key: Uint8Array): { keys: CbcEpochKeys; compressions: () => number } {
  let total = 0;
  const provider: CryptoProvider = {
    ...nodeCryptoProvider,
    hmac(algorithm, k, data) {
      total += innerCompressions(algorithm, data.length);
      return nodeCryptoProvider.hmac(algorithm, k, data);
    },
  };
  const cbc = nodeCryptoProvider.cbc?.(hash === 'sha256' ? 'aes-128-cbc' : 'aes-256-cbc', key);
  if (cbc === undefined) throw new Error('node provider has no AES-CBC');
  const macLength = hash === 'sha256' ? 32 : 48;
  return {
    keys: { cbc, macKey: new Uint8Array(macLength), macHash: hash, macLength, encryptThenMac: false, recordIvLength: 16, provider },
    compressions: () => total,
  };
}

describe('MAC-then-encrypt does the same hashing work for every record of a length', () => {
  it.each(['sha256', 'sha384'] as const)('whatever the padding says or whether it is good (%s)', (hash) => {
    const key = new Uint8Array(randomBytes(hash === 'sha256' ? 16 : 32));
    for (const n of [64, 96, 160, 320, 512, 1024]) {
      const work = new Set<number>();
      for (let pad = 0; pad < 256; pad += 3) {
        for (const breakIt of [false, true]) {
          const plaintext = new Uint8Array(n);
          plaintext.set(randomBytes(n), 0);
          // padding_length `pad`: valid (if it fits) or with one wrong byte.
          const start = Math.max(0, n - pad - 1);
          plaintext.fill(pad, start);
          if (breakIt && start < n - 1) plaintext[start] = pad ^ 1;
          const iv = randomBytes(16);
          const c = createCipheriv(hash === 'sha256' ? 'aes-128-cbc' : 'aes-256-cbc', key, iv).setAutoPadding(false);
          const fragment = new Uint8Array(Buffer.concat([iv, c.update(plaintext), c.final()]));
          const counting = countingKeys(hash, key);
          const header: RecordHeader = { type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 1, length: fragment.length };
          expect(openCbcRecord(counting.keys, DTLS12_RECORD_FORMAT, header, fragment, ADDITIONAL_DATA_SCRATCH)).toBeNull();
          work.add(counting.compressions());
        }
      }
      expect([...work], `record of ${n} bytes`).toHaveLength(1);
    }
  });
});

describe('MAC-then-encrypt rejects bad padding and bad MACs in the same time', () => {
  it('interleaved batches agree within 15% (naive code would MAC 256 more bytes for a bad padding)', () => {
    const badMac = record(false);
    const badPadding = record(true);
    // Warm up both paths (JIT, node:crypto's contexts).
    timeBatch(badMac, 2000);
    timeBatch(badPadding, 2000);
    const macTimes: number[] = [];
    const padTimes: number[] = [];
    const deadline = Date.now() + 20_000;
    for (let round = 0; round < 100 && Date.now() < deadline; round++) {
      // Alternate which goes first, so a drift in machine load hits both alike.
      if (round % 2 === 0) {
        macTimes.push(timeBatch(badMac, 300));
        padTimes.push(timeBatch(badPadding, 300));
      } else {
        padTimes.push(timeBatch(badPadding, 300));
        macTimes.push(timeBatch(badMac, 300));
      }
    }
    // The lower decile of the batch means: on a loaded machine the median moves with the load of
    // the moment (another process taking the core); the fast batches are the code's own time.
    const mac = quantile(macTimes, 0.1);
    const pad = quantile(padTimes, 0.1);
    const medians = `medians ${quantile(macTimes, 0.5).toFixed(0)} / ${quantile(padTimes, 0.5).toFixed(0)} ns`;
    const ratio = Math.max(mac, pad) / Math.min(mac, pad);
    expect(ratio, `bad MAC ${mac.toFixed(0)} ns, bad padding ${pad.toFixed(0)} ns per record, lower decile (${medians}, ${macTimes.length} rounds)`).toBeLessThan(1.15);
  }, 60_000);
});
