/**
 * @dtls-kit/x509 — certificate authentication for dtls-kit (ECDHE_ECDSA and ECDHE_RSA suites):
 * keys and certificates from PEM or DER, TLS signature schemes, chain validation against
 * trusted CAs with host name checks, and helpers that make a CA and certificates for tests.
 * Pass what `x509Server`/`x509Client` return as the engine's certificate credentials.
 */
export { x509Client, x509Server, type X509ClientCredentials, type X509ClientOptions, type X509ServerCredentials, type X509ServerOptions } from './credentials.js';
export { rpkClient, rpkServer, type RpkClientCredentials, type RpkClientOptions, type RpkServerCredentials, type RpkServerOptions } from './rpk-credentials.js';
export {
  createPinnedKeyVerifier,
  parsePublicKeys,
  subjectPublicKeyInfo,
  type PinnedKeyVerifier,
  type PinnedKeyVerifierOptions,
  type PublicKeyInput,
} from './raw-public-key.js';
export { createSigner, type X509Signer, type X509SignerOptions } from './signer.js';
export { createVerifier, type X509Verifier, type X509VerifierOptions } from './verifier.js';
export { validateChain, MAX_PEER_CHAIN, type ChainValidationOptions, type CheckServerIdentity, type ValidatedChain } from './chain.js';
export { TrustStore } from './trust-store.js';
export { DEFAULT_SECURITY_LEVEL } from './security-level.js';
export { checkServerIdentity, dnsNameMatches } from './hostname.js';
export { describeCertificate, type PeerCertificate } from './peer-certificate.js';
export type { SubjectAltName } from './certificate.js';
export { decodePem, parseCertificates, parsePrivateKey, type CertificateInput, type PemBlock, type PrivateKeyInput } from './pem.js';
export {
  MIN_RSA_BITS,
  SUPPORTED_SIGNATURE_SCHEMES,
  keyExchangeForKey,
  signWithScheme,
  signatureSchemeName,
  signatureSchemesForKey,
  verifyWithScheme,
} from './signature.js';
export { parseSigalgs } from './sigalgs.js';
export {
  createCA,
  createCertificate,
  type CreateCAOptions,
  type CreateCertificateOptions,
  type GeneratedCertificate,
  type GeneratedKeyType,
} from './generate.js';
