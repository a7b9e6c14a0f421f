import { viewOf } from '../bytes.js';
import { UNIFIED_HEADER_FIXED_BITS, UNIFIED_HEADER_FIXED_MASK } from './dtls13-demultiplex.js';

/*
 * RFC 9147 4, figure 3 — the DTLS 1.3 unified header:
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+
 *   |0|0|1|C|S|L|E E|
 *   +-+-+-+-+-+-+-+-+
 *   | Connection ID |   C: a connection ID is present (its length is not on the wire: the
 *   | (if any,      |      receiver knows the length of the CID it chose)
 *   /  length as    /   S: 0 = 8-bit sequence number, 1 = 16-bit
 *   |  negotiated)  |   L: the 16-bit length is present; without it the record runs to the end
 *   +-+-+-+-+-+-+-+-+      of the datagram (and MUST be the last record in it)
 *   |  8 or 16 bit  |   E: the two low bits of the epoch
 *   |Sequence Number|
 *   +-+-+-+-+-+-+-+-+
 *   | 16 bit Length |
 *   | (if present)  |
 *   +-+-+-+-+-+-+-+-+
 *
 *   struct { opaque unified_hdr[variable]; opaque encrypted_record[length]; } DTLSCiphertext;
 */

export const C_BIT = 0b0001_0000;
export const S_BIT = 0b0000_1000;
export const L_BIT = 0b0000_0100;
export const EPOCH_BITS_MASK = 0b0000_0011;

/**
 * RFC 8446 5.2: "The length MUST NOT exceed 2^14 + 256 bytes" (the encrypted_record); RFC 9147 4
 * keeps TLS 1.3's record payload protection.
 */
export const MAX_DTLS13_CIPHERTEXT_LENGTH = 2 ** 14 + 256;

export interface UnifiedHeader {
  /** The two low bits of the epoch (E E). */
  readonly epochBits: number;
  /** The connection ID (C bit set); empty when the header carries none. */
  readonly connectionId: Uint8Array;
  /** 1 or 2: bytes of the sequence number field (the S bit). */
  readonly sequenceNumberLength: 1 | 2;
  /** The low 8 or 16 bits of the record sequence number as on the wire (encrypted, RFC 9147 4.2.3). */
  readonly sequenceNumberBits: number;
  /** Whether the 16-bit length is present (the L bit). */
  readonly lengthPresent: boolean;
}

/** One DTLSCiphertext record framed in a datagram: views, no copies. */
export interface FramedUnifiedRecord {
  readonly header: UnifiedHeader;
  /** Offset of the record's first byte in the datagram. */
  readonly offset: number;
  /** The header as it came (sequence number still encrypted). */
  readonly headerBytes: Uint8Array;
  /** encrypted_record. */
  readonly encryptedRecord: Uint8Array;
  /** Offset of the first byte after the record. */
  readonly end: number;
}

/** Bytes of a unified header with these fields. */
export function unifiedHeaderLength(connectionIdLength: number, sequenceNumberLength: 1 | 2, lengthPresent: boolean): number {
  return 1 + connectionIdLength + sequenceNumberLength + (lengthPresent ? 2 : 0);
}

/**
 * Writes the header of a record whose encrypted_record is `recordLength` bytes at `offset` of `out`
 * (which must have room); returns the bytes written. The sequence number bits are written as
 * given: the caller encrypts them once the record is sealed (RFC 9147 4.2.3).
 */
