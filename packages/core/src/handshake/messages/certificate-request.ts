import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint16List, readUint8List, writeUint16List, writeUint8List, writeVector16 } from '../vectors.js';

/** RFC 5246 7.4.4 ClientCertificateType values (RFC 8422 5.5 adds ecdsa_sign). */
export enum ClientCertificateType {
  rsa_sign = 1,
  ecdsa_sign = 64,
}

/**
 * RFC 5246 7.4.4:
 *
 *   struct {
 *     ClientCertificateType certificate_types<1..2^8-1>;
 *     SignatureAndHashAlgorithm supported_signature_algorithms<2^16-1>;
 *     DistinguishedName certificate_authorities<0..2^16-1>;
 *   } CertificateRequest;
 *   opaque DistinguishedName<1..2^16-1>;
 *
 * The `<2^16-1>` bound of supported_signature_algorithms is read as the <2..2^16-2> of
 * 7.4.1.4.1 (the same type everywhere else). Authorities are DER-encoded X.501 names.
 */
export interface CertificateRequest {
  certificateTypes: number[];
  signatureSchemes: number[];
  authorities: Uint8Array[];
}

export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  const w = new Writer(256);
  writeUint8List(w, 'certificate_types', m.certificateTypes, 1, 0xff);
  writeUint16List(w, 'supported_signature_algorithms', m.signatureSchemes, 2, 0xfffe);
  const names = new Writer(256);
  for (const dn of m.authorities) writeVector16(names, 'DistinguishedName', dn, 1, 0xffff);
  writeVector16(w, 'certificate_authorities', names.finish(), 0, 0xffff);
  return w.finish();
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body, 'CertificateRequest');
  const certificateTypes = readUint8List(r, 'certificate_types', 1, 0xff);
  const signatureSchemes = readUint16List(r, 'supported_signature_algorithms', 2, 0xfffe);
  const names = new Reader(r.vector16('certificate_authorities'), 'certificate_authorities');
  r.end();
  const authorities: Uint8Array[] = [];
  while (names.remaining > 0) authorities.push(names.vector16('DistinguishedName', 1));
  return { certificateTypes, signatureSchemes, authorities };
}
