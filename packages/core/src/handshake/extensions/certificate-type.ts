import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint8List, writeUint8List } from '../vectors.js';

/*
 * RFC 7250 3 and 4.1 (client_certificate_type, server_certificate_type; IANA TLS Certificate Types):
 *
 *   enum { X.509(0), RawPublicKey(2), (255) } CertificateType;
 *   // in the ClientHello: the types in the client's preference order
 *   CertificateType client_certificate_types<1..2^8-1>;
 *   CertificateType server_certificate_types<1..2^8-1>;
 *   // in the ServerHello: the one type chosen
 *   CertificateType client_certificate_type;
 *   CertificateType server_certificate_type;
 */

/** The TLS Certificate Types we know (RFC 7250 3; 1, OpenPGP, RFC 6091, is not supported). */
export enum CertificateType {
  x509 = 0,
  raw_public_key = 2,
}

/** A ClientHello's list (either extension), in the client's preference order. */
export function encodeCertificateTypeList(types: readonly CertificateType[]): Uint8Array {
  const w = new Writer(1 + types.length);
  writeUint8List(w, 'certificate_types', types, 1, 0xff);
  return w.finish();
}

export function decodeCertificateTypeList(data: Uint8Array): number[] {
  const r = new Reader(data, 'certificate_types');
  const types = readUint8List(r, 'certificate_types', 1, 0xff);
  r.end();
  return types;
}

/** A ServerHello's choice: one CertificateType byte. */
export function encodeCertificateTypeChoice(type: CertificateType): Uint8Array {
  return Uint8Array.of(type);
}

export function decodeCertificateTypeChoice(data: Uint8Array): number {
  const r = new Reader(data, 'certificate_type');
  const type = r.u8('certificate_type');
  r.end();
  return type;
}
