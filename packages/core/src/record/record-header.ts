/**
 * The DTLS 1.2 record header (RFC 6347 4.1):
 *
 *   struct {
 *     ContentType type;                 // 1 byte
 *     ProtocolVersion version;          // 2 bytes
 *     uint16 epoch;
 *     uint48 sequence_number;
 *     uint16 length;
 *     opaque fragment[length];
 *   } DTLSPlaintext;                    // DTLSCiphertext has the same header
 */

export const RECORD_HEADER_LENGTH = 13;

/** ProtocolVersion of DTLS 1.2 on the wire: {254, 253} (RFC 6347 4.1). */
export const DTLS_1_2_VERSION = 0xfefd;
/** ProtocolVersion of DTLS 1.0: {254, 255}; a client's first ClientHello record may carry it (RFC 6347 4.1). */
export const DTLS_1_0_VERSION = 0xfeff;

/** RFC 5246 6.2.1: DTLSPlaintext.length MUST NOT exceed 2^14. */
export const MAX_PLAINTEXT_LENGTH = 2 ** 14;
/** RFC 5246 6.2.3: DTLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
export const MAX_CIPHERTEXT_LENGTH = 2 ** 14 + 2048;
/** RFC 6347 4.1: sequence numbers are 48-bit and MUST NOT wrap. */
export const MAX_SEQUENCE_NUMBER = 2 ** 48 - 1;
/** RFC 6347 4.1: epochs are 16-bit. */
export const MAX_EPOCH = 0xffff;

export interface RecordHeader {
  type: number;
  version: number;
  epoch: number;
  /** 48-bit; exact in a JS number. */
  sequenceNumber: number;
  /** Length of the fragment that follows the header. */
  length: number;
  /** The connection ID a tls12_cid header carries (RFC 9146 4); absent from a DTLS 1.2 header. */
  connectionId?: Uint8Array;
}

/** Writes the 13-byte header at `offset` of `out` (which must have room for it). */
export function encodeRecordHeader(header: RecordHeader, out: Uint8Array, offset = 0): void {
  const seq = header.sequenceNumber;
  const seqHi = Math.floor(seq / 0x1_0000_0000);
  const seqLo = seq % 0x1_0000_0000;
  out[offset] = header.type & 0xff;
  out[offset + 1] = (header.version >>> 8) & 0xff;
  out[offset + 2] = header.version & 0xff;
  out[offset + 3] = (header.epoch >>> 8) & 0xff;
  out[offset + 4] = header.epoch & 0xff;
  out[offset + 5] = (seqHi >>> 8) & 0xff;
  out[offset + 6] = seqHi & 0xff;
  out[offset + 7] = (seqLo >>> 24) & 0xff;
  out[offset + 8] = (seqLo >>> 16) & 0xff;
  out[offset + 9] = (seqLo >>> 8) & 0xff;
  out[offset + 10] = seqLo & 0xff;
  out[offset + 11] = (header.length >>> 8) & 0xff;
  out[offset + 12] = header.length & 0xff;
}

/** A whole record: header (with `length` taken from the fragment) followed by the fragment. */
export function encodeRecord(header: Omit<RecordHeader, 'length'>, fragment: Uint8Array): Uint8Array {
  if (fragment.length > 0xffff) throw new RangeError(`record fragment too long: ${fragment.length}`);
  const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
  // The fields named, not `{ ...header, length }`: V8 (Node 20) gives each object spread and then
  // extended in optimized code a hidden class of its own (a slow copy, once per HelloVerifyRequest).
  encodeRecordHeader({ type: header.type, version: header.version, epoch: header.epoch, sequenceNumber: header.sequenceNumber, length: fragment.length }, out, 0);
  out.set(fragment, RECORD_HEADER_LENGTH);
  return out;
}

/**
 * Reads the 13-byte header at `offset`, or returns undefined when fewer than 13 bytes are
 * left. Never throws: the fields are returned as read, for the caller to judge.
 */
export function decodeRecordHeader(bytes: Uint8Array, offset = 0): RecordHeader | undefined {
  if (offset < 0 || bytes.length - offset < RECORD_HEADER_LENGTH) return undefined;
  const b = (i: number): number => bytes[offset + i] ?? 0;
  return {
    type: b(0),
    version: (b(1) << 8) | b(2),
    epoch: (b(3) << 8) | b(4),
    sequenceNumber: ((b(5) << 8) | b(6)) * 0x1_0000_0000 + (b(7) * 0x100_0000 + ((b(8) << 16) | (b(9) << 8) | b(10))),
    length: (b(11) << 8) | b(12),
  };
}
