import type { Reader } from '../../codec/reader.js';
import type { Writer } from '../../codec/writer.js';
import { writeVector8 } from '../vectors.js';

/*
 * RFC 8422 5.4: struct { opaque point <1..2^8-1>; } ECPoint;
 * (an uncompressed NIST point 0x04||X||Y, or the 32/56 bytes of an RFC 7748 key). Whether the
 * point is on the curve is the crypto provider's check, not the codec's.
 */

export function writeEcPoint(w: Writer, field: string, point: Uint8Array): void {
  writeVector8(w, field, point, 1, 0xff);
}

export function readEcPoint(r: Reader, field: string): Uint8Array {
  return r.vector8(field, 1, 0xff);
}
