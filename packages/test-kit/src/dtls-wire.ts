/**
 * A read-only look at DTLS datagrams as they cross the wire, for fault injection: which
 * records a datagram holds and, for plaintext handshake records, which message. Nothing here
 * decrypts; records of epoch > 0 are opaque (their handshake type is unknown), and a DTLS 1.3
 * record with a unified header hides even its content type (RFC 9147 4).
 *
 * RFC 6347 4.1: DTLSPlaintext = type(1) version(2) epoch(2) sequence_number(6) length(2),
 * several records may share a datagram. 4.2.2: the handshake header is msg_type(1) length(3)
 * message_seq(2) fragment_offset(3) fragment_length(3).
 */

export const CONTENT_TYPE = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  /** RFC 9147 7 (DTLS 1.3): seen only once a unified-header record is opened. */
  ack: 26,
} as const;

export const HANDSHAKE_TYPE = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

export const RECORD_HEADER_LENGTH = 13;
/**
 * The content type of a DTLS 1.3 unified-header record as the wire shows it: none (RFC 9147 4,
 * the real one is inside the encryption). 0 is TLS's invalid(0) (RFC 8446 B.1), never on a record.
 */
export const HIDDEN_CONTENT_TYPE = 0;
export const HANDSHAKE_HEADER_LENGTH = 12;

export interface WireRecord {
  /** Offset of the record header in the datagram. */
  readonly offset: number;
  /** HIDDEN_CONTENT_TYPE for a DTLS 1.3 unified-header record, unless someone who can open it revealed it. */
  readonly contentType: number;
  /** A DTLS 1.3 unified-header record: epoch and sequence are only their low bits (RFC 9147 4). */
  readonly unified: boolean;
  /** 13 for a DTLSPlaintext/1.2 DTLSCiphertext header; 2 to 5 (plus a CID) for a unified one. */
  readonly headerLength: number;
  readonly epoch: number;
  /** The 48-bit sequence number (exact: it fits a double). */
  readonly sequence: number;
  /** The record's body length as the header says (a unified header without length: to the end of the datagram). */
  readonly length: number;
  /** Header and body are whole inside the datagram. */
  readonly complete: boolean;
  /** For an epoch-0 handshake record: the handshake message type. */
  readonly handshakeType: number | undefined;
  /** The whole handshake message's length (a fragment carries fragmentLength of it). */
  readonly messageLength: number | undefined;
  readonly messageSeq: number | undefined;
  readonly fragmentOffset: number | undefined;
  readonly fragmentLength: number | undefined;
}

/** The records of a datagram, in order; parsing stops at the first header that does not fit. */
export function parseRecords(datagram: Uint8Array, connectionIdLength = 0): WireRecord[] {
  const records: WireRecord[] = [];
  let at = 0;
  // Bounded by the datagram: each step consumes at least a header.
  while (at < datagram.length) {
    if (((datagram[at] ?? 0) & UNIFIED_FIXED_MASK) === UNIFIED_FIXED_BITS) {
      const unified = unifiedRecordAt(datagram, at, connectionIdLength);
      if (unified === undefined) break;
      records.push(unified);
      at = unified.offset + unified.headerLength + unified.length;
      continue;
    }
    if (at + RECORD_HEADER_LENGTH > datagram.length) break;
    const contentType = byte(datagram, at);
    const epoch = (byte(datagram, at + 3) << 8) | byte(datagram, at + 4);
    let sequence = 0;
    for (let i = 5; i < 11; i++) sequence = sequence * 256 + byte(datagram, at + i);
    const length = (byte(datagram, at + 11) << 8) | byte(datagram, at + 12);
    const bodyAt = at + RECORD_HEADER_LENGTH;
    const complete = bodyAt + length <= datagram.length;
    let handshakeType: number | undefined;
    let messageLength: number | undefined;
    let messageSeq: number | undefined;
    let fragmentOffset: number | undefined;
    let fragmentLength: number | undefined;
    if (contentType === CONTENT_TYPE.handshake && epoch === 0 && length >= HANDSHAKE_HEADER_LENGTH && bodyAt + HANDSHAKE_HEADER_LENGTH <= datagram.length) {
      handshakeType = byte(datagram, bodyAt);
      messageLength = uint24(datagram, bodyAt + 1);
      messageSeq = (byte(datagram, bodyAt + 4) << 8) | byte(datagram, bodyAt + 5);
      fragmentOffset = uint24(datagram, bodyAt + 6);
      fragmentLength = uint24(datagram, bodyAt + 9);
    }
    records.push({ offset: at, contentType, unified: false, headerLength: RECORD_HEADER_LENGTH, epoch, sequence, length, complete, handshakeType, messageLength, messageSeq, fragmentOffset, fragmentLength });
    at = bodyAt + length;
  }
  return records;
}

/** RFC 9147 4: the first byte of a unified header is 0b001CSLEE. */
const UNIFIED_FIXED_MASK = 0xe0;
const UNIFIED_FIXED_BITS = 0x20;
const UNIFIED_C_BIT = 0x10;
const UNIFIED_S_BIT = 0x08;
const UNIFIED_L_BIT = 0x04;

