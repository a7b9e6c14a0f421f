import { concatBytes } from '../../bytes.js';
import { SignatureScheme } from '../extensions/signature-scheme.js';
import { ecdheParamsBytes, type EcdheParams } from '../messages/server-key-exchange.js';

/** Which certificate key exchange a signature scheme serves (RFC 8422 5.1.1: ECDSA and EdDSA keys sign for ECDHE_ECDSA). */
export function schemeKeyExchange(scheme: number): 'ecdhe_ecdsa' | 'ecdhe_rsa' | undefined {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
    case SignatureScheme.ecdsa_secp384r1_sha384:
    case SignatureScheme.ecdsa_secp521r1_sha512:
    case SignatureScheme.ed25519:
      return 'ecdhe_ecdsa';
    case SignatureScheme.rsa_pkcs1_sha256:
    case SignatureScheme.rsa_pkcs1_sha384:
    case SignatureScheme.rsa_pkcs1_sha512:
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_rsae_sha512:
      return 'ecdhe_rsa';
    default:
      return undefined;
  }
}

/** The first scheme of ours (our preference) that the peer also lists; never a fixed choice. */
export function chooseScheme(ours: readonly number[], theirs: readonly number[]): number | undefined {
  return ours.find((s) => theirs.includes(s));
}

/** RFC 8422 5.4: a ServerKeyExchange signs client_random + server_random + ServerECDHParams. */
export function signedParamsContent(clientRandom: Uint8Array, serverRandom: Uint8Array, params: EcdheParams): Uint8Array {
  return concatBytes(clientRandom, serverRandom, ecdheParamsBytes(params));
}

/** RFC 5246 7.4.4 ClientCertificateType values. */
export const CERTIFICATE_TYPE_RSA_SIGN = 1;
export const CERTIFICATE_TYPE_ECDSA_SIGN = 64;
