import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { IllegalParameterError } from '../../errors.js';
import type { Extension } from '../extensions/extension.js';
import { decodeExtensionBlock, encodeExtensionBlock } from '../extensions/extension.js';
import { checkLength, writeVector24, writeVector8 } from '../vectors.js';

/*
 * RFC 8446 4.4.2:
 *   struct {
 *     select (certificate_type) {
 *       case RawPublicKey: opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;  // RFC 7250
 *       case X509:         opaque cert_data<1..2^24-1>;
 *     };
 *     Extension extensions<0..2^16-1>;
 *   } CertificateEntry;
 *
 *   struct {
 *     opaque certificate_request_context<0..2^8-1>;
 *     CertificateEntry certificate_list<0..2^24-1>;
 *   } Certificate;
 *
 * Both certificate types have the same wire form; `data` is the DER certificate or the DER
 * SubjectPublicKeyInfo. The sender's entry comes first. An empty list is a client declining to
 * authenticate. Per-entry extensions answer the peer's (status_request, signed_certificate_timestamp).
 */
export interface CertificateEntry {
  data: Uint8Array;
  extensions: Extension[];
}

export interface CertificateMessage13 {
  /** Empty from a server; a client echoes the CertificateRequest's. */
  context: Uint8Array;
  entries: CertificateEntry[];
}

export function encodeCertificate13(m: CertificateMessage13): Uint8Array {
  const w = new Writer(1024);
  writeVector8(w, 'certificate_request_context', m.context);
  const listAt = w.length;
  w.u24(0);
  for (const e of m.entries) {
    writeVector24(w, 'cert_data', e.data, 1, 0xffffff);
    w.bytes(encodeExtensionBlock(e.extensions));
  }
  const out = w.finish();
  const total = checkLength('certificate_list', out.length - listAt - 3, 0, 0xffffff);
  out[listAt] = total >>> 16;
  out[listAt + 1] = (total >>> 8) & 0xff;
  out[listAt + 2] = total & 0xff;
  return out;
}

/**
 * DecodeError on any malformed field or trailing bytes; illegal_parameter for a repeated extension
 * in an entry, or for more than one entry when the raw public key type was negotiated (RFC 8446
 * 4.4.2: "the certificate_list MUST contain no more than one CertificateEntry").
 */
export function decodeCertificate13(body: Uint8Array, options: { rawPublicKey?: boolean } = {}): CertificateMessage13 {
  const r = new Reader(body, 'Certificate');
  const context = r.vector8('certificate_request_context');
  const list = new Reader(r.vector24('certificate_list'), 'certificate_list');
  r.end();
  const entries: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const data = list.vector24('cert_data', 1);
    const extensions = decodeExtensionBlock(list);
    entries.push({ data, extensions });
  }
  if (options.rawPublicKey === true && entries.length > 1) {
    throw new IllegalParameterError(`Certificate: ${entries.length} entries with the RawPublicKey type, at most 1 allowed`);
  }
  return { context, entries };
}
