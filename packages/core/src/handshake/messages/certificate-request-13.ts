import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { AlertDescription } from '../../alert.js';
import { DecodeError, DtlsError } from '../../errors.js';
import type { Extension } from '../extensions/extension.js';
import { decodeExtensionBlock, encodeExtensionBlock, findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { writeVector8 } from '../vectors.js';

/*
 * RFC 8446 4.3.2:
 *   struct {
 *     opaque certificate_request_context<0..2^8-1>;
 *     Extension extensions<2..2^16-1>;
 *   } CertificateRequest;
 * The context is empty in the handshake (it matters for post-handshake authentication) and comes
 * back in the client's Certificate. "The "signature_algorithms" extension MUST be specified".
 */
export interface CertificateRequest13 {
  context: Uint8Array;
  extensions: Extension[];
}

export function encodeCertificateRequest13(m: CertificateRequest13): Uint8Array {
  const w = new Writer(64);
  writeVector8(w, 'certificate_request_context', m.context);
  w.bytes(encodeExtensionBlock(m.extensions));
  return w.finish();
}

/**
 * DecodeError on a malformed body (an extension block under 2 bytes included); missing_extension
 * (RFC 8446 6.2: "a handshake message not containing an extension that is mandatory to send") when
 * signature_algorithms is absent.
 */
export function decodeCertificateRequest13(body: Uint8Array): CertificateRequest13 {
  const r = new Reader(body, 'CertificateRequest');
  const context = r.vector8('certificate_request_context');
  const start = r.remaining;
  const extensions = decodeExtensionBlock(r);
  r.end();
  if (start - 2 < 2) throw new DecodeError('CertificateRequest: extensions shorter than 2 bytes');
  if (findExtension(extensions, ExtensionType.signature_algorithms) === undefined) {
    throw new DtlsError(AlertDescription.missing_extension, 'CertificateRequest without signature_algorithms (RFC 8446 4.3.2)');
  }
  return { context, extensions };
}
