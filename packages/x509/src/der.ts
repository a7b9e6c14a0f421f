/**
 * Just enough DER (ITU-T X.690) to cut exact bytes out of a certificate: the issuer and subject
 * names (a CertificateRequest lists CA names as DER, RFC 5246 7.4.4, and names are compared
 * byte for byte before any normalisation, RFC 5280 7.1), and the GeneralNames of the
 * subjectAltName and nameConstraints extensions, whose iPAddress entries must be read as the
 * exact octets (general-names.ts). Everything else is decoded by @peculiar/asn1-x509.
 */

/** One tag-length-value element: where its contents start and end inside the buffer. */
export interface Tlv {
  readonly tag: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the element at `offset`, which must end by `limit`. Throws a RangeError on bad DER. */
export function readTlv(buf: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new RangeError('DER: truncated header');
  const tag = buf[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new RangeError('DER: high tag numbers are not used in certificates');
  const first = buf[offset + 1] ?? 0;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    // DER forbids the indefinite form (0x80) and a 4-byte length covers any certificate.
    if (count === 0 || count > 4) throw new RangeError('DER: unsupported length encoding');
    if (offset + 2 + count > limit) throw new RangeError('DER: truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[offset + 2 + i] ?? 0);
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new RangeError('DER: element runs past its container');
  return { tag, contentStart, end };
}

const SEQUENCE = 0x30;
const CONTEXT_0_CONSTRUCTED = 0xa0;

/** The raw DER of tbsCertificate.issuer and tbsCertificate.subject (RFC 5280 4.1). */
export function certificateNames(der: Uint8Array): { issuer: Uint8Array; subject: Uint8Array } {
  const cert = readTlv(der, 0, der.length);
  if (cert.tag !== SEQUENCE) throw new RangeError('DER: a certificate is a SEQUENCE');
  const tbs = readTlv(der, cert.contentStart, cert.end);
  if (tbs.tag !== SEQUENCE) throw new RangeError('DER: tbsCertificate is a SEQUENCE');
  let at = tbs.contentStart;
  let element = readTlv(der, at, tbs.end);
  if (element.tag === CONTEXT_0_CONSTRUCTED) {
    // version [0] EXPLICIT, absent for v1 certificates
    at = element.end;
    element = readTlv(der, at, tbs.end);
  }
  at = element.end; // serialNumber
  at = readTlv(der, at, tbs.end).end; // signature AlgorithmIdentifier
  const issuer = readTlv(der, at, tbs.end);
  const validity = readTlv(der, issuer.end, tbs.end);
  const subjectStart = validity.end;
  const subject = readTlv(der, subjectStart, tbs.end);
  if (issuer.tag !== SEQUENCE || subject.tag !== SEQUENCE) throw new RangeError('DER: a Name is a SEQUENCE');
  return {
    issuer: der.slice(at, issuer.end),
    subject: der.slice(subjectStart, subject.end),
  };
}

/** The elements inside a constructed element, in order. Throws a RangeError on bad DER. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The contents octets of an element. */
export function contentOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.end);
}
