import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { checkLength, writeVector24 } from '../vectors.js';

/**
 * RFC 5246 7.4.2:
 *
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 *
 * The sender's certificate first, each following one certifying the one before. An empty
 * list is a client without a certificate (7.4.6).
 */
export interface CertificateMessage {
  certificates: Uint8Array[];
}

export function encodeCertificate(m: CertificateMessage): Uint8Array {
  const w = new Writer(1024);
  w.u24(0);
  for (const cert of m.certificates) writeVector24(w, 'ASN.1Cert', cert, 1, 0xffffff);
  const out = w.finish();
  const total = checkLength('certificate_list', out.length - 3, 0, 0xffffff);
  out[0] = total >>> 16;
  out[1] = (total >>> 8) & 0xff;
  out[2] = total & 0xff;
  return out;
}

export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new Reader(body, 'Certificate');
  const list = new Reader(r.vector24('certificate_list'), 'certificate_list');
  r.end();
  const certificates: Uint8Array[] = [];
  while (list.remaining > 0) certificates.push(list.vector24('ASN.1Cert', 1));
  return { certificates };
}
