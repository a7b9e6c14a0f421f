/**
 * The signature schemes of TLS 1.2 signatures (ServerKeyExchange, CertificateVerify), with
 * node:crypto. Code points are RFC 8446 4.2.3 SignatureScheme values, which TLS 1.2 reads as
 * SignatureAndHashAlgorithm (RFC 5246 7.4.1.4.1); their meaning follows RFC 8446 / RFC 8422:
 * - ecdsa_secp{256r1,384r1,521r1}_sha{256,384,512}: ECDSA with that hash, the signature is
 *   the DER `ECDSA-Sig-Value` SEQUENCE { r, s } (RFC 8422 5.4, as TLS sends it). In (D)TLS 1.2
 *   the code point is the pair (hash, ecdsa) of RFC 5246 7.4.1.4.1 and binds no curve (RFC 8446
 *   4.2.3 keeps the 1.2 meaning for 1.2): OpenSSL and GnuTLS sign with a P-384 key under
 *   ecdsa_secp256r1_sha256 when the peer lists it first. A key on any curve we support signs
 *   and verifies with every ECDSA scheme, preferring the one named after its own curve;
 * - rsa_pss_rsae_sha*: RSASSA-PSS with an rsaEncryption key, MGF1 with the same hash and a salt
 *   as long as the hash (RFC 8446 4.2.3);
 * - rsa_pkcs1_sha*: RSASSA-PKCS1-v1_5 (RFC 8017 8.2);
 * - ed25519: PureEdDSA over the whole content (RFC 8422 5.1.3, RFC 8032).
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { AlertDescription, DtlsError, SignatureScheme } from '@dtls-kit/core';

type Hash = 'sha256' | 'sha384' | 'sha512';

type SchemeSpec =
  | { readonly kind: 'ecdsa'; readonly hash: Hash; readonly curve: string }
  | { readonly kind: 'rsa_pss'; readonly hash: Hash; readonly saltLength: number }
  | { readonly kind: 'rsa_pkcs1'; readonly hash: Hash }
  | { readonly kind: 'ed25519' };

// node names the curves as OpenSSL does: prime256v1 is secp256r1 (RFC 8422 5.1.1).
const SCHEMES: ReadonlyMap<number, SchemeSpec> = new Map<number, SchemeSpec>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: 'ecdsa', hash: 'sha256', curve: 'prime256v1' }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: 'ecdsa', hash: 'sha384', curve: 'secp384r1' }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { kind: 'ecdsa', hash: 'sha512', curve: 'secp521r1' }],
  [SignatureScheme.ed25519, { kind: 'ed25519' }],
  [SignatureScheme.rsa_pss_rsae_sha256, { kind: 'rsa_pss', hash: 'sha256', saltLength: 32 }],
  [SignatureScheme.rsa_pss_rsae_sha384, { kind: 'rsa_pss', hash: 'sha384', saltLength: 48 }],
  [SignatureScheme.rsa_pss_rsae_sha512, { kind: 'rsa_pss', hash: 'sha512', saltLength: 64 }],
  [SignatureScheme.rsa_pkcs1_sha256, { kind: 'rsa_pkcs1', hash: 'sha256' }],
  [SignatureScheme.rsa_pkcs1_sha384, { kind: 'rsa_pkcs1', hash: 'sha384' }],
  [SignatureScheme.rsa_pkcs1_sha512, { kind: 'rsa_pkcs1', hash: 'sha512' }],
]);

/**
 * Every scheme we sign and verify, in our preference order (that of OpenSSL's default
 * signature_algorithms list): ECDSA, Ed25519, RSA-PSS, then PKCS#1 v1.5.
 */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly SignatureScheme[] = [...SCHEMES.keys()];

/** Smallest RSA modulus we sign or verify with (OpenSSL security level 1, 80-bit security). */
export const MIN_RSA_BITS = 1024;

/** The IANA name of a scheme, e.g. `ecdsa_secp256r1_sha256`, or its hex code when unknown. */
export function signatureSchemeName(scheme: number): string {
  const name: unknown = SignatureScheme[scheme];
  return typeof name === 'string' ? name : `0x${scheme.toString(16).padStart(4, '0')}`;
}

/** The curves of the ECDSA schemes: the only ones we sign or verify with. */
const ECDSA_CURVES: ReadonlySet<string> = new Set(
  [...SCHEMES.values()].flatMap((spec) => (spec.kind === 'ecdsa' ? [spec.curve] : [])),
);

