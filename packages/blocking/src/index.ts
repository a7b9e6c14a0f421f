/**
 * @dtls-kit/blocking — synchronous DTLS loops (`recv()` blocks) in Piscina worker threads.
 * The main thread owns the UDP socket and the stateless cookie check; each connection's engine
 * and handler run in one worker, linked to the main thread by SharedArrayBuffer rings.
 */
export {
  BlockingServer,
  createBlockingServer,
  type BlockingServerEvents,
  type BlockingServerOptions,
  type BlockingServerStats,
  type BlockingStatsMessage,
  type ConnectionErrorStage,
  type EvictionDetails,
  type EvictionReason,
  type RefusalReason,
  type Remote,
} from './server.js';
export { createBlockingClientPool, runBlockingClient, type BlockingClientOptions, type BlockingClientPoolOptions } from './client.js';
export { BlockingConnection, type BlockingConnectionEvents, type CipherInfo, type NoPeerCertificate, type RemoteAddressInfo } from './connection.js';
export { BlockingTimeoutError } from './errors.js';
export { ConnectionRefusedError, DtlsError, NoReplyError, type DetailedPeerCertificate, type PeerCertificate } from '@dtls-kit/core';
export type {
  ClientCredentials,
  ModuleCredentials,
  PlainClientOptions,
  PlainConnectionIdOptions,
  PlainDtlsOptions,
  PlainServerOptions,
  PskClientData,
  PskServerData,
  ServerCredentials,
} from './protocol.js';
export { workerFile } from './host.js';
export { subscribe, type BlockingChannelMessages } from './subscribe.js';
/** server.stats' parts (the same type as @dtls-kit/nonblocking's), and the diagnostics_channel it is published on. */
export { SERVER_STATS_CHANNEL, type AlertCounts, type DropCounts, type DropReason, type HandshakeFailureCounts, type ServerStats, type StatsChange } from '@dtls-kit/core';
export type { SrtpKeyingMaterial, SrtpProfile } from '@dtls-kit/core';
