import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint8List, writeUint8List } from '../vectors.js';

/*
 * RFC 8422 5.1.2:
 *   enum { uncompressed (0), deprecated (1..2), reserved (248..255) } ECPointFormat;
 *   struct { ECPointFormat ec_point_format_list<1..2^8-1> } ECPointFormatList;
 */

/** The only point format RFC 8422 5.1.2 leaves: uncompressed. */
export const EC_POINT_FORMAT_UNCOMPRESSED = 0;

export function encodeEcPointFormats(formats: readonly number[]): Uint8Array {
  const w = new Writer(1 + formats.length);
  writeUint8List(w, 'ec_point_format_list', formats, 1, 0xff);
  return w.finish();
}

export function decodeEcPointFormats(data: Uint8Array): number[] {
  const r = new Reader(data, 'ec_point_formats');
  const formats = readUint8List(r, 'ec_point_format_list', 1, 0xff);
  r.end();
  return formats;
}
