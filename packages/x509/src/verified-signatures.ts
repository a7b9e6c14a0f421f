/**
 * The signatures on certificates that verified (child certificate, issuer certificate), so that
 * a chain seen before skips the signature math (an ECDSA or RSA verification per certificate).
 *
 * Whether the child's signature verifies with the issuer's key is a function of the exact bytes
 * of both certificates alone: the child's DER holds its TBSCertificate, its signatureAlgorithm
 * and its signatureValue; the issuer's DER holds the key and its parameters. So an entry is
 * keyed by the SHA-256 of both and used only when both DERs are equal, byte for byte, to the
 * ones asked about: a certificate that differs in any byte (its TBS, its signature, another
 * issuer with the same name or key) is verified afresh. Only the signature is remembered: the
 * validity dates, names, name constraints, key usages, basic constraints, path length, host
 * name, security level and trust anchor are checked on every validation (chain.ts). Failed
 * signatures are not remembered. Bounded by VERIFIED_SIGNATURES_MAX pairs and
 * VERIFIED_SIGNATURES_MAX_BYTES of DER held, least recently used first out.
 */
import { BoundedCache } from './bounded-cache.js';
import { sameBytes } from './bytes.js';
import type { ParsedCertificate } from './certificate.js';

/** The most (child, issuer) pairs remembered. */
export const VERIFIED_SIGNATURES_MAX = 1024;
/** The most DER bytes (child's and issuer's) they may hold. */
export const VERIFIED_SIGNATURES_MAX_BYTES = 4 * 1024 * 1024;

interface VerifiedPair {
  readonly child: Uint8Array;
  readonly issuer: Uint8Array;
}

/** Exported for the tests, which check its bounds; the package does not export it. */
export const verifiedSignatures = new BoundedCache<string, VerifiedPair>(VERIFIED_SIGNATURES_MAX, VERIFIED_SIGNATURES_MAX_BYTES);

/**
 * True when the signature on `child` verifies with the public key of `issuer` (RFC 5280 6.1.3
 * (a)(1)); false when it does not or the key cannot be used.
 */
export function signatureVerifies(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  // Two fixed-length digests: the key splits into them one way only.
  const key = child.sha256 + issuer.sha256;
  const known = verifiedSignatures.get(key);
  if (known !== undefined && sameBytes(known.child, child.der) && sameBytes(known.issuer, issuer.der)) return true;
  let verified: boolean;
  try {
    verified = child.node.verify(issuer.node.publicKey);
  } catch {
    verified = false;
  }
  if (verified) {
    verifiedSignatures.set(key, { child: child.der, issuer: issuer.der }, child.der.length + issuer.der.length);
  }
  return verified;
}
