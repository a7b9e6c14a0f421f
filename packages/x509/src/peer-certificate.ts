/**
 * What an application sees of a peer's certificate after the handshake (like node:tls
 * `getPeerCertificate()`, flattened): names, validity, fingerprint and the DER itself.
 */
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import type { ParsedCertificate, SubjectAltName } from './certificate.js';
import { parsedCertificate } from './parsed-certificates.js';
import { describeKey } from './signature.js';

export interface PeerCertificate {
  /** Subject distinguished name, RFC 4514 (`CN=localhost, O=Example`). */
  readonly subject: string;
  /** Issuer distinguished name, RFC 4514. */
  readonly issuer: string;
  /** subjectAltName entries (`{ type: 'DNS', value: 'localhost' }`, `{ type: 'IP Address', ... }`); [] when none. */
  readonly subjectAltNames: readonly SubjectAltName[];
  readonly validFrom: Date;
  readonly validTo: Date;
  /** SHA-256 of the DER, uppercase hex pairs joined by ':' (`AA:BB:...`), as node and OpenSSL print it. */
  readonly fingerprint256: string;
  /** Serial number in uppercase hex. */
  readonly serialNumber: string;
  /** The public key's kind: `ec prime256v1`, `rsa 2048`, `ed25519`. */
  readonly publicKeyType: string;
  /** The certificate's DER encoding. */
  readonly raw: Uint8Array;
}

/**
 * Describes an already decoded certificate. What can be changed in place (the dates, the names,
 * the bytes) is a copy: `cert` may be remembered (parsed-certificates.ts) and checked again by
 * later handshakes, whatever the application or a checkServerIdentity hook does with this.
 */
export function describeParsed(cert: ParsedCertificate): PeerCertificate {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    subjectAltNames: (cert.subjectAltNames ?? []).map((name) => ({ ...name })),
    validFrom: new Date(cert.notBefore.getTime()),
    validTo: new Date(cert.notAfter.getTime()),
    fingerprint256: cert.node.fingerprint256,
    serialNumber: cert.serialNumber,
    publicKeyType: describeKey(cert.node.publicKey),
    raw: Uint8Array.from(cert.der),
  };
}

/**
 * Describes a DER certificate (one entry of the peer's chain). Throws a DtlsError
 * (bad_certificate) when the bytes are not a certificate.
 */
export function describeCertificate(der: Uint8Array): PeerCertificate {
  let parsed: ParsedCertificate;
  try {
    parsed = parsedCertificate(der);
  } catch (err) {
    throw new DtlsError(AlertDescription.bad_certificate, 'cannot decode the certificate', { cause: err });
  }
  return describeParsed(parsed);
}
