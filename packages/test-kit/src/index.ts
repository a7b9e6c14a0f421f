/**
 * @dtls-kit/test-kit: private test helpers for the dtls-kit packages. Imported as
 * TypeScript source by other packages' vitest tests (no build step).
 */
export { Rng, createRng } from './rng.js';
export { sleep, until, waitUntil } from './wait.js';
export { VirtualClock } from './virtual-clock.js';
export type { SimAddress, SimEndpoint } from './endpoint.js';
export {
  DEFAULT_SIM_ADDRESSES,
  SimNetwork,
  type Direction,
  type LinkOptions,
  type LinkStats,
  type RunOptions,
  type RunResult,
  type ScriptDecision,
  type ScriptHook,
  type SimNetworkOptions,
  type SimTraceEvent,
  type StopReason,
} from './sim-network.js';
export {
  driveOverUdp,
  type UdpDriver,
  type UdpDriverOptions,
  type UdpDriverStats,
  type UdpRemote,
} from './udp-driver.js';
export {
  peerKey,
  serveOverUdp,
  type EventOf,
  type ServedConnection,
  type ServedEndpoint,
  type ServedEndpointResult,
  type ServedEvent,
  type UdpServer,
  type UdpServerOptions,
  type UdpServerStats,
} from './udp-server.js';
export { firstHandshakeType, startSwitchRelay, type SwitchRelay, type SwitchRelayOptions, type SwitchReply } from './switch-relay.js';
export { freeUdpPort, waitForUdpBind, type FreeUdpPortOptions, type WaitForUdpBindOptions } from './peers/ports.js';
export {
  describePeerClient,
  describePeerServer,
  findBinary,
  requireBinary,
  spawnPeer,
  runClientProcess,
  type ClientResult,
  type ClientRunOptions,
  type PeerProcess,
  type PeerServer,
  type SpawnPeerOptions,
} from './peers/process.js';
export {
  startOpensslServer,
  runOpensslClient,
  type OpensslServerOptions,
  type OpensslClientOptions,
  type PeerClientResult,
} from './peers/openssl.js';
export {
  GNUTLS_CBC_SUITES,
  GNUTLS_SUITES,
  gnutlsCbcPriority,
  gnutlsPriority,
  gnutlsPriorityForSuite,
  startGnutlsServer,
  runGnutlsClient,
  type GnutlsCipher,
  type GnutlsKx,
  type GnutlsSuiteName,
  type GnutlsServerOptions,
  type GnutlsClientOptions,
  type GnutlsClientResult,
} from './peers/gnutls.js';
export { startLossyRelay, type LossyRelayStats } from './lossy-relay.js';
export {
  startFaultRelay,
  recordMatches,
  type DirectionStats,
  type FaultAction,
  type FaultEvent,
  type FaultRelay,
  type FaultRelayOptions,
  type FaultRelayStats,
  type FaultRule,
  type RandomFaults,
  type RecordMatch,
  type RelayDirection,
} from './fault-relay.js';
export {
  CONTENT_TYPE,
  HANDSHAKE_TYPE,
  HANDSHAKE_HEADER_LENGTH,
  HIDDEN_CONTENT_TYPE,
  RECORD_HEADER_LENGTH,
  describeRecord,
  handshakeFragments,
  parseRecords,
  recordBytes,
  type WireHandshakeFragment,
  type WireRecord,
} from './dtls-wire.js';
export { closedUdpPort, silentUdpPort, type SilentUdpPort } from './unreachable.js';
export { startNatRelay, type NatRelay, type NatRelayOptions, type NatRelayStats } from './nat-relay.js';
export { runStatsScript, type ScriptClient, type StatsScriptOptions, type StatsScriptResult } from './stats-script.js';
export { bindLoopback, closeSocket } from './interop/loopback.js';
export { FragmentTap, type TapDirection } from './interop/fragment-tap.js';
export {
  describeEvents,
  type InteropClientConnection,
  type InteropConnection,
  type InteropEvent,
} from './interop/interop-connection.js';
export { connectInteropClient, type InteropClient, type InteropClientOptions } from './interop/interop-client.js';
export {
  startInteropServer,
  type InteropServer,
  type InteropServerOptions,
  type InteropSession,
  type InteropSessionBase,
} from './interop/interop-server.js';
export {
  INTEROP_CELLS,
  INTEROP_PEERS,
  OPENSSL_PSK_SUITES,
  interopMessages,
  requireInteropPeers,
  type InteropCell,
  type OpensslPskSuite,
} from './interop/interop-matrix.js';
export {
  WOLFSSL_CLIENT_MESSAGE,
  WOLFSSL_PSK_12,
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  runWolfsslClient,
  startWolfsslServer,
  wolfsslRoot,
  type WolfsslClientOptions,
  type WolfsslClientResult,
  type WolfsslServerOptions,
  type WolfsslVariant,
  type WolfsslVersion,
} from './peers/wolfssl.js';
export {
  startRecordingRelay,
  type RecordedDatagram,
  type RecordedDirection,
  type RecordingRelay,
  type RecordingRelayOptions,
} from './interop/recording-relay.js';
export {
  WOLFSSL13_SCENARIOS,
  captureWolfssl13,
  type KeyLogLine,
  type Wolfssl13Capture,
  type Wolfssl13Scenario,
} from './interop/wolfssl13-capture.js';
export { NGINX_MODULES_DIR, requireNginx, startNginx, type NginxProcess } from './nginx.js';
export { startRebindingRelay, type RebindingRelay } from './rebinding-relay.js';
export { proxyV2Header, startHeaderRelay, type HeaderRelay } from './proxy-header-relay.js';
