/**
 * The trusted CA certificates (node:tls `ca`), decoded once and indexed by subject, so that
 * every handshake finds an issuer without decoding them again.
 */
import { sameBytes } from './bytes.js';
import { parseCertificate, type ParsedCertificate } from './certificate.js';

/** RFC 5280 7.1 compares names after normalisation; we fold case and runs of spaces of the RFC 4514 form. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** True when `issuer` may have issued `child`: its subject is child's issuer and the key ids agree. */
export function namesIssuer(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const sameName =
    sameBytes(child.issuerDer, issuer.subjectDer) || normalizeName(child.issuer) === normalizeName(issuer.subject);
  if (!sameName) return false;
  // RFC 5280 4.2.1.1: authorityKeyIdentifier names the issuer's subjectKeyIdentifier, which
  // tells apart two CA certificates with the same name (a key rollover).
  return child.authorityKeyId === undefined || issuer.subjectKeyId === undefined || child.authorityKeyId === issuer.subjectKeyId;
}

export class TrustStore {
  /** The trusted certificates, decoded, in the order given. */
  readonly certificates: readonly ParsedCertificate[];
  /** By SHA-256 of the DER (ParsedCertificate.sha256). */
  private readonly byDigest: ReadonlyMap<string, ParsedCertificate>;
  private readonly bySubject: ReadonlyMap<string, readonly ParsedCertificate[]>;

  /** Throws a TypeError naming the entry when one of `ders` is not a certificate. */
  constructor(ders: readonly Uint8Array[]) {
    this.certificates = ders.map((der, i) => {
      try {
        // Our own copy: what the caller does with its buffers later changes nothing here.
        return parseCertificate(Uint8Array.from(der));
      } catch (err) {
        throw new TypeError(`ca: entry ${i} is not a valid X.509 certificate`, { cause: err });
      }
    });
    this.byDigest = new Map(this.certificates.map((c) => [c.sha256, c]));
    const bySubject = new Map<string, ParsedCertificate[]>();
    for (const cert of this.certificates) {
      const key = normalizeName(cert.subject);
      bySubject.set(key, [...(bySubject.get(key) ?? []), cert]);
    }
    this.bySubject = bySubject;
  }

  /** True when this exact certificate is one of the trusted ones. */
  contains(cert: ParsedCertificate): boolean {
    const trusted = this.byDigest.get(cert.sha256);
    return trusted !== undefined && sameBytes(trusted.der, cert.der);
  }

  /** Trusted certificates that may have issued `child` (by name and key identifier). */
  issuersOf(child: ParsedCertificate): readonly ParsedCertificate[] {
    return (this.bySubject.get(normalizeName(child.issuer)) ?? []).filter((c) => namesIssuer(child, c));
  }

  /** DER subject names of the trusted CAs, for a CertificateRequest (RFC 5246 7.4.4). */
  get authorities(): Uint8Array[] {
    return this.certificates.map((c) => c.subjectDer);
  }
}
