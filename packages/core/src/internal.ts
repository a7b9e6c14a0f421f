/**
 * @dtls-kit/core/internal — the engine's parts that dtls-kit's own packages are built from: the
 * record layer, the handshake codecs, the key schedule, the server's connection table and stats
 * counter, option resolution. Internal: no semver promise, any release may change it. What a
 * user of the engine needs is on the main entry (./index.ts).
 */
export { concatBytes, constantTimeEqual, utf8 } from './bytes.js';
export { CONNECTION_COUNTER_FIELDS, ServerStatsCounter, ZERO_CONNECTION_COUNTERS, type ConnectionCounters } from './server-stats.js';
export { resolveClientOptions, resolveServerOptions, type ResolvedClientOptions, type ResolvedServerOptions } from './options.js';
export { maxPayloadFor, recordOverhead } from './mtu.js';
export {
  checkOptionPlaces,
  ENGINE_CLIENT_OPTION_KEYS,
  ENGINE_SERVER_OPTION_KEYS,
  type OptionKeyTable,
  type OptionPlaces,
  type OtherOptionPlace,
} from './option-places.js';
export { setSocketTimeout, type TimeoutListeners } from './socket-timeout.js';
export { connectionIdKeyLogComment } from './connection-id-keylog.js';
export { addressGroup, samePeer } from './endpoint/peer-address.js';
export { ConnectionTable, type RestartDetection, type Route } from './endpoint/connection-table.js';
export { plaintextAlert } from './endpoint/plaintext-alert.js';
export { cookieCheckVersionOptionsOf } from './endpoint/dtls13-default-policy.js';
export { CookieCheck, type CookieCheckOptions } from './endpoint/cookie-check.js';
export { checkSecretsFileAlone, cookieSecretsOf, secretsLoadInfo, type SecretsLoadInfo } from './secrets/secrets-options.js';
export { proxyProtocolSources } from './endpoint/proxy-protocol.js';
export { DEFAULT_SECRETS_POLL_MS, SecretsWatcher, loadSecretsFileSync, type SecretsWatcherOptions } from './secrets/secrets-watcher.js';

// The key schedule and the primitives under the providers
export { ccmOpen, ccmSeal, type BlockEncrypt } from './crypto/aes-ccm.js';
export { prf } from './crypto/prf.js';
export { exportKeyingMaterial, extendedMasterSecret, keyBlock, masterSecret, verifyData, type TrafficKeys } from './crypto/key-schedule.js';
export { pskPremasterSecret } from './crypto/psk-premaster.js';

// OpenSSL-style cipher lists ("A:B"), as the CLI takes them
export { parseCipherList } from './suites/registry.js';
export { TLS13_CIPHER_SUITES, tls13CipherSuiteById, tls13CipherSuiteByName, type Tls13CipherSuite } from './suites/tls13-cipher-suites.js';

// Record layer
export { ContentType } from './record/content-type.js';
export { RecordLayer, type ReadRecord, type RecordLayerOptions, type RecordLayerStats } from './record/record-layer.js';
export { ReplayWindow } from './record/replay-window.js';
export { splitRecords, type RawRecord } from './record/datagram.js';
export type { InnerRecord, RecordFormat } from './record/record-format.js';
export { DTLS12_RECORD_FORMAT, dtls12RecordFormat } from './record/dtls12-record-format.js';
export { recordFormatForConnectionId, tls12CidRecordFormat } from './record/tls12-cid-record-format.js';
export type { EpochKeys, RecordKeys } from './record/epoch-keys.js';
export type { CbcEpochKeys } from './record/cbc-record.js';
export type { RecordHeader } from './record/record-header.js';
// DTLS 1.3 record layer (RFC 9147 4): not wired into DtlsConnection yet.
export { Dtls13RecordLayer, type Dtls13ReadRecord, type Dtls13RecordLayerOptions, type Dtls13RecordStats, type Dtls13WriteFormat } from './record/dtls13-record-layer.js';
export { dtls13EpochKeys, type Dtls13EpochKeys, type Dtls13TrafficKeys } from './record/dtls13-epoch-keys.js';
export { dtls13RecordKind, type Dtls13RecordKind } from './record/dtls13-demultiplex.js';
export { encodeUnifiedHeader, frameUnifiedRecord, unifiedHeaderLength, type FramedUnifiedRecord, type UnifiedHeader } from './record/unified-header.js';
export { ACK_CONTENT_TYPE, decodeAck, encodeAck, type RecordNumber } from './record/ack.js';
export { DTLS13_AEAD_LIMITS, KeyUsage, type AeadLimits, type KeyUsageState } from './record/dtls13-aead-limits.js';
export { encodeInnerPlaintext, openInnerPlaintext, type InnerContent } from './record/inner-plaintext.js';
export { reconstructEpoch, reconstructSequenceNumber } from './record/record-number-reconstruction.js';
export { dtls13Nonce } from './record/dtls13-nonce.js';
export { recordNumberCipherFor, type RecordNumberCipher, type RecordNumberMasker } from './crypto/record-number-mask.js';
// DTLS 1.3 key logs (NSS format): the lines a session writes, and reading its records with them
export { TLS13_KEY_LOG_LABELS, tls13KeyLogLines, type Tls13KeyLogSecrets } from './tls13-key-log.js';
export { Dtls13KeyLogReader, type Dtls13KeyLogReaderOptions, type Dtls13Sender, type Tls13KeyLogSecretsByLabel } from './record/dtls13-key-log-reader.js';

// Handshake codecs
export { HandshakeType } from './handshake/handshake-type.js';
export { decodeHandshakeFragments, encodeHandshakeFragment, type HandshakeFragment } from './handshake/handshake-header.js';
export { HandshakeReassembler } from './handshake/common/reassembler.js';
export { ExtensionType } from './handshake/extensions/extension-type.js';
export { NamedGroup } from './handshake/extensions/named-group.js';
export { decodeClientHello, encodeClientHello, type ClientHello } from './handshake/messages/client-hello.js';
export { decodeServerHello, encodeServerHello, type ServerHello } from './handshake/messages/server-hello.js';
