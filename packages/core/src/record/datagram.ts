import { DTLS12_RECORD_FORMAT } from './dtls12-record-format.js';
import { formatFraming, type RecordFormat } from './record-format.js';
import type { RecordHeader } from './record-header.js';

/** One record as framed in a datagram, not yet checked or decrypted. */
export interface RawRecord {
  header: RecordHeader;
  /** A view into the datagram (no copy): copy it before keeping it past the datagram's life. */
  fragment: Uint8Array;
  /** Bytes of the header in front of the fragment, as the format that framed it read them. */
  headerLength: number;
  /** The format that framed it: a record is read only in an epoch of that format. */
  format: RecordFormat;
}

const DTLS12_ONLY: readonly RecordFormat[] = [DTLS12_RECORD_FORMAT];

/**
 * Splits a datagram into its records: a datagram may carry several (RFC 6347 4.1.1). Each record
 * is framed by the first of `formats` that claims its first byte (the formats of the epochs being
 * read; by default DTLS 1.2's 13-byte header). A record that is truncated, whose length exceeds
 * what RFC 5246 6.2.3 allows, or that no format frames ends the parse: it and everything after it
 * are discarded silently (RFC 6347 4.1.2.7). Never throws.
 */
export function splitRecords(datagram: Uint8Array, formats: readonly RecordFormat[] = DTLS12_ONLY): RawRecord[] {
  const records: RawRecord[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const format = formatFraming(formats, datagram[offset] ?? 0);
    const raw = format?.frame(datagram, offset);
    if (raw === undefined) break;
    records.push(raw);
    offset += raw.headerLength + raw.fragment.length;
  }
  return records;
}

/**
 * The header of the first record of a datagram, or undefined when the datagram does not
 * start with a whole record. A stateless server uses it to answer a ClientHello with the
 * same record sequence number (RFC 6347 4.2.1) without keeping any state; a ClientHello is
 * always in epoch 0, whose records have the DTLS 1.2 header.
 */
export function firstRecordHeader(datagram: Uint8Array): RecordHeader | undefined {
  return DTLS12_RECORD_FORMAT.frame(datagram, 0)?.header;
}

/** The record sequence number of the first record of a datagram (see firstRecordHeader). */
export function firstRecordSequenceNumber(datagram: Uint8Array): number | undefined {
  return firstRecordHeader(datagram)?.sequenceNumber;
}
