import { MAX_CIPHERTEXT_LENGTH, RECORD_HEADER_LENGTH, decodeRecordHeader } from './record-header.js';
import type { RecordHeader } from './record-header.js';

/** One record as framed in a datagram, not yet checked or decrypted. */
export interface RawRecord {
  header: RecordHeader;
  /** A view into the datagram (no copy): copy it before keeping it past the datagram's life. */
  fragment: Uint8Array;
}

/**
 * Splits a datagram into its records: a datagram may carry several (RFC 6347 4.1.1).
 * A record that is truncated or whose length exceeds 2^14 + 2048 (RFC 5246 6.2.3) ends the
 * parse: it and everything after it are discarded silently (RFC 6347 4.1.2.7). Never throws.
 */
export function splitRecords(datagram: Uint8Array): RawRecord[] {
  const records: RawRecord[] = [];
  let offset = 0;
  for (;;) {
    const header = decodeRecordHeader(datagram, offset);
    if (header === undefined) break;
    if (header.length > MAX_CIPHERTEXT_LENGTH) break;
    const start = offset + RECORD_HEADER_LENGTH;
    const end = start + header.length;
    if (end > datagram.length) break;
    records.push({ header, fragment: datagram.subarray(start, end) });
    offset = end;
  }
  return records;
}

/**
 * The header of the first record of a datagram, or undefined when the datagram does not
 * start with a whole record. A stateless server uses it to answer a ClientHello with the
 * same record sequence number (RFC 6347 4.2.1) without keeping any state.
 */
export function firstRecordHeader(datagram: Uint8Array): RecordHeader | undefined {
  const header = decodeRecordHeader(datagram, 0);
  if (header === undefined || header.length > MAX_CIPHERTEXT_LENGTH) return undefined;
  if (RECORD_HEADER_LENGTH + header.length > datagram.length) return undefined;
  return header;
}

/** The record sequence number of the first record of a datagram (see firstRecordHeader). */
export function firstRecordSequenceNumber(datagram: Uint8Array): number | undefined {
  return firstRecordHeader(datagram)?.sequenceNumber;
}
