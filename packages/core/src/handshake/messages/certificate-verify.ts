import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import type { DigitallySigned } from './digitally-signed.js';
import { readDigitallySigned, writeDigitallySigned } from './digitally-signed.js';

/**
 * RFC 5246 7.4.8:
 *
 *   struct {
 *     digitally-signed struct { opaque handshake_messages[handshake_messages_length]; }
 *   } CertificateVerify;
 *
 * The signature covers every handshake message so far (RFC 6347 4.2.6: with their DTLS
 * headers, unfragmented); that is the transcript's business, not this codec's.
 */
export function encodeCertificateVerify(m: DigitallySigned): Uint8Array {
  const w = new Writer(4 + m.signature.length);
  writeDigitallySigned(w, m);
  return w.finish();
}

export function decodeCertificateVerify(body: Uint8Array): DigitallySigned {
  const r = new Reader(body, 'CertificateVerify');
  const signed = readDigitallySigned(r);
  r.end();
  return signed;
}
