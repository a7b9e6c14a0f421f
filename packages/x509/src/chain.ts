/**
 * Certificate path validation for TLS (RFC 5280 6.1, RFC 5246 7.4.2/7.4.6), on certificates
 * decoded with @peculiar/asn1-x509 and signatures checked by node:crypto (OpenSSL).
 *
 * The path runs from the peer's leaf through intermediates taken from the peer's own list (in
 * any order) to a trust anchor: any certificate of `ca` (a root, or an intermediate the user
 * chose to trust, as OpenSSL's partial-chain mode). Every certificate on it, the anchor
 * included, must be within its validity dates; each issuer must be a CA (basicConstraints
 * cA, keyUsage keyCertSign when keyUsage is present, pathLenConstraint respected); the leaf
 * must allow digitalSignature when it has a keyUsage (ECDHE suites sign with it) and, with an
 * extKeyUsage, serverAuth or clientAuth for its role (anyExtendedKeyUsage allows both; the
 * intermediates' extKeyUsage, when present, must allow it too); no certificate may have a
 * critical extension we do not process (nameConstraints, policy extensions, ...); signatures
 * on the path by MD5 or SHA-1 are refused. Revocation (CRL, OCSP) is not checked.
 *
 * Alerts (RFC 5246 7.2.2), chosen as OpenSSL's ssl_x509err2alert maps the same failures where
 * the RFC leaves a choice:
 * | failure                                                     | alert                   |
 * |-------------------------------------------------------------|-------------------------|
 * | no certificate at all (empty Certificate message)           | handshake_failure (7.4.6) |
 * | a certificate that cannot be decoded, chain over the limit  | bad_certificate         |
 * | no path to a trusted certificate, self-signed untrusted     | unknown_ca              |
 * | an issuer that is not a CA / lacks keyCertSign / pathLen    | unknown_ca (OpenSSL INVALID_CA) |
 * | a signature on the path that does not verify, MD5/SHA-1     | bad_certificate ("signatures that did not verify") |
 * | outside its validity dates (expired or not yet valid)       | certificate_expired     |
 * | leaf key we cannot use (curve, DSA, RSA < 1024), unhandled  |                         |
 * |   critical extension, keyUsage/extKeyUsage not allowing TLS | unsupported_certificate (OpenSSL INVALID_PURPOSE) |
 * | host name or IP address not in subjectAltName, or a custom  |                         |
 * |   checkServerIdentity returning an Error                    | bad_certificate (OpenSSL HOSTNAME_MISMATCH) |
 */
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { id_kp_clientAuth, id_kp_serverAuth, anyExtendedKeyUsage } from '@peculiar/asn1-x509';
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import { checkServerIdentity as defaultCheckServerIdentity } from './hostname.js';
import { describeParsed, type PeerCertificate } from './peer-certificate.js';
import { describeKey, signatureSchemesForKey } from './signature.js';
import { namesIssuer, TrustStore } from './trust-store.js';

/** node:tls-shaped hook: undefined when `cert` is acceptable for `hostname`, else the reason. */
export type CheckServerIdentity = (hostname: string, cert: PeerCertificate) => Error | undefined;

export interface ChainValidationOptions {
  /** The trust anchors (node:tls `ca`): DER certificates or a TrustStore built from them. */
  readonly ca: TrustStore | readonly Uint8Array[];
  /** Whose chain this is: a 'server' leaf needs serverAuth, a 'client' leaf clientAuth (when it has an extKeyUsage). */
  readonly peerRole: 'server' | 'client';
  /** The name (DNS name or IP address) the server must carry; no name check when undefined. */
  readonly hostname?: string | undefined;
  /** Replaces the default subjectAltName check (node:tls `checkServerIdentity`); called only with a hostname. */
  readonly checkServerIdentity?: CheckServerIdentity | undefined;
  /** The time to check validity dates against (default: now). */
  readonly now?: Date | undefined;
  /** Longest path accepted, leaf and anchor included (default 10). */
  readonly maxPathLength?: number | undefined;
}

/** A validated path, leaf first, ending at the trusted certificate. */
export interface ValidatedChain {
  readonly path: readonly PeerCertificate[];
}

/** The most certificates we read from a peer's Certificate message. */
export const MAX_PEER_CHAIN = 16;
/** The most signature checks spent searching for a path (bounds the work a hostile chain causes). */
const MAX_SIGNATURE_CHECKS = 32;

