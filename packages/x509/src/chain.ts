/**
 * Certificate path validation for TLS (RFC 5280 6.1, RFC 5246 7.4.2/7.4.6), on certificates
 * decoded with @peculiar/asn1-x509 and signatures checked by node:crypto (OpenSSL). It is
 * meant to agree with OpenSSL's (`openssl verify -auth_level 2 -partial_chain -purpose
 * sslserver|sslclient`); the README lists where it does not, and why.
 *
 * The path runs from the peer's leaf through intermediates taken from the peer's own list (in
 * any order) to a trust anchor: any certificate of `ca` (a root, or an intermediate the user
 * chose to trust, as OpenSSL's partial-chain mode). Path building tries every candidate issuer
 * (same name, different keys or validity dates, cross-signed copies) whose signature verifies,
 * and every path it finds is checked in full before the next is tried (RFC 4158 2.2); it fails
 * with the first path's error when none passes. On the path:
 * - every certificate, the anchor included, is within its validity dates, has no critical
 *   extension we do not process, an elliptic-curve key only on a named curve (RFC 5480
 *   2.1.1), and a key as strong as the security level asks (security-level.ts, default 2:
 *   RSA >= 2048 bits, ECC >= 224); every signature but the anchor's own self-signature (which
 *   carries no trust) uses a hash as strong (level 2: no MD5, no SHA-1);
 * - each issuer is a CA (basicConstraints cA, keyUsage keyCertSign when keyUsage is present,
 *   pathLenConstraint respected; a trust anchor may instead be a version 1 certificate, or
 *   have keyCertSign without basicConstraints, as OpenSSL accepts);
 * - every certificate's extKeyUsage, when present, names the purpose: serverAuth for a server,
 *   clientAuth for a client, on the anchor too (as OpenSSL; anyExtendedKeyUsage alone does not
 *   do, as in OpenSSL, which RFC 5280 4.2.1.12 allows); the leaf's keyUsage, when present,
 *   has digitalSignature (every suite we have signs with it: ECDHE, CertificateVerify);
 * - every CA's nameConstraints, critical or not, hold for every certificate below it
 *   (name-constraints.ts).
 * Revocation (CRL, OCSP) is not checked. Certificates are decoded once per validation, through a
 * memo (parsed-certificates.ts), and signatures verified before are remembered
 * (verified-signatures.ts); both answer only for the very same bytes, and every check above runs
 * on every validation.
 *
 * Alerts (RFC 5246 7.2.2), chosen as OpenSSL's ssl_x509err2alert maps the same failures where
 * the RFC leaves a choice:
 * | failure                                                     | alert                   |
 * |-------------------------------------------------------------|-------------------------|
 * | no certificate at all (empty Certificate message)           | handshake_failure (7.4.6) |
 * | a certificate that cannot be decoded, chain over the limit  | bad_certificate         |
 * | no path to a trusted certificate, self-signed untrusted     | unknown_ca              |
 * | an issuer that is not a CA / lacks keyCertSign / pathLen    | unknown_ca (OpenSSL INVALID_CA) |
 * | a signature on the path that does not verify               | bad_certificate ("signatures that did not verify") |
 * | a key or signature hash below the security level, a key on  |                         |
 * |   an unnamed curve                                          | bad_certificate (OpenSSL EE/CA_KEY_TOO_SMALL, CA_MD_TOO_WEAK, EC_KEY_EXPLICIT_PARAMS) |
 * | outside its validity dates (expired or not yet valid)       | certificate_expired     |
 * | leaf key we cannot use (curve, DSA, RSA < 1024), unhandled  |                         |
 * |   critical extension, keyUsage/extKeyUsage not allowing TLS | unsupported_certificate (OpenSSL INVALID_PURPOSE) |
 * | a name outside a CA's nameConstraints                       | certificate_unknown (OpenSSL's default for PERMITTED/EXCLUDED_VIOLATION) |
 * | host name or IP address not in subjectAltName, or a custom  |                         |
 * |   checkServerIdentity returning an Error                    | bad_certificate (OpenSSL HOSTNAME_MISMATCH) |
 */
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { id_kp_clientAuth, id_kp_serverAuth } from '@peculiar/asn1-x509';
import { sameBytes } from './bytes.js';
import type { ParsedCertificate } from './certificate.js';
import { checkServerIdentity as defaultCheckServerIdentity } from './hostname.js';
import { constrainedNamesOf, MAX_NAME_CHECKS, nameConstraintViolation } from './name-constraints.js';
import { parsedCertificate } from './parsed-certificates.js';
import { describeParsed, type PeerCertificate } from './peer-certificate.js';
import { minimumSecurityBits, securityLevelOption, signatureAlgorithmName } from './security-level.js';
import { describeKey, signatureSchemesForKey } from './signature.js';
import { namesIssuer, TrustStore } from './trust-store.js';
import { signatureVerifies } from './verified-signatures.js';

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
  /** Longest path accepted, leaf and anchor included (default MAX_PEER_CHAIN + 1: any path a peer can send). */
  readonly maxPathLength?: number | undefined;
  /**
   * OpenSSL security level (0 to 5, default 2) for every key of the path, the trust anchor's
   * included, and every signature but the anchor's self-signature: level 2 refuses RSA and
   * DSA keys under 2048 bits, ECC under 224, and MD5 or SHA-1 signatures (security-level.ts).
   */
  readonly securityLevel?: number | undefined;
}

