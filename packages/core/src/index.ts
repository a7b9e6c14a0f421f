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
export { MAX_RECORD_SIZE_LIMIT, MIN_RECORD_SIZE_LIMIT, type RecordSizeLimit } from './handshake/common/record-size-negotiation.js';
export type { MaxFragmentLength } from './handshake/extensions/max-fragment-length.js';
export { DtlsConnection, type ConnectionState, type DtlsEvent } from './connection.js';
export {
  decodeEstablishedSnapshot,
  encodeEstablishedSnapshot,
  ESTABLISHED_SNAPSHOT_FORMAT,
  type EstablishedSnapshot,
  type NegotiatedSnapshot,
  type SnapshotEvent,
} from './established-snapshot.js';
export { CborError } from './codec/cbor.js';
export { peerKey, type PeerAddress } from './endpoint/peer-address.js';
export { ServerEndpoint, type EndpointResult, type VerifiedClientHello, type VerifyResult } from './endpoint/server-endpoint.js';
export type { PskClientCredentials, PskIdentityKey, PskServerCredentials } from './key-exchange/psk-credentials.js';
export type { RetransmitOptions } from './handshake/common/retransmit-timer.js';
export type { KeyUpdateOptions } from './record/dtls13-key-update-options.js';
export { defaultConnectionIdGenerator, type ConnectionIdGenerator } from './handshake/common/connection-id.js';
export { MemorySessionStore, DEFAULT_SESSION_CACHE_SIZE, type SessionStore } from './session/session-store.js';
export { MAX_TICKET_KEYS, TICKET_KEY_LENGTH } from './session/ticket-keys.js';
export { DEFAULT_SESSION_TIMEOUT_S } from './session/session-options.js';
// Secrets shared by several server processes (a cookie secret, ticket keys): the file's format and its rotation.
export { MAX_COOKIE_SECRET_LENGTH, MIN_COOKIE_SECRET_LENGTH } from './endpoint/shared-cookie-keys.js';
export { parseProxyV2, PROXY_V2_SIGNATURE, type ProxyHeader, type ProxyHeaderError, type ProxyProtocolOptions } from './endpoint/proxy-protocol.js';
export { SecretsFileError } from './secrets/secrets-file-error.js';
export { MAX_SECRETS_FILE_BYTES, SECRETS_FILE_FORMAT, formatSecretsFile, parseSecretsFile, type SharedSecrets } from './secrets/secrets-file.js';
export type { SecretsLoadInfo } from './secrets/secrets-options.js';
export { DEFAULT_COOKIE_GRACE_MS, DEFAULT_KEPT_TICKET_KEYS, newSecrets, rotateSecrets, type RotateOptions, type Rotation } from './secrets/rotate-secrets.js';

// Crypto providers
export type { Aead, AeadAlgorithm, CbcAlgorithm, CbcCipher, CryptoProvider, HashAlgorithm, KeyShare, NamedGroupName } from './crypto/provider.js';
export { nodeCryptoProvider } from './crypto/node-provider.js';
export { nobleCryptoProvider } from './crypto/noble-provider.js';
export { loadSodiumCryptoProvider, sodiumCryptoProvider, type SodiumProviderOptions } from './crypto/sodium-provider.js';
export { loadNativeCryptoProvider, nativeCryptoProvider, type NativeProviderOptions } from './crypto/native-provider.js';
export type { ModuleLoader } from './crypto/optional-module.js';
export { ProviderUnavailableError } from './crypto/provider-unavailable-error.js';

// Cipher suites
export type { CbcProtection, CipherSuite, KeyExchangeAlgorithm } from './suites/cipher-suite.js';
export { CIPHER_SUITES, DEFAULT_CIPHER_SUITES, cipherSuiteById, cipherSuiteByName } from './suites/registry.js';
// DTLS-SRTP (RFC 5764): the protection profiles, and the keying material a connection exports.
export { SRTP_PROFILES, srtpProfileById, srtpProfileByName, type SrtpProfile } from './srtp/srtp-profile.js';
export { SRTP_EXPORTER_LABEL, srtpKeyingMaterialLength, type SrtpKeyingMaterial } from './srtp/srtp-keying-material.js';

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
