import type { RawRecord } from './datagram.js';
import type { RecordHeader } from './record-header.js';

/** The content and content type inside a protected record, once the format has unwrapped them. */
export interface InnerRecord {
  readonly type: number;
  readonly payload: Uint8Array;
}

/**
 * How the records of one epoch look on the wire, in one direction. The record layer keeps one
 * per read epoch and one per write epoch, so a connection can change format when it changes
 * keys: RFC 9146 (DTLS 1.2 Connection ID) puts its tls12_cid records only in protected epochs,
 * RFC 9147 4 (DTLS 1.3) uses the unified header from the handshake epoch on, and both keep the
 * 13-byte DTLSPlaintext header in epoch 0.
 *
 * It covers what differs between those formats: the header codec and its length, whether the
 * header carries a connection ID, whether the protected plaintext is an inner plaintext (content,
 * then the real content type, then zero padding: RFC 9146 4, RFC 9147 4), and how the AEAD
 * additional data is built (RFC 5246 6.2.3.3 / RFC 9146 5 / RFC 9147 4 differ). The AEAD
 * nonce stays with the epoch's keys (EpochKeys).
 *
 * The ProtocolVersion written in a record is the format's too: each epoch's records carry their
 * format's version, so a version change needs no setting that applies to every epoch at once (RFC
 * 9147 4's unified header carries none at all; its epoch-0 DTLSPlaintext records keep {254, 253}).
 *
 * Implementations are stateless values: one per CID, not one per record.
 */
export interface RecordFormat {
  /** For errors, traces and tests: e.g. 'dtls12'. */
  readonly name: string;
  /**
   * The ProtocolVersion this format writes in the header of every record it seals, and in the
   * AEAD additional data where that includes it (DTLS 1.2: {254, 253}, RFC 6347 4.1). The record
   * layer hands it to encodeHeader and additionalData in the header; a format whose header has no
   * version field ignores it.
   */
  readonly version: number;
  /** Bytes of the header of every record this format writes (DTLS 1.2: 13). */
  readonly headerLength: number;
  /**
   * The connection ID the header carries (RFC 9146 3): in a write format the peer's, in a read
   * format ours. Empty when the format carries none.
   */
  readonly connectionId: Uint8Array;
  /**
   * Bytes the inner plaintext adds to a payload at most (the inner content type and padding);
   * 0 when the plaintext is the payload itself. Bounds what a record may carry, and what a flight
   * must leave room for.
   */
  readonly innerPlaintextExpansion: number;
  /**
   * Whether a record that starts with this byte is framed by this format. A datagram may mix
   * formats (RFC 6347 4.1.1: several records per datagram, e.g. an epoch-0 record and a protected
   * one), so the first byte of each record decides which format reads its header.
   */
  frames(firstByte: number): boolean;
  /**
   * The record at `offset` of a datagram: its header and a view of its fragment (no copy); undefined
   * when no whole record is there or its length exceeds what RFC 5246 6.2.3 allows, which ends the
   * parse of the datagram (RFC 6347 4.1.2.7). Never throws.
   */
  frame(datagram: Uint8Array, offset: number): RawRecord | undefined;
  /** Whether a framed record's version and content type are ones this format carries; the others are dropped (RFC 6347 4.1.2.7). */
  accepts(header: RecordHeader): boolean;
  /** Writes the header (headerLength bytes) of a record at `offset` of `out`. */
  encodeHeader(header: RecordHeader, out: Uint8Array, offset: number): void;
  /**
   * The AEAD additional data of a protected record with this header whose AEAD plaintext is
   * `plaintextLength` bytes. Given `scratch` (MAX_ADDITIONAL_DATA_LENGTH bytes, or exactly the
   * additional data's length), a format may write the bytes at its start and return them (the
   * scratch itself when it is exactly their length, else a view) rather than allocate: the record
   * layer passes one scratch buffer for every record, since a fresh small array per record is
   * what node:crypto then copies off the V8 heap (a malloc and a free per record). Such a view is
   * valid only until the scratch is written again.
   */
  additionalData(header: RecordHeader, plaintextLength: number, scratch?: Uint8Array): Uint8Array;
  /** The content type written in the header of a protected record of this content type. */
  wireType(type: number): number;
  /**
   * The bytes the AEAD protects for a record of this content type (the payload itself, or an
   * inner plaintext). Given `scratch` (room for the payload and innerPlaintextExpansion), a format
   * may build the inner plaintext at its start and return a view of it rather than allocate; the
   * record layer seals it at once and clears the scratch.
   */
  innerPlaintext(type: number, payload: Uint8Array, scratch?: Uint8Array): Uint8Array;
  /** The content and its content type from a decrypted record; undefined when it is malformed (dropped). */
  openInnerPlaintext(wireType: number, plaintext: Uint8Array): InnerRecord | undefined;
}

/**
 * The longest additional data of a format we implement: tls12_cid's 23 bytes around a CID of
 * at most 255 (RFC 9146 5.3); DTLS 1.2's is 13 (RFC 6347 4.1.2.1).
 */
export const MAX_ADDITIONAL_DATA_LENGTH = 23 + 255;

/**
 * The format that frames a record starting with `firstByte`: the first of `formats` that claims
 * it (so a specific format, listed first, wins over a catch-all one), or undefined.
 */
export function formatFraming(formats: readonly RecordFormat[], firstByte: number): RecordFormat | undefined {
  for (const f of formats) if (f.frames(firstByte)) return f;
  return undefined;
}
