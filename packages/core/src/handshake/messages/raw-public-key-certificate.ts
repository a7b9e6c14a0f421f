import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { writeVector24 } from '../vectors.js';

/**
 * RFC 7250 3: with the RawPublicKey certificate type the Certificate message carries the bare
 * SubjectPublicKeyInfo (DER) instead of a certificate_list:
 *
 *   struct { select(certificate_type) { case RawPublicKey: opaque ASN.1_subjectPublicKeyInfo<1..2^24-1>; ... } } Certificate;
 */
export function encodeRawPublicKeyCertificate(spki: Uint8Array): Uint8Array {
  const w = new Writer(3 + spki.length);
  writeVector24(w, 'ASN.1_subjectPublicKeyInfo', spki, 1, 0xffffff);
  return w.finish();
}

/** The SubjectPublicKeyInfo of a RawPublicKey Certificate (not yet parsed: the verifier does). */
export function decodeRawPublicKeyCertificate(body: Uint8Array): Uint8Array {
  const r = new Reader(body, 'Certificate');
  const spki = r.vector24('ASN.1_subjectPublicKeyInfo', 1);
  r.end();
  return spki;
}
