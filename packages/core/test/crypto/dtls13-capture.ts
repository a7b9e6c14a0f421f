/**
 * Just enough of DTLS 1.3's wire format to read a capture in a key-schedule test, written from
 * RFC 9147 4 and kept apart from the record layer: the 13-byte DTLSPlaintext records of epoch 0,
 * the unified header of protected records (4: 001CSLEE), record-number decryption (4.2.3) and
 * AEAD opening (4, RFC 8446 5.2/5.3) of the five suites wolfSSL offers here, through node:crypto
 * (OpenSSL), not through our providers.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/bytes.js';

export interface CaptureDatagram {
  readonly dir: 'c2s' | 's2c';
  readonly bytes: Uint8Array;
}

export interface Capture {
  /** wolfSSL's name of the one suite both programs were given (-l). */
  readonly suite: string;
  readonly psk: Uint8Array;
  readonly identity: string;
  readonly server: string;
  readonly client: string;
  readonly datagrams: readonly CaptureDatagram[];
}

function stringField(v: unknown, name: string): string {
  const x: unknown = typeof v === 'object' && v !== null ? Object.entries(v).find(([k]) => k === name)?.[1] : undefined;
  if (typeof x !== 'string') throw new Error(`capture: no string field ${name}`);
  return x;
}

export function loadCapture(relativePath: string): Capture {
  const parsed: unknown = JSON.parse(readFileSync(new URL(`../fixtures/${relativePath}`, import.meta.url), 'utf8'));
  const list: unknown = typeof parsed === 'object' && parsed !== null && 'datagrams' in parsed ? parsed.datagrams : undefined;
  if (!Array.isArray(list)) throw new Error(`${relativePath}: no datagrams`);
  const datagrams = list.map((d: unknown): CaptureDatagram => ({
    dir: stringField(d, 'dir') === 'c2s' ? 'c2s' : 's2c',
    bytes: fromHex(stringField(d, 'hex')),
  }));
  const server = stringField(parsed, 'server');
  const suite = / -l (\S+)/.exec(server)?.[1];
  if (suite === undefined) throw new Error(`${relativePath}: no -l in the server command`);
  return {
    suite,
    psk: fromHex(stringField(parsed, 'psk')),
    identity: stringField(parsed, 'identity'),
    server,
    client: stringField(parsed, 'client'),
    datagrams,
  };
}

/** A DTLSPlaintext record (RFC 9147 4: epoch 0 keeps the 13-byte DTLS 1.2 header). */
export interface PlaintextRecord {
  readonly contentType: number;
  readonly epoch: number;
  readonly sequence: number;
  readonly fragment: Uint8Array;
}

export function plaintextRecords(datagram: Uint8Array): PlaintextRecord[] {
  const out: PlaintextRecord[] = [];
  let o = 0;
  while (o + 13 <= datagram.length) {
    const length = (datagram[o + 11]! << 8) | datagram[o + 12]!;
    out.push({
      contentType: datagram[o]!,
      epoch: (datagram[o + 3]! << 8) | datagram[o + 4]!,
      sequence: Number(Buffer.from(datagram.subarray(o + 5, o + 11)).readUIntBE(0, 6)),
      fragment: datagram.subarray(o + 13, o + 13 + length),
    });
    o += 13 + length;
  }
  if (o !== datagram.length) throw new Error('datagram with trailing bytes');
  return out;
}

/** A protected record with its unified header (RFC 9147 4), the sequence number still masked. */
export interface UnifiedRecord {
  /** The low two bits of the epoch (EE). */
  readonly epochBits: number;
  /** The header as on the wire. */
  readonly header: Uint8Array;
  /** Where the (masked) sequence number sits in the header, and its length (1 or 2 bytes). */
  readonly seqOffset: number;
  readonly seqLength: number;
  readonly ciphertext: Uint8Array;
}

export function unifiedRecords(datagram: Uint8Array): UnifiedRecord[] {
  const out: UnifiedRecord[] = [];
  let o = 0;
  while (o < datagram.length) {
    const first = datagram[o]!;
    if ((first & 0xe0) !== 0x20) throw new Error(`not a unified header: 0x${first.toString(16)}`);
    if ((first & 0x10) !== 0) throw new Error('connection IDs are not expected in this capture');
    const seqLength = (first & 0x08) !== 0 ? 2 : 1;
    const lengthPresent = (first & 0x04) !== 0;
    let at = o + 1 + seqLength;
    let length: number;
    if (lengthPresent) {
      length = (datagram[at]! << 8) | datagram[at + 1]!;
      at += 2;
    } else {
      length = datagram.length - at;
    }
    out.push({
      epochBits: first & 0x03,
      header: datagram.slice(o, at),
      seqOffset: 1,
      seqLength,
      ciphertext: datagram.subarray(at, at + length),
    });
    o = at + length;
  }
  return out;
}

/** The record protection of a DTLS 1.3 cipher suite, as far as reading a capture needs it. */
export interface CaptureSuite {
  readonly name: string;
  readonly hash: 'sha256' | 'sha384';
  readonly keyLength: number;
  /** RFC 9147 4.2.3: the record-number mask, from the first 16 ciphertext bytes. */
  readonly mask: (snKey: Uint8Array, sample: Uint8Array) => Uint8Array;
  /** The AEAD (RFC 8446 5.2), through node:crypto; null when the tag does not verify. */
  readonly open: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => Uint8Array | null;
}

