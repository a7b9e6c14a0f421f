import { AlertDescription } from '../alert.js';
import { DecodeError, DtlsError } from '../errors.js';

/*
 * RFC 9147 7 — the ACK content type (26):
 *
 *   struct {
 *       uint64 epoch;
 *       uint64 sequence_number;
 *   } RecordNumber;
 *
 *   struct {
 *       RecordNumber record_numbers<0..2^16-1>;
 *   } ACK;
 */

export interface RecordNumber {
  readonly epoch: number;
  readonly sequenceNumber: number;
}

/** The content type of an ACK record (RFC 9147 7, 14). */
export const ACK_CONTENT_TYPE = 26;

const RECORD_NUMBER_LENGTH = 16;
/** record_numbers<0..2^16-1>: at most 4095 whole RecordNumbers fit. */
export const MAX_ACK_RECORD_NUMBERS = Math.floor(0xffff / RECORD_NUMBER_LENGTH);

function writeUint64(value: number, out: Uint8Array, at: number): void {
  const hi = Math.floor(value / 0x1_0000_0000);
  const lo = value % 0x1_0000_0000;
  for (let i = 0; i < 4; i++) {
    out[at + i] = (hi >>> (24 - 8 * i)) & 0xff;
    out[at + 4 + i] = (lo >>> (24 - 8 * i)) & 0xff;
  }
}

function readUint64(bytes: Uint8Array, at: number): number {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 4; i++) {
    hi = hi * 256 + (bytes[at + i] ?? 0);
    lo = lo * 256 + (bytes[at + 4 + i] ?? 0);
  }
  // A record number past 2^53 names no record we can have sent (our sequence numbers stop at 2^48).
  if (hi > 0x1f_ffff) throw new DtlsError(AlertDescription.illegal_parameter, 'ACK record number exceeds 2^53');
  return hi * 0x1_0000_0000 + lo;
}

/** The body of an ACK record listing `recordNumbers` (RFC 9147 7), in the order given. */
export function encodeAck(recordNumbers: readonly RecordNumber[]): Uint8Array {
  if (recordNumbers.length > MAX_ACK_RECORD_NUMBERS) throw new RangeError(`an ACK holds at most ${MAX_ACK_RECORD_NUMBERS} record numbers, got ${recordNumbers.length}`);
  const out = new Uint8Array(2 + recordNumbers.length * RECORD_NUMBER_LENGTH);
  const length = recordNumbers.length * RECORD_NUMBER_LENGTH;
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  recordNumbers.forEach((r, i) => {
    for (const v of [r.epoch, r.sequenceNumber]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`record number fields are non-negative integers, got ${v}`);
    }
    writeUint64(r.epoch, out, 2 + i * RECORD_NUMBER_LENGTH);
    writeUint64(r.sequenceNumber, out, 2 + i * RECORD_NUMBER_LENGTH + 8);
  });
  return out;
}

/**
 * The record numbers of an ACK body. decode_error when the vector's length is not a whole number
 * of RecordNumbers or disagrees with the body; illegal_parameter for a record number past 2^53;
 * at most `maxRecordNumbers` (default the 4095 the length field allows) are read, more is a
 * decode_error, so a caller may bound what one ACK costs.
 */
export function decodeAck(body: Uint8Array, maxRecordNumbers: number = MAX_ACK_RECORD_NUMBERS): RecordNumber[] {
  if (body.length < 2) throw new DecodeError(`ACK of ${body.length} bytes has no record_numbers length`);
  const length = ((body[0] ?? 0) << 8) | (body[1] ?? 0);
  if (length !== body.length - 2) throw new DecodeError(`ACK record_numbers length ${length} does not match the ${body.length - 2} bytes that follow`);
  if (length % RECORD_NUMBER_LENGTH !== 0) throw new DecodeError(`ACK record_numbers length ${length} is not a multiple of ${RECORD_NUMBER_LENGTH}`);
  const count = length / RECORD_NUMBER_LENGTH;
  if (count > maxRecordNumbers) throw new DecodeError(`ACK lists ${count} record numbers, more than the ${maxRecordNumbers} allowed`);
  const out: RecordNumber[] = [];
  for (let i = 0; i < count; i++) {
    const at = 2 + i * RECORD_NUMBER_LENGTH;
    out.push({ epoch: readUint64(body, at), sequenceNumber: readUint64(body, at + 8) });
  }
  return out;
}