// RFC 8446 4.2.3 / CA/B forum: MD5 and SHA-1 certificate signatures are not acceptable any more.
const WEAK_SIGNATURE_ALGORITHMS = new Set([
  '1.2.840.113549.1.1.2', // md2WithRSAEncryption
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsa-with-sha1
]);

function quoted(cert: ParsedCertificate): string {
  return `"${cert.subject === '' ? `serial ${cert.serialNumber}` : cert.subject}"`;
}

function fail(alert: AlertDescription, message: string): never {
  throw new DtlsError(alert, message);
}

/** Searches a path from `leaf` to a trusted certificate, depth first, trusted issuers tried first. */
function buildPath(leaf: ParsedCertificate, pool: readonly ParsedCertificate[], store: TrustStore, maxLength: number): ParsedCertificate[] {
  let checks = 0;
  let badSignature: { child: ParsedCertificate; issuer: ParsedCertificate } | undefined;
  let deepest: ParsedCertificate[] = [leaf];
  let tooLong = false;

  const extend = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
    const current = path[path.length - 1];
    if (current === undefined) return undefined;
    if (store.contains(current)) return path;
    if (path.length > deepest.length) deepest = path;
    if (path.length >= maxLength) {
      tooLong = true;
      return undefined;
    }
    const candidates = [...store.issuersOf(current), ...pool.filter((c) => namesIssuer(current, c))].filter((c) => !path.includes(c));
    for (const issuer of candidates) {
      if (++checks > MAX_SIGNATURE_CHECKS) return undefined;
      let signed = false;
      try {
        signed = current.node.verify(issuer.node.publicKey);
      } catch {
        signed = false;
      }
      if (!signed) {
        badSignature ??= { child: current, issuer };
        continue;
      }
      const found = extend([...path, issuer]);
      if (found !== undefined) return found;
    }
    return undefined;
  };

  const path = extend([leaf]);
  if (path !== undefined) return path;
  if (badSignature !== undefined) {
    fail(
      AlertDescription.bad_certificate,
      `the signature on certificate ${quoted(badSignature.child)} does not verify with the key of its issuer ${quoted(badSignature.issuer)}`,
    );
  }
  if (tooLong) fail(AlertDescription.unknown_ca, `no trusted CA within ${maxLength} certificates of ${quoted(leaf)}`);
  const last = deepest[deepest.length - 1] ?? leaf;
  if (isSelfIssued(last)) {
    fail(AlertDescription.unknown_ca, `certificate ${quoted(last)} is self-signed and not trusted`);
  }
  fail(AlertDescription.unknown_ca, `certificate ${quoted(last)} was issued by "${last.issuer}", which is not a trusted CA`);
}

function checkDates(cert: ParsedCertificate, now: Date): void {
  if (now.getTime() < cert.notBefore.getTime()) {
    fail(AlertDescription.certificate_expired, `certificate ${quoted(cert)} is not valid before ${cert.notBefore.toISOString()}`);
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    fail(AlertDescription.certificate_expired, `certificate ${quoted(cert)} expired on ${cert.notAfter.toISOString()}`);
  }
}

function allowsPurpose(cert: ParsedCertificate, purpose: string): boolean {
  const eku = cert.extendedKeyUsage;
  return eku === undefined || eku.includes(purpose) || eku.includes(anyExtendedKeyUsage);
}

/** RFC 5280 6.1.4 (k), (l), (n): what makes `cert` an acceptable issuer of the `below` certificates under it. */
function checkIssuer(cert: ParsedCertificate, nonSelfIssuedBelow: number, isAnchor: boolean): void {
  const bc = cert.basicConstraints;
  // A version 1 trust anchor has no extensions at all; it is a CA by being trusted (RFC 5280 6.1.1 (d)).
  const v1Anchor = isAnchor && cert.version === 1;
  if (!v1Anchor && bc?.ca !== true) {
    fail(AlertDescription.unknown_ca, `certificate ${quoted(cert)} issued another certificate but is not a CA (basicConstraints cA is not set)`);
  }
  if (cert.keyUsage !== undefined && !cert.keyUsage.has('keyCertSign')) {
    fail(AlertDescription.unknown_ca, `CA certificate ${quoted(cert)} has a keyUsage without keyCertSign`);
  }
  if (bc?.pathLength !== undefined && nonSelfIssuedBelow > bc.pathLength) {
    fail(
      AlertDescription.unknown_ca,
      `CA certificate ${quoted(cert)} allows ${bc.pathLength} intermediate CA(s) below it (pathLenConstraint), the chain has ${nonSelfIssuedBelow}`,
    );
  }
}