/**
 * A DTLS 1.3 unified-header record at `at` (RFC 9147 4): flags, connection ID (whose length the
 * header does not say: the reader must know it), 8 or 16 low bits of the sequence number, and a
 * 16-bit length unless L is clear, when the record runs to the end of the datagram. Undefined
 * when the header does not fit or carries a CID of unknown length.
 */
function unifiedRecordAt(datagram: Uint8Array, at: number, connectionIdLength: number): WireRecord | undefined {
  const first = byte(datagram, at);
  const hasCid = (first & UNIFIED_C_BIT) !== 0;
  if (hasCid && connectionIdLength <= 0) return undefined;
  const sequenceLength = (first & UNIFIED_S_BIT) !== 0 ? 2 : 1;
  const lengthPresent = (first & UNIFIED_L_BIT) !== 0;
  const seqAt = at + 1 + (hasCid ? connectionIdLength : 0);
  const headerLength = seqAt - at + sequenceLength + (lengthPresent ? 2 : 0);
  if (at + headerLength > datagram.length) return undefined;
  const sequence = sequenceLength === 2 ? (byte(datagram, seqAt) << 8) | byte(datagram, seqAt + 1) : byte(datagram, seqAt);
  const bodyAt = at + headerLength;
  const length = lengthPresent ? (byte(datagram, bodyAt - 2) << 8) | byte(datagram, bodyAt - 1) : datagram.length - bodyAt;
  return {
    offset: at,
    contentType: HIDDEN_CONTENT_TYPE,
    unified: true,
    headerLength,
    epoch: first & 0x03,
    sequence,
    length,
    complete: bodyAt + length <= datagram.length,
    handshakeType: undefined,
    messageLength: undefined,
    messageSeq: undefined,
    fragmentOffset: undefined,
    fragmentLength: undefined,
  };
}

/** One handshake fragment's header (RFC 6347 4.2.2), as read from a plaintext record. */
export interface WireHandshakeFragment {
  readonly msgType: number;
  /** The whole message's length. */
  readonly length: number;
  readonly messageSeq: number;
  readonly fragmentOffset: number;
  readonly fragmentLength: number;
}

/**
 * Every handshake fragment of the epoch-0 handshake records of a datagram, in order: a record
 * may carry several (RFC 6347 4.2.3). Reading a record stops at a fragment that does not fit.
 */
export function handshakeFragments(datagram: Uint8Array): WireHandshakeFragment[] {
  const fragments: WireHandshakeFragment[] = [];
  for (const record of parseRecords(datagram)) {
    if (record.contentType !== CONTENT_TYPE.handshake || record.epoch !== 0 || !record.complete) continue;
    const end = record.offset + RECORD_HEADER_LENGTH + record.length;
    let at = record.offset + RECORD_HEADER_LENGTH;
    while (at + HANDSHAKE_HEADER_LENGTH <= end) {
      const fragmentLength = uint24(datagram, at + 9);
      if (at + HANDSHAKE_HEADER_LENGTH + fragmentLength > end) break;
      fragments.push({
        msgType: byte(datagram, at),
        length: uint24(datagram, at + 1),
        messageSeq: (byte(datagram, at + 4) << 8) | byte(datagram, at + 5),
        fragmentOffset: uint24(datagram, at + 6),
        fragmentLength,
      });
      at += HANDSHAKE_HEADER_LENGTH + fragmentLength;
    }
  }
  return fragments;
}

/** The bytes of one record (header and body) of a datagram. */
export function recordBytes(datagram: Uint8Array, record: WireRecord): Uint8Array {
  return datagram.subarray(record.offset, Math.min(datagram.length, record.offset + record.headerLength + record.length));
}

/** A short name for a record, for traces: "hs:ClientHello", "ccs", "app", "hs(e1)". */
export function describeRecord(record: WireRecord): string {
  switch (record.contentType) {
    case CONTENT_TYPE.changeCipherSpec:
      return 'ccs';
    case CONTENT_TYPE.alert:
      return record.epoch === 0 ? 'alert' : `alert(e${record.epoch})`;
    case CONTENT_TYPE.applicationData:
      return 'app';
    case CONTENT_TYPE.ack:
      return 'ack';
    case CONTENT_TYPE.handshake: {
      if (record.handshakeType === undefined) return `hs(e${record.epoch})`;
      const name = Object.entries(HANDSHAKE_TYPE).find(([, v]) => v === record.handshakeType)?.[0] ?? String(record.handshakeType);
      return `hs:${name}`;
    }
    case HIDDEN_CONTENT_TYPE:
      return `dtls13(e${record.epoch})`;
    default:
      return `type${record.contentType}`;
  }
}

function byte(data: Uint8Array, at: number): number {
  return data[at] ?? 0;
}

function uint24(data: Uint8Array, at: number): number {
  return (byte(data, at) << 16) | (byte(data, at + 1) << 8) | byte(data, at + 2);
}
