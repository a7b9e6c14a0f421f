/**
 * Just enough of DTLS 1.3's wire format to read a capture in a key-schedule test, written from
 * RFC 9147 4 and kept apart from the record layer: the 13-byte DTLSPlaintext records of epoch 0,
 * the unified header of protected records (4: 001CSLEE), record-number decryption (4.2.3) and
 * AEAD opening (4, RFC 8446 5.2/5.3) through node:crypto (OpenSSL), not through our providers.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/bytes.js';

export interface CaptureDatagram {
  readonly dir: 'c2s' | 's2c';
  readonly bytes: Uint8Array;
}

export interface Capture {
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
  return {
    psk: fromHex(stringField(parsed, 'psk')),
    identity: stringField(parsed, 'identity'),
    server: stringField(parsed, 'server'),
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

/**
 * RFC 9147 4.2.3: Mask = AES-ECB(sn_key, Ciphertext[0..15]); the sequence number on the wire is
 * the low bytes of the real one XORed with the first bytes of the mask.
 */
export function unmaskSequence(record: UnifiedRecord, snKey: Uint8Array): number {
  const ecb = createCipheriv(`aes-${snKey.length * 8}-ecb`, snKey, null).setAutoPadding(false);
  const mask = ecb.update(record.ciphertext.subarray(0, 16));
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

/** AES-GCM open through node:crypto; null when the tag does not verify. */
export function openAesGcm(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const d = createDecipheriv(key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

/** DTLSInnerPlaintext (RFC 9147 4): content || type || zeros; the type is the last non-zero byte. */
export function innerPlaintext(plain: Uint8Array): { contentType: number; content: Uint8Array } {
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  if (end === 0) throw new Error('DTLSInnerPlaintext without a content type');
  return { contentType: plain[end - 1]!, content: plain.subarray(0, end - 1) };
}