/**
 * Validates a peer's chain (DER, leaf first, as in its Certificate message). Returns the
 * path to the trusted certificate, or throws a DtlsError carrying the alert of the table above
 * and a message that names the certificate at fault.
 */
export function validateChain(chain: readonly Uint8Array[], options: ChainValidationOptions): ValidatedChain {
  const role = options.peerRole;
  if (chain.length === 0) {
    // RFC 5246 7.4.6: a server that requires a client certificate answers an empty one with a
    // fatal handshake_failure; a server must always send one (7.4.2), the same alert applies.
    fail(AlertDescription.handshake_failure, `the ${role} sent no certificate`);
  }
  if (chain.length > MAX_PEER_CHAIN) {
    fail(AlertDescription.bad_certificate, `the ${role} sent ${chain.length} certificates, more than the ${MAX_PEER_CHAIN} accepted`);
  }
  const parsed = chain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new DtlsError(AlertDescription.bad_certificate, `certificate ${i} of the ${role}'s chain cannot be decoded: ${detail}`, { cause: err });
    }
  });
  const store = options.ca instanceof TrustStore ? options.ca : new TrustStore(options.ca);
  const now = options.now ?? new Date();
  const leaf = parsed[0];
  if (leaf === undefined) fail(AlertDescription.handshake_failure, `the ${role} sent no certificate`);

  if (signatureSchemesForKey(leaf.node.publicKey).length === 0) {
    fail(AlertDescription.unsupported_certificate, `certificate ${quoted(leaf)} has a key we cannot use (${describeKey(leaf.node.publicKey)})`);
  }

  const path = buildPath(leaf, parsed.slice(1), store, options.maxPathLength ?? 10);
  const purpose = role === 'server' ? id_kp_serverAuth : id_kp_clientAuth;
  const purposeName = role === 'server' ? 'serverAuth' : 'clientAuth';
  let nonSelfIssuedBelow = 0;
  path.forEach((cert, i) => {
    const isAnchor = i === path.length - 1;
    checkDates(cert, now);
    if (cert.unhandledCriticalExtensions.length > 0) {
      fail(
        AlertDescription.unsupported_certificate,
        `certificate ${quoted(cert)} has critical extension(s) we do not process: ${cert.unhandledCriticalExtensions.join(', ')}`,
      );
    }
    // The anchor's own (self-)signature carries no trust; every other one does.
    if (!isAnchor && WEAK_SIGNATURE_ALGORITHMS.has(cert.signatureAlgorithm)) {
      fail(AlertDescription.bad_certificate, `certificate ${quoted(cert)} is signed with a weak algorithm (${cert.signatureAlgorithm})`);
    }
    if (i > 0) {
      checkIssuer(cert, nonSelfIssuedBelow, isAnchor);
      // RFC 5280 6.1.4 (l): self-issued certificates do not count against pathLenConstraint.
      if (!isSelfIssued(cert)) nonSelfIssuedBelow++;
    }
    if (!isAnchor && !allowsPurpose(cert, purpose)) {
      fail(AlertDescription.unsupported_certificate, `certificate ${quoted(cert)} has an extKeyUsage without ${purposeName}`);
    }
  });
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.has('digitalSignature')) {
    fail(AlertDescription.unsupported_certificate, `certificate ${quoted(leaf)} has a keyUsage without digitalSignature`);
  }

  const described = path.map(describeParsed);
  const leafDescription = described[0];
  if (options.hostname !== undefined && options.hostname !== '' && leafDescription !== undefined) {
    const check = options.checkServerIdentity ?? defaultCheckServerIdentity;
    let error: Error | undefined;
    try {
      error = check(options.hostname, leafDescription);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    if (error !== undefined) {
      throw new DtlsError(AlertDescription.bad_certificate, `certificate ${quoted(leaf)} is not valid for ${options.hostname}: ${error.message}`, {
        cause: error,
      });
    }
  }
  return { path: described };
}

/** RFC 5280 6.1: a certificate is self-issued when its subject and issuer are the same name. */
function isSelfIssued(cert: ParsedCertificate): boolean {
  return Buffer.from(cert.subjectDer).equals(Buffer.from(cert.issuerDer));
}