/** RFC 9147 4.2.3: for AES-based AEADs, Mask = AES-ECB(sn_key, Ciphertext[0..15]). */
function aesMask(snKey: Uint8Array, sample: Uint8Array): Uint8Array {
  const ecb = createCipheriv(snKey.length === 32 ? 'aes-256-ecb' : 'aes-128-ecb', snKey, null).setAutoPadding(false);
  return ecb.update(sample);
}

/**
 * RFC 9147 4.2.3: for ChaCha20-Poly1305, Mask = ChaCha20(sn_key, counter = Ciphertext[0..3],
 * nonce = Ciphertext[4..15]), the counter read as ChaCha20 reads its words (little-endian, RFC
 * 8439 2.3): OpenSSL's chacha20 takes exactly that 16-byte counter || nonce.
 */
export function rfcChachaMask(snKey: Uint8Array, sample: Uint8Array): Uint8Array {
  return createCipheriv('chacha20', snKey, sample).update(new Uint8Array(16));
}

/**
 * wolfSSL 5.5.4's ChaCha20 mask: it means the same, but its `#ifdef BIG_ENDIAN` byte swap
 * (src/dtls13.c, Dtls13GetRnMask) is taken on little-endian glibc too, whose <endian.h> defines
 * BIG_ENDIAN as a constant: the counter is read big-endian. Later wolfSSL reads it with ato32le.
 */
export function wolfSsl554ChachaMask(snKey: Uint8Array, sample: Uint8Array): Uint8Array {
  const iv = Uint8Array.from(sample);
  iv.set(sample.slice(0, 4).reverse(), 0);
  return createCipheriv('chacha20', snKey, iv).update(new Uint8Array(16));
}

function openGcm(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const d = createDecipheriv(key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return finish(() => Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
}

/** AES-128-CCM with a 16-byte tag (TLS_AES_128_CCM_SHA256) or an 8-byte one (TLS_AES_128_CCM_8_SHA256). */
function openCcm(tagLength: number): CaptureSuite['open'] {
  return (key, nonce, aad, sealed) => {
    const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: tagLength });
    d.setAuthTag(sealed.subarray(sealed.length - tagLength));
    d.setAAD(aad, { plaintextLength: sealed.length - tagLength });
    return finish(() => Buffer.concat([d.update(sealed.subarray(0, sealed.length - tagLength)), d.final()]));
  };
}

function openChaCha(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAAD(aad, { plaintextLength: sealed.length - 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return finish(() => Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
}

function finish(f: () => Uint8Array): Uint8Array | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** RFC 8446 B.4 suites as wolfSSL names them (-l). */
export const CAPTURE_SUITES: Readonly<Record<string, CaptureSuite>> = {
  'TLS13-AES128-GCM-SHA256': { name: 'TLS_AES_128_GCM_SHA256', hash: 'sha256', keyLength: 16, mask: aesMask, open: openGcm },
  'TLS13-AES256-GCM-SHA384': { name: 'TLS_AES_256_GCM_SHA384', hash: 'sha384', keyLength: 32, mask: aesMask, open: openGcm },
  'TLS13-CHACHA20-POLY1305-SHA256': { name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'sha256', keyLength: 32, mask: wolfSsl554ChachaMask, open: openChaCha },
  'TLS13-AES128-CCM-SHA256': { name: 'TLS_AES_128_CCM_SHA256', hash: 'sha256', keyLength: 16, mask: aesMask, open: openCcm(16) },
  'TLS13-AES128-CCM-8-SHA256': { name: 'TLS_AES_128_CCM_8_SHA256', hash: 'sha256', keyLength: 16, mask: aesMask, open: openCcm(8) },
};

/** The real sequence number's low bytes: the wire bytes XOR the first bytes of the mask (RFC 9147 4.2.3). */
export function unmaskSequence(record: UnifiedRecord, suite: CaptureSuite, snKey: Uint8Array): number {
  const mask = suite.mask(snKey, record.ciphertext.subarray(0, 16));
  let seq = 0;
  for (let i = 0; i < record.seqLength; i++) seq = (seq << 8) | (record.header[record.seqOffset + i]! ^ mask[i]!);
  return seq;
}

/** The header with the sequence number in the clear (what the AEAD authenticates, RFC 9147 4). */
export function headerWithSequence(record: UnifiedRecord, seq: number): Uint8Array {
  const h = record.header.slice();
  for (let i = 0; i < record.seqLength; i++) h[record.seqOffset + i] = (seq >>> (8 * (record.seqLength - 1 - i))) & 0xff;
  return h;
}

/** RFC 8446 5.3: nonce = iv XOR the 64-bit record sequence number, left-padded. */
export function recordNonce(iv: Uint8Array, sequence: bigint): Uint8Array {
  const nonce = iv.slice();
  for (let i = 0; i < 8; i++) nonce[nonce.length - 1 - i]! ^= Number((sequence >> BigInt(8 * i)) & 0xffn);
  return nonce;
}

/** DTLSInnerPlaintext (RFC 9147 4): content || type || zeros; the type is the last non-zero byte. */
export function innerPlaintext(plain: Uint8Array): { contentType: number; content: Uint8Array } {
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  if (end === 0) throw new Error('DTLSInnerPlaintext without a content type');
  return { contentType: plain[end - 1]!, content: plain.subarray(0, end - 1) };
}