/** A validated path, leaf first, ending at the trusted certificate. */
export interface ValidatedChain {
  readonly path: readonly PeerCertificate[];
}

/** The most certificates we read from a peer's Certificate message. */
export const MAX_PEER_CHAIN = 16;
/** The most signature checks spent searching for a path (bounds the work a hostile chain causes). */
const MAX_SIGNATURE_CHECKS = 64;
/** The most complete paths checked before giving up (each is checked in full). */
const MAX_PATHS = 8;
/** The most steps of the search (certificates put on a tentative path): a mesh of same-name certificates cannot make it exponential. */
const MAX_SEARCH_STEPS = 1024;

function quoted(cert: ParsedCertificate): string {
  return `"${cert.subject === '' ? `serial ${cert.serialNumber}` : cert.subject}"`;
}

function fail(alert: AlertDescription, message: string): never {
  throw new DtlsError(alert, message);
}

/** `ec prime256v1`, `rsa 2048`, ..., or `unreadable` for a key node cannot load. */
function keyOf(cert: ParsedCertificate): string {
  try {
    return describeKey(cert.node.publicKey);
  } catch {
    return 'unreadable';
  }
}

function validAt(cert: ParsedCertificate, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && now.getTime() <= cert.notAfter.getTime();
}

/**
 * Searches, depth first, for a path from `leaf` to a trusted certificate that `check` accepts
 * (it throws a DtlsError for a path it refuses). Each certificate's candidate issuers (by
 * name and key identifier) are tried in turn, those within their validity dates first and,
 * among them, trusted ones before those the peer sent (OpenSSL's preferences), and only
 * through signatures that verify; the search backtracks past a refused path (RFC 4158 2.2,
 * 3.5) until MAX_PATHS paths, MAX_SIGNATURE_CHECKS signature checks or MAX_SEARCH_STEPS steps
 * are spent. Throws the first refused path's error, or says why no path was found.
 */
