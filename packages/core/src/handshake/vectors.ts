import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors.js';

/*
 * Vectors of fixed-size items (RFC 5246 4.3: `uint16 list<2..2^16-2>` counts bytes, not
 * items) and the range checks encoders make before writing. Decoders throw DecodeError;
 * encoders throw RangeError, since a value that cannot be encoded is the caller's bug.
 */

/** uint8 items in a vector with a 1-byte length: `T list<min..max>` (bounds in bytes). */
export function readUint8List(r: Reader, field: string, min: number, max: number): number[] {
  return Array.from(r.vector8(field, min, max));
}

/** uint16 items in a vector with a 2-byte length (bounds in bytes; an odd length is a decode_error). */
export function readUint16List(r: Reader, field: string, min: number, max: number): number[] {
  const bytes = r.vector16(field, min, max);
  if (bytes.length % 2 !== 0) throw new DecodeError(`${field}: odd length ${bytes.length}`);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return out;
}

export function writeUint8List(w: Writer, field: string, items: readonly number[], min: number, max: number): void {
  checkLength(field, items.length, min, max);
  w.u8(items.length);
  for (const v of items) w.u8(checkUint(field, v, 0xff));
}

export function writeUint16List(w: Writer, field: string, items: readonly number[], min: number, max: number): void {
  checkLength(field, items.length * 2, min, max);
  w.u16(items.length * 2);
  for (const v of items) w.u16(checkUint(field, v, 0xffff));
}

/** Throws RangeError unless min <= length <= max. */
export function checkLength(field: string, length: number, min: number, max: number): number {
  if (length < min || length > max) throw new RangeError(`${field}: length ${length} outside ${min}..${max}`);
  return length;
}

/** Throws RangeError unless value is an integer in 0..max. */
export function checkUint(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field}: ${value} outside 0..${max}`);
  }
  return value;
}

/** opaque field<min..max> with a 1-byte length, range-checked. */
export function writeVector8(w: Writer, field: string, b: Uint8Array, min = 0, max = 0xff): void {
  checkLength(field, b.length, min, max);
  w.u8(b.length).bytes(b);
}

/** opaque field<min..max> with a 2-byte length, range-checked. */
export function writeVector16(w: Writer, field: string, b: Uint8Array, min = 0, max = 0xffff): void {
  checkLength(field, b.length, min, max);
  w.u16(b.length).bytes(b);
}

/** opaque field<min..max> with a 3-byte length, range-checked. */
export function writeVector24(w: Writer, field: string, b: Uint8Array, min = 0, max = 0xffffff): void {
  checkLength(field, b.length, min, max);
  w.u24(b.length).bytes(b);
}
