import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import type { DigitallySigned } from './digitally-signed.js';
import { readDigitallySigned, writeDigitallySigned } from './digitally-signed.js';

/*
 * RFC 8446 4.4.3:
 *   struct {
 *     SignatureScheme algorithm;
 *     opaque signature<0..2^16-1>;
 *   } CertificateVerify;
 * The wire form of 1.2's digitally-signed; what is signed differs (64 spaces, a context string,
 * 0x00 and the transcript hash), which is the key schedule's business, not this codec's.
 */
export type CertificateVerify13 = DigitallySigned;

export function encodeCertificateVerify13(m: CertificateVerify13): Uint8Array {
  const w = new Writer(4 + m.signature.length);
  writeDigitallySigned(w, m);
  return w.finish();
}

/** DecodeError on a short body, a length that does not match, or trailing bytes. */
export function decodeCertificateVerify13(body: Uint8Array): CertificateVerify13 {
  const r = new Reader(body, 'CertificateVerify');
  const signed = readDigitallySigned(r);
  r.end();
  return signed;
}