export function encodeUnifiedHeader(header: UnifiedHeader, recordLength: number, out: Uint8Array, offset: number): number {
  const { epochBits, connectionId, sequenceNumberLength, sequenceNumberBits, lengthPresent } = header;
  if (!Number.isInteger(epochBits) || epochBits < 0 || epochBits > 3) throw new RangeError(`epoch bits are 2 bits, got ${epochBits}`);
  const seqLimit = sequenceNumberLength === 2 ? 0xffff : 0xff;
  if (!Number.isInteger(sequenceNumberBits) || sequenceNumberBits < 0 || sequenceNumberBits > seqLimit) {
    throw new RangeError(`a ${sequenceNumberLength * 8}-bit sequence number field cannot hold ${sequenceNumberBits}`);
  }
  if (connectionId.length > 255) throw new RangeError(`a connection ID is at most 255 bytes, got ${connectionId.length}`);
  if (lengthPresent && (!Number.isInteger(recordLength) || recordLength < 0 || recordLength > 0xffff)) {
    throw new RangeError(`record length out of range: ${recordLength}`);
  }
  let at = offset;
  out[at++] =
    UNIFIED_HEADER_FIXED_BITS |
    (connectionId.length > 0 ? C_BIT : 0) |
    (sequenceNumberLength === 2 ? S_BIT : 0) |
    (lengthPresent ? L_BIT : 0) |
    epochBits;
  out.set(connectionId, at);
  at += connectionId.length;
  if (sequenceNumberLength === 2) out[at++] = (sequenceNumberBits >>> 8) & 0xff;
  out[at++] = sequenceNumberBits & 0xff;
  if (lengthPresent) {
    out[at++] = (recordLength >>> 8) & 0xff;
    out[at++] = recordLength & 0xff;
  }
  return at - offset;
}

/** The connection ID of a record without one (length 0: nothing in it can change). */
const NO_CONNECTION_ID = new Uint8Array(0);

/**
 * The DTLSCiphertext record at `offset` of a datagram, or undefined when there is none to read:
 * the first byte is not 001xxxxx, the header or the record is truncated, the length exceeds
 * 2^14 + 256 (RFC 8446 5.2), or the C bit is set while we gave the peer no CID
 * (`connectionIdLength` 0: "If no CID is negotiated, then the receiver MUST reject any records it
 * receives that contain a CID", RFC 9147 9). Without the L bit the record is the rest of the
 * datagram. Never throws.
 */
export function frameUnifiedRecord(datagram: Uint8Array, offset: number, connectionIdLength: number): FramedUnifiedRecord | undefined {
  if (offset < 0 || offset >= datagram.length) return undefined;
  const first = datagram[offset] ?? 0;
  if ((first & UNIFIED_HEADER_FIXED_MASK) !== UNIFIED_HEADER_FIXED_BITS) return undefined;
  const hasCid = (first & C_BIT) !== 0;
  if (hasCid && connectionIdLength <= 0) return undefined;
  const cidLength = hasCid ? connectionIdLength : 0;
  const sequenceNumberLength: 1 | 2 = (first & S_BIT) !== 0 ? 2 : 1;
  const lengthPresent = (first & L_BIT) !== 0;
  const headerLength = unifiedHeaderLength(cidLength, sequenceNumberLength, lengthPresent);
  if (datagram.length - offset < headerLength) return undefined;
  let at = offset + 1;
  // Most records carry no CID: they share one empty array (slice() would make an ArrayBuffer per record).
  const connectionId = cidLength === 0 ? NO_CONNECTION_ID : datagram.slice(at, at + cidLength);
  at += cidLength;
  let sequenceNumberBits = datagram[at++] ?? 0;
  if (sequenceNumberLength === 2) sequenceNumberBits = (sequenceNumberBits << 8) | (datagram[at++] ?? 0);
  let end: number;
  if (lengthPresent) {
    const length = ((datagram[at] ?? 0) << 8) | (datagram[at + 1] ?? 0);
    at += 2;
    end = at + length;
    if (end > datagram.length) return undefined;
  } else {
    end = datagram.length;
  }
  if (end - at > MAX_DTLS13_CIPHERTEXT_LENGTH) return undefined;
  return {
    header: { epochBits: first & EPOCH_BITS_MASK, connectionId, sequenceNumberLength, sequenceNumberBits, lengthPresent },
    offset,
    headerBytes: viewOf(datagram, offset, at),
    encryptedRecord: viewOf(datagram, at, end),
    end,
  };
}
