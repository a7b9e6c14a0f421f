/**
 * node:tls `sigalgs`: a colon-separated list of signature scheme names in preference order
 * (`ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256`), restricting what we sign with and accept.
 */
import { SignatureScheme } from '@dtls-kit/core';
import { SUPPORTED_SIGNATURE_SCHEMES, signatureSchemeName } from './signature.js';

/** The schemes named in `sigalgs`, in its order; throws a TypeError for a name we do not support. */
export function parseSigalgs(sigalgs: string): SignatureScheme[] {
  const byName = new Map(SUPPORTED_SIGNATURE_SCHEMES.map((s) => [signatureSchemeName(s), s]));
  const schemes = sigalgs
    .split(':')
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .map((name) => {
      const scheme = byName.get(name);
      if (scheme === undefined) {
        throw new TypeError(`sigalgs: unsupported signature scheme "${name}" (supported: ${[...byName.keys()].join(', ')})`);
      }
      return scheme;
    });
  if (schemes.length === 0) throw new TypeError('sigalgs: no signature scheme given');
  return [...new Set(schemes)];
}

/** `available` kept in the order of `preferred` when given (and only those), else unchanged. */
export function restrictSchemes(available: readonly SignatureScheme[], sigalgs: string | undefined): SignatureScheme[] {
  if (sigalgs === undefined) return [...available];
  return parseSigalgs(sigalgs).filter((s) => available.includes(s));
}
