import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint16List, writeUint16List } from '../vectors.js';

/*
 * RFC 5246 7.4.1.4.1:
 *   SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
 * Each entry is read as one uint16 SignatureScheme (hash << 8 | signature).
 */

export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  const w = new Writer(2 + schemes.length * 2);
  writeUint16List(w, 'supported_signature_algorithms', schemes, 2, 0xfffe);
  return w.finish();
}

export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  const r = new Reader(data, 'signature_algorithms');
  const schemes = readUint16List(r, 'supported_signature_algorithms', 2, 0xfffe);
  r.end();
  return schemes;
}
