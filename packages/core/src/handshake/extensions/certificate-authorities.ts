import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { checkLength, writeVector16 } from '../vectors.js';

/*
 * RFC 8446 4.2.4:
 *   opaque DistinguishedName<1..2^16-1>;
 *   struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;
 * Each name is a DER X.501 Name, left unparsed here (the certificate layer reads them).
 */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(2 + names.reduce((n, d) => n + 2 + d.length, 0));
  w.u16(0);
  for (const d of names) writeVector16(w, 'DistinguishedName', d, 1, 0xffff);
  const out = w.finish();
  const total = checkLength('authorities', out.length - 2, 3, 0xffff);
  out[0] = total >>> 8;
  out[1] = total & 0xff;
  return out;
}

export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data, 'certificate_authorities');
  const list = new Reader(r.vector16('authorities', 3), 'authorities');
  r.end();
  const names: Uint8Array[] = [];
  while (list.remaining > 0) names.push(list.vector16('DistinguishedName', 1));
  return names;
}