function findPath(
  leaf: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  store: TrustStore,
  maxLength: number,
  now: Date,
  role: 'server' | 'client',
  check: (path: readonly ParsedCertificate[]) => void,
): ParsedCertificate[] {
  let checks = 0;
  let steps = 0;
  let paths = 0;
  let exhausted = false;
  let refused: DtlsError | undefined;
  let badSignature: { child: ParsedCertificate; issuer: ParsedCertificate } | undefined;
  let deepest: ParsedCertificate[] = [leaf];
  let tooLong = false;
  const signatures = new Map<string, boolean>();

  const signedBy = (child: ParsedCertificate, issuer: ParsedCertificate): boolean | undefined => {
    const key = child.sha256 + issuer.sha256;
    const known = signatures.get(key);
    if (known !== undefined) return known;
    // A signature remembered from an earlier validation counts too: the search explores the
    // same paths, and fails the same way, whatever the cache holds.
    if (++checks > MAX_SIGNATURE_CHECKS) return undefined;
    const signed = signatureVerifies(child, issuer);
    signatures.set(key, signed);
    return signed;
  };

  const extend = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
    const current = path[path.length - 1];
    if (current === undefined || exhausted) return undefined;
    if (++steps > MAX_SEARCH_STEPS) {
      exhausted = true;
      return undefined;
    }
    if (store.contains(current)) {
      if (++paths > MAX_PATHS) {
        exhausted = true;
        return undefined;
      }
      try {
        check(path);
        return path;
      } catch (err) {
        if (!(err instanceof DtlsError)) throw err;
        refused ??= err;
        return undefined;
      }
    }
    if (path.length > deepest.length) deepest = path;
    if (path.length >= maxLength) {
      tooLong = true;
      return undefined;
    }
    // A certificate the peer sent that is also in `ca` is the trusted one; duplicates count once.
    const seen = new Set(path.map((c) => c.sha256));
    const candidates: ParsedCertificate[] = [];
    for (const c of [...store.issuersOf(current), ...pool.filter((p) => namesIssuer(current, p))]) {
      if (seen.has(c.sha256)) continue;
      seen.add(c.sha256);
      candidates.push(c);
    }
    const ordered = [...candidates.filter((c) => validAt(c, now)), ...candidates.filter((c) => !validAt(c, now))];
    for (const issuer of ordered) {
      const signed = signedBy(current, issuer);
      if (signed === undefined) {
        exhausted = true;
        return undefined;
      }
      if (!signed) {
        badSignature ??= { child: current, issuer };
        continue;
      }
      const found = extend([...path, issuer]);
      if (found !== undefined) return found;
      if (exhausted) return undefined;
    }
    return undefined;
  };

  const path = extend([leaf]);
  if (path !== undefined) return path;
  if (refused !== undefined) throw refused;
  if (badSignature !== undefined) {
    fail(
      AlertDescription.bad_certificate,
      `the signature on certificate ${quoted(badSignature.child)} does not verify with the key of its issuer ${quoted(badSignature.issuer)}`,
    );
  }
  if (exhausted) {
    fail(
      AlertDescription.unknown_ca,
      `no trusted path found for ${quoted(leaf)} within the search bounds (${MAX_SIGNATURE_CHECKS} signature checks, ${MAX_SEARCH_STEPS} steps, ${MAX_PATHS} paths)`,
    );
  }
  if (tooLong) fail(AlertDescription.unknown_ca, `no trusted CA within ${maxLength} certificates of ${quoted(leaf)}`);
  const last = deepest[deepest.length - 1] ?? leaf;
  if (isSelfIssued(last)) {
    fail(AlertDescription.unknown_ca, `certificate ${quoted(last)} is self-signed and not trusted`);
  }
  // No candidate issuer at all: not among the trusted CAs, and the peer did not send it either.
  // The usual cause is a peer configured with its leaf alone, without the intermediate that
  // links it to the root (RFC 5246 7.4.2: the sender's chain follows its certificate).
  fail(
    AlertDescription.unknown_ca,
    `certificate ${quoted(last)} was issued by "${last.issuer}", which is not a trusted CA, and the ${role} did not send it: ` +
      `if it is an intermediate CA, the intermediate was not sent (the ${role}'s chain lacks it)`,
  );
}

function checkDates(cert: ParsedCertificate, now: Date): void {
  if (now.getTime() < cert.notBefore.getTime()) {
    fail(AlertDescription.certificate_expired, `certificate ${quoted(cert)} is not valid before ${cert.notBefore.toISOString()}`);
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    fail(AlertDescription.certificate_expired, `certificate ${quoted(cert)} expired on ${cert.notAfter.toISOString()}`);
  }
}

/**
 * RFC 5280 4.2.1.12: with an extKeyUsage, the certificate may be used for the purposes it
 * names only. anyExtendedKeyUsage without the purpose is refused, as OpenSSL does (the RFC lets
 * applications that need a particular purpose do so).
 */
