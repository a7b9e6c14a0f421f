/**
 * A memo of decoded certificates, so that a peer's chain seen before is not decoded again on
 * every handshake (decoding is node's X509Certificate, @peculiar/asn1 and one decoder per
 * extension: hundreds of microseconds a certificate). A decoded certificate is a function of
 * its bytes alone, so one memo serves every verifier of the process.
 *
 * It is looked up by the SHA-256 of the DER and an entry is used only when its DER is equal,
 * byte for byte, to the one asked for: nothing but the very same certificate ever answers. It
 * keeps its own copy of the bytes, so a caller that reuses its buffer cannot change an entry.
 * Failures are not remembered (a certificate that cannot be decoded is decoded, and refused,
 * each time). Bounded by PARSED_CERTIFICATES_MAX entries and PARSED_CERTIFICATES_MAX_BYTES of
 * DER, least recently used first out: however many certificates peers send, it stays that size.
 */
import { BoundedCache } from './bounded-cache.js';
import { sameBytes } from './bytes.js';
import { parseCertificate, sha256Of, type ParsedCertificate } from './certificate.js';

/** The most decoded certificates remembered. */
export const PARSED_CERTIFICATES_MAX = 256;
/** The most DER bytes they may add up to (a certificate longer than this alone is not remembered). */
export const PARSED_CERTIFICATES_MAX_BYTES = 1024 * 1024;

/** Exported for the tests, which check its bounds; the package does not export it. */
export const parsedCertificates = new BoundedCache<string, ParsedCertificate>(PARSED_CERTIFICATES_MAX, PARSED_CERTIFICATES_MAX_BYTES);

/**
 * The decoded form of `der`, from the memo or decoded now (and remembered). Throws as
 * parseCertificate does when the bytes are not a certificate.
 */
export function parsedCertificate(der: Uint8Array): ParsedCertificate {
  const sha256 = sha256Of(der);
  const known = parsedCertificates.get(sha256);
  if (known !== undefined && sameBytes(known.der, der)) return known;
  const parsed = parseCertificate(Uint8Array.from(der), sha256);
  parsedCertificates.set(sha256, parsed, parsed.der.length);
  return parsed;
}
