/**
 * @dtls-kit/nonblocking — event-driven DTLS 1.2 servers and clients on node:dgram, in the
 * manner of node:tls. Credentials come from @dtls-kit/psk or @dtls-kit/x509.
 */
export { connect } from './connect.js';
export { ConnectionRefusedError, NoReplyError } from '@dtls-kit/core';
export { createServer, DtlsServer, type ConnectionErrorStage, type ConnectionHandler, type DtlsServerEvents, type DtlsServerStats } from './server.js';
export {
  DtlsSocket,
  isEstablished,
  type CipherInfo,
  type ConnectionIdInfo,
  type DetailedPeerCertificate,
  type DtlsSocketEvents,
  type EstablishedDtlsSocket,
  type NoPeerCertificate,
  type PeerCertificate,
  type RemoteAddressInfo,
  type SocketState,
} from './socket.js';
export { DEFAULTS, type ConnectOptions, type DtlsServerOptions, type RuntimeOptions, type ServerRuntimeOptions } from './options.js';
export type { KeylogTarget } from './keylog.js';
export { parseProxyV2, PROXY_V2_SIGNATURE, type ProxyHeader, type ProxyHeaderError, type ProxyProtocolOptions } from './proxy-protocol.js';
export {
  CHANNELS,
  type AlertMessage,
  type CloseMessage,
  type DatagramMessage,
  type DiagnosticsBase,
  type EvictMessage,
  type HandshakeMessage,
  type HandshakeStartMessage,
  type RefuseMessage,
  type RemoteAddressChangeMessage,
  type RetransmitMessage,
  type StatsMessage,
} from './diagnostics.js';
export { subscribe, type ChannelMessages, type ChannelName } from './subscribe.js';
export { TimerQueue, type Timed } from './timer-queue.js';
// The error type every failure carries (its `alert` names the RFC alert).
export { DtlsError, AlertDescription, HandshakeTimeoutError } from '@dtls-kit/core';
/** SNICallback's answer and ALPNCallback's argument (options of createServer, as node:tls's). */
export type { ALPNCallbackInfo, ServerCredentials, SNICallback } from '@dtls-kit/core';
export type { SrtpKeyingMaterial, SrtpProfile } from '@dtls-kit/core';
/** server.stats' parts (the same type as @dtls-kit/blocking's). */
export type { AlertCounts, DropCounts, DropReason, HandshakeFailureCounts, ServerStats, StatsChange } from '@dtls-kit/core';