function allowsPurpose(cert: ParsedCertificate, purpose: string): boolean {
  const eku = cert.extendedKeyUsage;
  return eku === undefined || eku.includes(purpose);
}

/** RFC 5280 6.1.4 (k), (l), (n): what makes `cert` an acceptable issuer of the `below` certificates under it. */
function checkIssuer(cert: ParsedCertificate, nonSelfIssuedBelow: number, isAnchor: boolean): void {
  const bc = cert.basicConstraints;
  // RFC 5280 6.1.1 (d): a trust anchor is trusted as a CA by being in `ca`; what marks it as
  // one is ours to choose. As OpenSSL (X509_check_ca): basicConstraints cA, a version 1
  // certificate (no extensions at all), or keyUsage keyCertSign without basicConstraints.
  // Every other issuer needs basicConstraints cA (6.1.4 (k)).
  const anchorMarked = isAnchor && (cert.version === 1 || (bc === undefined && cert.keyUsage?.has('keyCertSign') === true));
  if (!anchorMarked && bc?.ca !== true) {
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

/** The security level (security-level.ts): the key of every certificate, the signature of all but the anchor. */
function checkStrength(cert: ParsedCertificate, isAnchor: boolean, level: number): void {
  const minimum = minimumSecurityBits(level);
  if (cert.keySecurityBits < minimum) {
    fail(
      AlertDescription.bad_certificate,
      `certificate ${quoted(cert)} has a ${keyOf(cert)} key, weaker than security level ${level} allows (${cert.keySecurityBits} < ${minimum} bits)`,
    );
  }
  // The anchor's self-signature carries no trust: OpenSSL does not rate it either.
  if (!isAnchor && cert.signatureSecurityBits < minimum) {
    fail(
      AlertDescription.bad_certificate,
      `certificate ${quoted(cert)} is signed with ${signatureAlgorithmName(cert.signatureAlgorithm)}, weaker than security level ${level} allows (${cert.signatureSecurityBits} < ${minimum} bits)`,
    );
  }
}

/** How many name × subtree comparisons one validation may still make (shared by every path it checks). */
interface NameCheckBudget {
  remaining: number;
}

/** RFC 5280 6.1.3 (b)/(c), 6.1.4 (g): every CA's nameConstraints over every certificate below it. */
function checkNameConstraints(path: readonly ParsedCertificate[], budget: NameCheckBudget): void {
  if (!path.some((cert) => cert.nameConstraints !== undefined)) return;
  path.forEach((cert, i) => {
    // Self-issued certificates other than the leaf are not constrained (RFC 5280 6.1.3 (b)).
    if (i > 0 && isSelfIssued(cert)) return;
    const names = constrainedNamesOf(cert.constrainedNames, i === 0);
    for (const ca of path.slice(i + 1)) {
      const constraints = ca.nameConstraints;
      if (constraints === undefined) continue;
      budget.remaining -= names.length * (constraints.permitted.length + constraints.excluded.length);
      if (budget.remaining < 0) {
        fail(AlertDescription.bad_certificate, `certificate ${quoted(cert)}: too many names and name constraints on the path to check`);
      }
      const violation = nameConstraintViolation(names, constraints);
      if (violation !== undefined) {
        fail(AlertDescription.certificate_unknown, `certificate ${quoted(cert)} is outside the name constraints of CA ${quoted(ca)}: ${violation}`);
      }
    }
  });
}

/** Every check of one candidate path (see the module comment); throws a DtlsError for the first failure. */
function checkPath(path: readonly ParsedCertificate[], purpose: string, purposeName: string, level: number, now: Date, budget: NameCheckBudget): void {
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
    if (cert.unnamedCurve) {
      fail(AlertDescription.bad_certificate, `certificate ${quoted(cert)} has an elliptic-curve key with explicit parameters instead of a named curve (RFC 5480 2.1.1)`);
    }
    checkStrength(cert, isAnchor, level);
    if (i > 0) {
      checkIssuer(cert, nonSelfIssuedBelow, isAnchor);
      // RFC 5280 6.1.4 (l): self-issued certificates do not count against pathLenConstraint.
      if (!isSelfIssued(cert)) nonSelfIssuedBelow++;
    }
    if (!allowsPurpose(cert, purpose)) {
      fail(AlertDescription.unsupported_certificate, `certificate ${quoted(cert)} has an extKeyUsage without ${purposeName}`);
    }
  });
  checkNameConstraints(path, budget);
}

