import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint16List, writeUint16List } from '../vectors.js';

/*
 * RFC 8446 4.2.3: signature_algorithms_cert carries the same SignatureSchemeList as
 * signature_algorithms,
 *   struct { SignatureScheme supported_signature_algorithms<2..2^16-2>; } SignatureSchemeList;
 * but names the schemes accepted in certificates (not in CertificateVerify).
 */
export function encodeSignatureAlgorithmsCert(schemes: readonly number[]): Uint8Array {
  const w = new Writer(2 + schemes.length * 2);
  writeUint16List(w, 'supported_signature_algorithms', schemes, 2, 0xfffe);
  return w.finish();
}

export function decodeSignatureAlgorithmsCert(data: Uint8Array): number[] {
  const r = new Reader(data, 'signature_algorithms_cert');
  const schemes = readUint16List(r, 'supported_signature_algorithms', 2, 0xfffe);
  r.end();
  return schemes;
}
