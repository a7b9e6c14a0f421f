/**
 * The signature schemes a DTLS 1.3 CertificateVerify may carry (RFC 8446 4.2.3, 4.4.3), of
 * those the credentials packages can sign and verify. TLS 1.3 narrows the TLS 1.2 list: RSA signs
 * with RSASSA-PSS only (PKCS#1 v1.5 stays for certificates' own signatures), and an ECDSA scheme
 * names its curve as well as its hash.
 */

import { IllegalParameterError } from '../errors.js';
import { SignatureScheme } from '../handshake/extensions/signature-scheme.js';

/** Our order of preference: the small fast signatures first, as the 1.2 defaults do. */
export const TLS13_CERTIFICATE_VERIFY_SCHEMES: readonly SignatureScheme[] = Object.freeze([
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
]);

const ALLOWED: ReadonlySet<number> = new Set(TLS13_CERTIFICATE_VERIFY_SCHEMES);

/** Whether `scheme` may sign a TLS 1.3 CertificateVerify here (RFC 8446 4.4.3). */
export function isTls13CertificateVerifyScheme(scheme: number): boolean {
  return ALLOWED.has(scheme);
}

/**
 * The receiver's check of CertificateVerify.algorithm (RFC 8446 4.4.3): one we offered in
 * signature_algorithms and one TLS 1.3 allows (never rsa_pkcs1_*, "regardless of whether
 * RSASSA-PKCS1-v1_5 algorithms appear in signature_algorithms"). Otherwise illegal_parameter.
 */
export function checkTls13CertificateVerifyScheme(scheme: number, offered: readonly number[]): void {
  if (!isTls13CertificateVerifyScheme(scheme)) {
    throw new IllegalParameterError(`signature scheme 0x${scheme.toString(16).padStart(4, '0')} is not allowed in a TLS 1.3 CertificateVerify`);
  }
  if (!offered.includes(scheme)) {
    throw new IllegalParameterError(`peer signed with 0x${scheme.toString(16).padStart(4, '0')}, which we did not offer`);
  }
}