/**
 * Validates a peer's chain (DER, leaf first, as in its Certificate message). Returns the
 * path to the trusted certificate, or throws a DtlsError carrying the alert of the table above
 * and a message that names the certificate at fault.
 */
export function validateChain(chain: readonly Uint8Array[], options: ChainValidationOptions): ValidatedChain {
  return { path: checkChain(chain, options).map(describeParsed) };
}

/**
 * validateChain, returning the path decoded (verifier.ts). `decoded` holds the first
 * certificates of `chain` that the caller decoded already, in order (the verifier's leaf), so
 * that each certificate is decoded once per validation; the others come from the memo of
 * parsed-certificates.ts, or are decoded now.
 */
export function checkChain(chain: readonly Uint8Array[], options: ChainValidationOptions, decoded: readonly ParsedCertificate[] = []): ParsedCertificate[] {
  const role = options.peerRole;
  const level = securityLevelOption(options.securityLevel);
  if (chain.length === 0) {
    // RFC 5246 7.4.6: a server that requires a client certificate answers an empty one with a
    // fatal handshake_failure; a server must always send one (7.4.2), the same alert applies.
    fail(AlertDescription.handshake_failure, `the ${role} sent no certificate`);
  }
  if (chain.length > MAX_PEER_CHAIN) {
    fail(AlertDescription.bad_certificate, `the ${role} sent ${chain.length} certificates, more than the ${MAX_PEER_CHAIN} accepted`);
  }
  const parsed = chain.map((der, i) => {
    const known = decoded[i];
    if (known !== undefined) return known;
    try {
      return parsedCertificate(der);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new DtlsError(AlertDescription.bad_certificate, `certificate ${i} of the ${role}'s chain cannot be decoded: ${detail}`, { cause: err });
    }
  });
  const store = options.ca instanceof TrustStore ? options.ca : new TrustStore(options.ca);
  const now = options.now ?? new Date();
  const leaf = parsed[0];
  if (leaf === undefined) fail(AlertDescription.handshake_failure, `the ${role} sent no certificate`);

  let leafUsable = false;
  try {
    leafUsable = signatureSchemesForKey(leaf.node.publicKey).length > 0;
  } catch {
    leafUsable = false; // a key OpenSSL cannot load
  }
  if (!leafUsable) fail(AlertDescription.unsupported_certificate, `certificate ${quoted(leaf)} has a key we cannot use (${keyOf(leaf)})`);

  const purpose = role === 'server' ? id_kp_serverAuth : id_kp_clientAuth;
  const purposeName = role === 'server' ? 'serverAuth' : 'clientAuth';
  const budget: NameCheckBudget = { remaining: MAX_NAME_CHECKS };
  const path = findPath(leaf, parsed.slice(1), store, options.maxPathLength ?? MAX_PEER_CHAIN + 1, now, role, (candidate) =>
    checkPath(candidate, purpose, purposeName, level, now, budget),
  );
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.has('digitalSignature')) {
    fail(AlertDescription.unsupported_certificate, `certificate ${quoted(leaf)} has a keyUsage without digitalSignature`);
  }

  if (options.hostname !== undefined && options.hostname !== '') {
    const check = options.checkServerIdentity ?? defaultCheckServerIdentity;
    let error: Error | undefined;
    try {
      error = check(options.hostname, describeParsed(leaf));
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    if (error !== undefined) {
      throw new DtlsError(AlertDescription.bad_certificate, `certificate ${quoted(leaf)} is not valid for ${options.hostname}: ${error.message}`, {
        cause: error,
      });
    }
  }
  return path;
}

/** RFC 5280 6.1: a certificate is self-issued when its subject and issuer are the same name. */
function isSelfIssued(cert: ParsedCertificate): boolean {
  return sameBytes(cert.subjectDer, cert.issuerDer);
}