function keyCanDo(key: KeyObject, spec: SchemeSpec): boolean {
  switch (spec.kind) {
    case 'ecdsa':
      // Any supported curve with any ECDSA scheme: the TLS 1.2 meaning (see the module comment).
      return key.asymmetricKeyType === 'ec' && ECDSA_CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? '');
    case 'ed25519':
      return key.asymmetricKeyType === 'ed25519';
    case 'rsa_pss':
    case 'rsa_pkcs1':
      // rsa_pss_rsae_* and rsa_pkcs1_* take an rsaEncryption key; an RSASSA-PSS key ('rsa-pss')
      // would need the rsa_pss_pss_* schemes, which we do not offer.
      return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
  }
}

/**
 * The schemes a key (private, or the public key of a certificate) can sign or verify with, in
 * our preference order; empty when the key is of a kind we do not support (another curve,
 * DSA, an RSASSA-PSS-only key, RSA below MIN_RSA_BITS).
 */
export function signatureSchemesForKey(key: KeyObject): SignatureScheme[] {
  const usable = SUPPORTED_SIGNATURE_SCHEMES.filter((scheme) => {
    const spec = SCHEMES.get(scheme);
    return spec !== undefined && keyCanDo(key, spec);
  });
  // An ECDSA key prefers the scheme of its own curve (P-384: ecdsa_secp384r1_sha384 first).
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const ownCurve = (scheme: SignatureScheme): boolean => {
    const spec = SCHEMES.get(scheme);
    return spec?.kind === 'ecdsa' && spec.curve === curve;
  };
  return [...usable.filter(ownCurve), ...usable.filter((scheme) => !ownCurve(scheme))];
}

/** Which ECDHE suites a key serves (RFC 8422 5.1.1/RFC 5246 7.4.2), or undefined for none. */
export function keyExchangeForKey(key: KeyObject): 'ecdhe_ecdsa' | 'ecdhe_rsa' | undefined {
  const schemes = signatureSchemesForKey(key);
  if (schemes.length === 0) return undefined;
  return key.asymmetricKeyType === 'rsa' ? 'ecdhe_rsa' : 'ecdhe_ecdsa';
}

/** A description of a key for messages: `ec prime256v1`, `rsa 2048`, `ed25519`. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (details?.namedCurve !== undefined) return `${key.asymmetricKeyType ?? 'unknown'} ${details.namedCurve}`;
  if (details?.modulusLength !== undefined) return `${key.asymmetricKeyType ?? 'unknown'} ${details.modulusLength}`;
  return key.asymmetricKeyType ?? 'unknown';
}

/**
 * Signs the whole `data` with `scheme` (the scheme says how to hash it). Throws a DtlsError
 * (internal_error) when the scheme is unknown or the key cannot make it: the engine only asks
 * for schemes that the signer listed.
 */
export function signWithScheme(key: KeyObject, scheme: number, data: Uint8Array): Uint8Array {
  const spec = SCHEMES.get(scheme);
  if (spec === undefined || !keyCanDo(key, spec)) {
    throw new DtlsError(AlertDescription.internal_error, `a ${describeKey(key)} key cannot sign with ${signatureSchemeName(scheme)}`);
  }
  switch (spec.kind) {
    case 'ecdsa':
      return new Uint8Array(sign(spec.hash, data, { key, dsaEncoding: 'der' }));
    case 'ed25519':
      return new Uint8Array(sign(null, data, key));
    case 'rsa_pss':
      return new Uint8Array(sign(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength }));
    case 'rsa_pkcs1':
      return new Uint8Array(sign(spec.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }));
  }
}

/**
 * Checks `signature` over `data` with a public (or private) key. False for an unknown scheme,
 * a scheme the key cannot make (an ECDSA key on another curve, an RSA key for ECDSA, ...), a
 * malformed signature, or one that does not verify. Never throws for bad input.
 */
export function verifyWithScheme(key: KeyObject, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
  const spec = SCHEMES.get(scheme);
  if (spec === undefined || !keyCanDo(key, spec)) return false;
  try {
    switch (spec.kind) {
      case 'ecdsa':
        return verify(spec.hash, data, { key, dsaEncoding: 'der' }, signature);
      case 'ed25519':
        return verify(null, data, key, signature);
      case 'rsa_pss':
        // A fixed salt length makes OpenSSL check that the salt is exactly that long.
        return verify(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength }, signature);
      case 'rsa_pkcs1':
        return verify(spec.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
  } catch {
    return false;
  }
}
