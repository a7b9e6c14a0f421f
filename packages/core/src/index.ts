/**
 * @dtls-kit/core — a sans-I/O DTLS 1.2 engine (RFC 6347): records, handshake, crypto providers.
 * It does no I/O and reads no clock: feed it datagrams and the time, ask it what to send.
 *
 * This entry is what a user of the engine needs: connections and the stateless endpoint, their
 * options and credentials' shapes, errors and alerts, crypto providers, the suite registry. The
 * pieces our own runtimes and tools are built from (record layer, codecs, connection table, ...)
 * are on `@dtls-kit/core/internal` (./internal.ts), without a semver promise.
 */
export { AlertDescription, AlertLevel, alertName } from './alert.js';
export { DtlsError, DecodeError, IllegalParameterError, HandshakeTimeoutError } from './errors.js';
export { ConnectionRefusedError, NoReplyError } from './connect-errors.js';
export { fromHex, toHex } from './bytes.js';
export { cipherInfo, type CipherInfo } from './cipher-info.js';
export {
  DROP_REASONS,
  SERVER_STATS_CHANNEL,
  type AlertCounts,
  type DropCounts,
  type DropReason,
  type HandshakeFailureCounts,
  type ServerStats,
  type StatsChange,
} from './server-stats.js';
export { peerPublicKey } from './peer-public-key.js';
export { peerCertificate, peerX509Certificate, type DetailedPeerCertificate, type NoPeerCertificate, type PeerCertificate } from './peer-certificate.js';
export type { ALPNCallbackInfo, ClientOptions, DtlsOptions, ServerCredentials, ServerOptions, SNICallback } from './config.js';
export { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './options.js';
export { DEFAULT_MTU, MAX_MTU, MIN_MTU } from './mtu.js';
export { DtlsConnection, type ConnectionState, type DtlsEvent } from './connection.js';
export { peerKey, type PeerAddress } from './endpoint/peer-address.js';
export { ServerEndpoint, type EndpointResult, type VerifiedClientHello, type VerifyResult } from './endpoint/server-endpoint.js';
export type { PskClientCredentials, PskIdentityKey, PskServerCredentials } from './key-exchange/psk-credentials.js';
export type { RetransmitOptions } from './handshake/common/retransmit-timer.js';
export { defaultConnectionIdGenerator, type ConnectionIdGenerator } from './handshake/common/connection-id.js';

// Crypto providers
export type { Aead, AeadAlgorithm, CryptoProvider, HashAlgorithm, KeyShare, NamedGroupName } from './crypto/provider.js';
export { nodeCryptoProvider } from './crypto/node-provider.js';
export { nobleCryptoProvider } from './crypto/noble-provider.js';
export { loadSodiumCryptoProvider, sodiumCryptoProvider, type ModuleLoader, type SodiumProviderOptions } from './crypto/sodium-provider.js';
export { ProviderUnavailableError } from './crypto/provider-unavailable-error.js';

// Cipher suites
export type { CipherSuite, KeyExchangeAlgorithm } from './suites/cipher-suite.js';
export { CIPHER_SUITES, cipherSuiteById, cipherSuiteByName } from './suites/registry.js';

// Certificate credentials (what @dtls-kit/x509 implements; the schemes a signer and a verifier name)
export { SignatureScheme } from './handshake/extensions/signature-scheme.js';
export type {
  CertificateClientCredentials,
  CertificateServerCredentials,
  CertificateSigner,
  CertificateVerifier,
  PeerVerificationContext,
  RawPublicKeyCredentials,
} from './key-exchange/certificate-credentials.js';
export { CertificateType } from './handshake/extensions/certificate-type.js';
export type { PeerVerificationResult } from './key-exchange/certificate-credentials.js';
