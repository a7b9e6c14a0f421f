import { DEFAULT_HANDSHAKE_TIMEOUT_MS, type ClientOptions, type ServerOptions } from '@dtls-kit/core';
import type { KeylogTarget } from './keylog.js';
import type { ProxyProtocolOptions } from './proxy-protocol.js';
import { RUNTIME_KEYS } from './option-places.js';

/** Defaults of the runtime limits (see README: Limits). */
export const DEFAULTS = {
  /** Connections a server holds at once, handshakes in progress included. */
  maxConnections: 10_000,
  /** Handshakes in progress (cookie verified, not yet finished) a server holds at once. */
  maxHandshakes: 1_000,
  /**
   * Handshakes in progress from one address (an IPv6 /64) at once. A cookie proves an address,
   * not a peer: without this bound one host with many ports fills every handshake slot. 64 leaves
   * room for a NAT: handshakes last a few round trips, so 64 at once is hundreds of devices behind
   * one address starting within the same second; the rest get in with their retransmission.
   */
  maxHandshakesPerAddress: 64,
  /** A handshake must finish within this many ms, or the connection is dropped: core's default, as in @dtls-kit/blocking. */
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  /** A server closes a connection from which nothing was received for this long (5 minutes). */
  serverIdleTimeoutMs: 300_000,
  /** Clients have no idle timeout unless asked. */
  clientIdleTimeoutMs: 0,
  /** Bytes of received messages a connection holds for a reader that is not keeping up. */
  maxBufferedBytes: 1 << 20,
} as const;

/** Options of the runtime, common to servers and clients. */
export interface RuntimeOptions {
  /**
   * The whole handshake must finish within this many ms (the engine's deadline), else it fails
   * and its state is freed. Default 60 000 (core's DEFAULT_HANDSHAKE_TIMEOUT_MS, in both runtimes).
   */
  handshakeTimeoutMs?: number;
  /**
   * Close a connection when nothing authenticated (application data, an alert) has arrived from
   * the peer for this many ms; 0 turns it off. What we send does not count: over UDP only the
   * peer's traffic shows it is still there. Default 300 000 (5 min) on a server, 0 on a client.
   */
  idleTimeoutMs?: number;
  /**
   * Bytes of received messages held for a `for await` reader that is behind, or while nobody
   * listens for 'message' yet; past it newer messages are dropped (and counted), as UDP would.
   * Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Write the session secrets in SSLKEYLOGFILE format (a path, a stream or a function). */
  keylog?: KeylogTarget;
}

export interface ServerRuntimeOptions extends RuntimeOptions {
  /** 'udp4' or 'udp6'; default from the host given to listen() ('udp6' for an IPv6 literal). */
  type?: 'udp4' | 'udp6';
  /** With type 'udp6': serve IPv6 only (no IPv4-mapped peers). Default false. */
  ipv6Only?: boolean;
  /** SO_RCVBUF / SO_SNDBUF of the server's socket (default: the system's), for bursts of many peers. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Connections held at once, handshakes in progress included. Default 10 000. */
  maxConnections?: number;
  /**
   * Handshakes in progress held at once. Default 1 000. When full, a new verified ClientHello
   * takes the slot of the handshake whose peer has gone longest without progress, once that peer
   * has been silent for the first retransmission timeout (`retransmit.initialMs`, 1 s by default).
   */
  maxHandshakes?: number;
  /**
   * Handshakes in progress from one address at once (IPv4 address, or IPv6 /64 prefix); the
   * same eviction applies within an address. Default 64.
   */
  maxHandshakesPerAddress?: number;
  /**
   * A secrets file shared by several server processes (its format: @dtls-kit/core's
   * parseSecretsFile; `dtls-kit secrets` writes and rotates it): the cookie secret and the ticket
   * keys come from it, read now (a bad file throws a SecretsFileError naming the field), and
   * again whenever it changes (watched; a bad version keeps the secrets in force and emits
   * 'warning'). Not with `cookieSecret` or `ticketKeys`.
   */
  secretsFile?: string;
  /**
   * Behind a UDP load balancer that puts a PROXY protocol v2 header before each datagram (dtls-kit
   * lb-config's nginx script): datagrams from the `from` addresses are read after their header,
   * and the client address it gives is the one for cookies, per-address limits, logs and
   * remoteAddress; replies still go to the balancer. A datagram from there without a valid
   * header is dropped (stats.dropped.proxyHeader). Default: off (every source is a client).
   */
  proxyProtocol?: ProxyProtocolOptions;
}

/** Options of createServer(): the engine's server options and the runtime's. */
export interface DtlsServerOptions extends ServerOptions, ServerRuntimeOptions {}

/** Options of connect(): the engine's client options, where to connect, and the runtime's. */
export interface ConnectOptions extends ClientOptions, RuntimeOptions {
  /** Host name or address of the server. Default 'localhost'. */
  host?: string;
  port: number;
  /** 'udp4' or 'udp6'; default from the address the host resolves to. */
  type?: 'udp4' | 'udp6';
  /** Local address and port to bind (default: any, an ephemeral port). */
  localAddress?: string;
  localPort?: number;
  /** Aborts a pending connect: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0 (got ${String(value)})`);
  return v;
}

export function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1 (got ${String(value)})`);
  return v;
}


const RUNTIME_KEY_SET: ReadonlySet<string> = new Set(RUNTIME_KEYS);

/** The engine's options: everything but the runtime's own, with the runtime's handshake deadline. */
export function engineOptions<T extends object>(options: T, handshakeTimeoutMs: number): T {
  // Built key by key, never copied whole and then deleted from: in V8 an object that lost
  // properties turns into a slow dictionary, and the engine reads every option of it once per
  // connection (connect() makes one of these per call).
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!RUNTIME_KEY_SET.has(key)) out[key] = value;
  out['handshakeTimeoutMs'] = handshakeTimeoutMs;
  return out as T;
}
