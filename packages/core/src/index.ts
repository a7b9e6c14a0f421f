/**
 * @dtls-kit/core — a sans-I/O DTLS 1.2 engine (RFC 6347): records, handshake, crypto providers.
 * It does no I/O and reads no clock: feed it datagrams and the time, ask it what to send.
 */
export { AlertDescription, AlertLevel, alertName } from './alert.js';
export { DtlsError, DecodeError, IllegalParameterError, HandshakeTimeoutError } from './errors.js';
export { ConnectionRefusedError, NoReplyError } from './connect-errors.js';
export { concatBytes, constantTimeEqual, fromHex, toHex, utf8 } from './bytes.js';
export { cipherInfo, type CipherInfo } from './cipher-info.js';
export {
  CONNECTION_COUNTER_FIELDS,
  DROP_REASONS,
  SERVER_STATS_CHANNEL,
  ServerStatsCounter,
  type AlertCounts,
  type ConnectionCounters,
  ZERO_CONNECTION_COUNTERS,
  type DropCounts,
  type DropReason,
  type HandshakeFailureCounts,
  type ServerStats,
  type StatsChange,
} from './server-stats.js';
export { peerCertificate, peerX509Certificate, type DetailedPeerCertificate, type NoPeerCertificate, type PeerCertificate } from './peer-certificate.js';
export type { ALPNCallbackInfo, ClientOptions, DtlsOptions, ServerCredentials, ServerOptions, SNICallback } from './config.js';
export { DEFAULT_HANDSHAKE_TIMEOUT_MS, resolveServerOptions, type ResolvedServerOptions } from './options.js';
export {
  checkOptionPlaces,
  ENGINE_CLIENT_OPTION_KEYS,
  ENGINE_SERVER_OPTION_KEYS,
  type OptionKeyTable,
  type OptionPlaces,
  type OtherOptionPlace,
} from './option-places.js';
export { setSocketTimeout, type TimeoutListeners } from './socket-timeout.js';
export { DEFAULT_MTU, MAX_MTU, MIN_MTU, maxPayloadFor, recordOverhead } from './mtu.js';
export { DtlsConnection, type ConnectionState, type DtlsEvent } from './connection.js';
export { connectionIdKeyLogComment } from './connection-id-keylog.js';
export { addressGroup, peerKey, samePeer, type PeerAddress } from './endpoint/peer-address.js';
export { ConnectionTable, type RestartDetection, type Route } from './endpoint/connection-table.js';
export { plaintextAlert } from './endpoint/plaintext-alert.js';
export { ServerEndpoint, type EndpointResult, type VerifiedClientHello, type VerifyResult } from './endpoint/server-endpoint.js';
export { CookieCheck, type CookieCheckOptions } from './endpoint/cookie-check.js';
export type { PskClientCredentials, PskIdentityKey, PskServerCredentials } from './key-exchange/psk-credentials.js';
export type { RetransmitOptions } from './handshake/common/retransmit-timer.js';
export { defaultConnectionIdGenerator, type ConnectionIdGenerator } from './handshake/common/connection-id.js';

// Crypto providers and the key schedule
export type { Aead, AeadAlgorithm, CryptoProvider, HashAlgorithm, KeyShare, NamedGroupName } from './crypto/provider.js';
export { nodeCryptoProvider } from './crypto/node-provider.js';
export { nobleCryptoProvider } from './crypto/noble-provider.js';
export { ccmOpen, ccmSeal, type BlockEncrypt } from './crypto/aes-ccm.js';
export { prf } from './crypto/prf.js';
export { exportKeyingMaterial, extendedMasterSecret, keyBlock, masterSecret, verifyData, type TrafficKeys } from './crypto/key-schedule.js';
export { pskPremasterSecret } from './crypto/psk-premaster.js';

// Cipher suites
export type { CipherSuite, KeyExchangeAlgorithm } from './suites/cipher-suite.js';
export { CIPHER_SUITES, cipherSuiteById, cipherSuiteByName, parseCipherList } from './suites/registry.js';

// Record layer
export { ContentType } from './record/content-type.js';
export { RecordLayer, type ReadRecord, type RecordLayerOptions, type RecordLayerStats } from './record/record-layer.js';
export { ReplayWindow } from './record/replay-window.js';
export { splitRecords, type RawRecord } from './record/datagram.js';
export type { InnerRecord, RecordFormat } from './record/record-format.js';
export { DTLS12_RECORD_FORMAT, dtls12RecordFormat } from './record/dtls12-record-format.js';
export { recordFormatForConnectionId, tls12CidRecordFormat } from './record/tls12-cid-record-format.js';
export type { EpochKeys } from './record/epoch-keys.js';
export type { RecordHeader } from './record/record-header.js';

// Handshake codecs
export { HandshakeType } from './handshake/handshake-type.js';
export { decodeHandshakeFragments, encodeHandshakeFragment, type HandshakeFragment } from './handshake/handshake-header.js';
export { HandshakeReassembler } from './handshake/common/reassembler.js';
export { ExtensionType } from './handshake/extensions/extension-type.js';
export { NamedGroup } from './handshake/extensions/named-group.js';
export { SignatureScheme } from './handshake/extensions/signature-scheme.js';
export { decodeClientHello, encodeClientHello, type ClientHello } from './handshake/messages/client-hello.js';
export { decodeServerHello, encodeServerHello, type ServerHello } from './handshake/messages/server-hello.js';
export type {
  CertificateClientCredentials,
  CertificateServerCredentials,
  CertificateSigner,
  CertificateVerifier,
  PeerVerificationContext,
} from './key-exchange/certificate-credentials.js';
export type { PeerVerificationResult } from './key-exchange/certificate-credentials.js';
