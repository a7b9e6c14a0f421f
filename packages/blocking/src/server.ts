import { createSocket, type Socket } from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { isIPv6, type AddressInfo } from 'node:net';
import {
  AlertDescription,
  AlertLevel,
  DtlsConnection,
  DtlsError,
  type EstablishedSnapshot,
  type ServerOptions,
  SERVER_STATS_CHANNEL,
  peerKey,
  type SecretsLoadInfo,
  type ServerStats,
  type SharedSecrets,
  type StatsChange,
  type VerifiedClientHello,
  parseProxyV2,
  type ProxyProtocolOptions,
} from '@dtls-kit/core';
import {
  ConnectionTable,
  CookieCheck,
  SecretsWatcher,
  ServerStatsCounter,
  addressGroup,
  checkSecretsFileAlone,
  cookieSecretsOf,
  loadSecretsFileSync,
  secretsLoadInfo,
  plaintextAlert,
  proxyProtocolSources,
  samePeer,
  cookieCheckVersionOptionsOf,
  type ConnectionCounters,
  resolveServerOptions,
  type ResolvedServerOptions,
} from '@dtls-kit/core/internal';
import { pskServer } from '@dtls-kit/psk';
import { Piscina } from 'piscina';
import { deserializeError } from './errors.js';
import { withSharedTicketKeys } from './session-tickets.js';
import { TicketKeyBoard } from './ticket-key-board.js';
import { Phase, phaseOf, waitsOnPeer } from './handshake-word.js';
import type { RemoteAddressInfo } from './connection.js';
import { HostLink, moduleHref, nonNegativeInt, workerFile } from './host.js';
import { checkServerOptionPlaces, serverEngineOptions } from './option-places.js';
import type { LoopTask, PlainServerOptions, ProbeResult, ProbeTask, ServerCredentials, ServerResult, WorkerTask } from './protocol.js';
import { C, decodeRemote, DEFAULT_RING_BYTES, Frame, SLOT_ASSIGNED, SLOT_EXIT, SLOT_IDLE } from './ring.js';
import { ServerLink } from './server-link.js';
import { Doorbell } from './doorbell.js';
import { credentialOptions } from './credential-options.js';
import { encodeHandover } from './handover-frame.js';
import { MainHandshake, snapshotCounters, type MainStep } from './main-handshake.js';

/**
 * createBlockingServer()'s options: the engine's options that are plain data, top-level with the
 * names and meanings of @dtls-kit/nonblocking's createServer() (cipherSuites, mtu, retransmit,
 * handshakeTimeoutMs, ALPNProtocols, connectionId, cookieRotationMs, ...), and this runtime's own.
 * An option it does not take is a TypeError that says where it belongs.
 */
export interface BlockingServerOptions extends PlainServerOptions {
  /** Module whose default export is `(conn: BlockingConnection, args) => void`, run in a worker per connection. */
  handler: URL | string;
  /** Plain data or a module (functions cannot cross threads): see ServerCredentials. */
  credentials: ServerCredentials;
  /** Passed to the handler as its second argument (structured-cloned). */
  args?: unknown;
  /** Workers, i.e. connections served at once. Default 4. */
  maxThreads?: number;
  /** Verified connections that wait for a worker; past it new connections are refused. Default 16. */
  maxQueue?: number;
  /**
   * Connections (running or queued, established or not) from one address (an IPv4 address, an
   * IPv6 /64: core's addressGroup) at once; past it
   * that address's new connections are refused as a full pool's are, unless one of its own
   * handshakes has stalled and gives way. Default `maxThreads + maxQueue` (no bound of its own): a
   * worker is held for a connection's whole life, so this bound also caps how many devices behind
   * one NAT are served at once — choose it for your peers.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Handshakes in progress (queued or in a worker, not yet established) from one address (an IPv4
   * address, an IPv6 /64) at once. A cookie proves an address, not a peer: without it, one host with many ports that passes
   * the cookie exchange and then stalls can fill every worker and queue place. Past it, that
   * address's new ClientHello is dropped without an answer (its retransmission comes back once one
   * of the address's handshakes ended), unless one of the address's own handshakes has stalled and
   * gives way. Established connections do not count, so devices behind one NAT are only kept from
   * all handshaking at once. Default: half of `maxThreads + maxQueue`, rounded up.
   */
  maxHandshakesPerAddress?: number;
  /** Bytes per ring direction per connection. Default 64 KiB. */
  ringBytes?: number;
  /**
   * Close a connection when nothing authenticated (application data, an alert) has arrived from
   * its peer for this many ms (close_notify; the handler's recv() returns null and the connection
   * emits 'timeout'); 0 turns it off. As @dtls-kit/nonblocking's server. Default 300 000 (5 min).
   */
  idleTimeoutMs?: number;
  /** How long a spare worker stays idle (ms) before Piscina ends it. Default 5000. */
  workerIdleTimeoutMs?: number;
  /**
   * A secrets file shared by several server processes (as @dtls-kit/nonblocking's `secretsFile`;
   * written and rotated by `dtls-kit secrets`): the cookie secret and the ticket keys come from it,
   * read now (a bad file throws a SecretsFileError naming the field) and again whenever it
   * changes (a bad version keeps the secrets in force and emits 'warning'); running workers take
   * new ticket keys before their next connection. Not with `cookieSecret` or `ticketKeys`.
   */
  secretsFile?: string;
  /**
   * Behind a load balancer that puts a PROXY v2 header before each datagram (nginx with
   * `dtls-kit lb-config`), as @dtls-kit/nonblocking's option: datagrams from the `from` addresses
   * must start with one (else dropped, counted as dropped.proxyHeader); the client address in it is
   * the one cookies are bound to, per-address bounds count, events report and the handler's
   * connection calls remoteAddress, while replies go back to the balancer's socket. The main thread
   * reads the header (core's parseProxyV2); the workers never see it.
   */
  proxyProtocol?: ProxyProtocolOptions;
  /**
   * Where each connection's DTLS 1.2 handshake runs. 'worker': in the worker that then runs its
   * handler, so that expensive handshakes (ECDSA signing, certificate chain verification) spread
   * over cores. 'main': on the main thread, as @dtls-kit/nonblocking's server runs them; only the
   * established connection goes to a worker (core's EstablishedSnapshot, in the worker's ring),
   * which saves the worker's wake-ups per flight: the least CPU per handshake, for cheap
   * handshakes (PSK) and long connections, while every handshake shares the main thread's core.
   * The credentials (inline psk keys, or the credentials module, imported and its export called
   * once at listen()) are then loaded on the main thread too. DTLS 1.3 connections still
   * handshake in their worker (the snapshot is of DTLS 1.2 connections only). The same bounds
   * hold either way (maxQueue, the per-address ones, eviction, the handshake deadline).
   *
   * 'auto' (the default): 'main' when the credentials are inline `psk` keys, 'worker' when they
   * come from a credentials module. A PSK handshake is cheap: run on the main thread it costs that
   * thread ~12% more (258 against 230 µs) than routing it to a worker flight by flight, and saves
   * the workers' wake-up per flight (465 against 585 µs of CPU per handshake in all, 1.5x the handshakes/s;
   * README "Where handshakes run"); a module may give certificates, whose cost belongs in the
   * workers, and stays the workers' own (never imported on the main thread unless 'main' asks for
   * it). `server.handshakes` says which one applies.
   */
  handshakes?: 'auto' | 'worker' | 'main';
}

/** A peer's transport address. */
export interface Remote {
  address: string;
  port: number;
}

/** Where a connection failed: the same names as @dtls-kit/nonblocking's 'connectionError'. */
export type ConnectionErrorStage = 'setup' | 'handshake' | 'handler' | 'worker';

/**
 * Why a verified ClientHello was refused: the pool and its queue were full, or its address was at
 * one of its bounds. Refused with a fatal internal_error alert, except 'maxHandshakesPerAddress'
 * (dropped without an answer: the client's retransmission tries again).
 */
export type RefusalReason = 'full' | 'maxConnectionsPerAddress' | 'maxHandshakesPerAddress';

/**
 * Why a stalled handshake was evicted: a bound a new verified ClientHello met (RefusalReason), or
 * 'maxThreads': every worker was busy and a connection waited in the queue for one.
 */
export type EvictionReason = RefusalReason | 'maxThreads';

export interface EvictionDetails {
  /** ms the handshake had waited on its silent peer (or, with no worker yet, since the peer's last datagram). */
  stalledMs: number;
  /** Whether it held a worker (false: it was still queued). */
  hadWorker: boolean;
  /** The peer whose verified ClientHello took its place; undefined for 'maxThreads' (the queue's next connection got the worker). */
  by: Remote | undefined;
}

export interface BlockingServerEvents {
  /**
   * A connection's handshake finished (in its worker, or on the main thread with handshakes:
   * 'main', before a worker takes the connection up): as @dtls-kit/nonblocking's 'connection',
   * only for an established connection. A handshake that failed is a 'connectionError' (stage
   * 'handshake'), an evicted one an 'evicted', and neither is ever a 'connection'.
   */
  connection: [remote: Remote];
  /** A verified connection was refused (see RefusalReason for the answer it got). */
  refused: [remote: Remote, reason: RefusalReason];
  /**
   * A handshake whose peer made no progress for the first retransmission timeout gave its place
   * (its worker or its queue place) to another client. Its peer got a fatal internal_error alert.
   * The same rule as @dtls-kit/nonblocking's 'dtls-kit:evict' diagnostics channel. Not also
   * reported as a 'connectionError'.
   */
  evicted: [remote: Remote, reason: EvictionReason, details: EvictionDetails];
  /**
   * A connection failed: its setup in the worker, its handshake, its handler (which threw; the
   * peer got a fatal internal_error alert), or the worker itself. The server goes on.
   */
  connectionError: [error: Error, stage: ConnectionErrorStage, remote: Remote];
  /**
   * A connection's peer moved (RFC 9146 6: with a connection ID, an authenticated record newer
   * than any before it came from another address): its datagrams now go to `current`. The
   * connection itself (in its worker) emits the same event.
   */
  remoteAddressChange: [current: RemoteAddressInfo, previous: RemoteAddressInfo];
  /**
   * A client restarted (RFC 6347 4.2.8): a new ClientHello from the address of one of its
   * connections passed the cookie check, and that old connection ended without a word (its
   * handler's recv() returns null) to make room for the new one.
   */
  replaced: [remote: Remote];
  /** The secrets file (`secretsFile`, watchSecrets()) was read again and its secrets are in force. */
  secrets: [info: SecretsLoadInfo];
  /**
   * A secrets file that changed into something unusable (a SecretsFileError naming the field); the
   * secrets in force stay. Without a listener it goes to process.emitWarning().
   */
  warning: [error: Error];
  /** The UDP socket failed. */
  socketError: [error: Error];
  /** The server is closed: every connection ended, the workers and the socket too. */
  close: [];
}

/**
 * A server's counters: @dtls-kit/core's ServerStats, the same shape and meaning as
 * @dtls-kit/nonblocking's server.stats (see the README's "Stats"), and this runtime's own.
 */
export interface BlockingServerStats extends ServerStats {
  /** Connections running in a worker. */
  readonly active: number;
  /** Verified connections waiting for a worker (not those handshaking on the main thread, handshakes: 'main'). */
  readonly queued: number;
  /** Connections that ended, any outcome (evicted ones included). */
  readonly completed: number;
  /**
   * Handshakes that failed in a worker (its setup or its handshake; evictions not included): kept
   * from before handshakesFailed, which tells them by alert.
   */
  readonly handshakeFailures: number;
  /** Inbound datagrams dropped because a connection's ring was full. */
  readonly inboundDropped: number;
  /** Outbound datagrams dropped because a connection's ring was full. */
  readonly outboundDropped: number;
  /** Times a connection's peer moved to a new address (see 'remoteAddressChange'). */
  readonly addressChanges: number;
  /** ClientHellos dropped because they repeat an established connection's own (RFC 6347 4.2.8): `dropped.staleClientHello`. */
  readonly staleClientHellos: number;
}

/**
 * One change of a server's counters, on diagnostics_channel 'dtls-kit:stats' (the same channel
 * and shape as @dtls-kit/nonblocking's StatsMessage): `change` names the counter, `stats` is
 * server.stats, computed when read.
 */
export interface BlockingStatsMessage {
  readonly server: BlockingServer;
  readonly change: StatsChange;
  readonly stats: BlockingServerStats;
}

const statsChannel = diagnosticsChannel.channel(SERVER_STATS_CHANNEL);

/** One verified connection, from its ClientHello to its end. */
interface Entry {
  /** The peer's address: its verified ClientHello's, then wherever the engine moved it (RFC 9146 6). */
  remote: Remote;
  /** Behind a load balancer (proxyProtocol): the client's own address, as the balancer vouched for it. */
  client: Remote | undefined;
  /**
   * The balancer sockets of the last datagrams and the clients vouched for on each, newest last (at
   * most VOUCHED_KEPT): where a move (RFC 9146 6) takes the client. More than one: the engine may
   * move the peer to the source of a record that came before the newest datagram (reordering, or
   * a worker behind the main thread), whose client is then not the newest one.
   */
  vouched: { transport: Remote; client: Remote }[];
  /** This handshake's client random, as the worker reported it (RFC 6347 4.2.8). */
  clientRandom: Uint8Array | undefined;
  /** The CIDs bound to it in the table (RFC 9146 3; more in DTLS 1.3 by NewConnectionId, RFC 9147 9), as the worker announced them. */
  connectionIds: Uint8Array[];
  /** Replaced by its restarted client's new connection: nothing more goes to its peer. */
  replaced: boolean;
  readonly link: ServerLink;
  readonly hello: VerifiedClientHello;
  /**
   * handshakes: 'main', DTLS 1.2: its handshake is to run on this thread and has not started (it
   * waits in the queue until fewer than maxThreads established connections wait for a worker).
   */
  awaitsMain: boolean;
  /** Its DTLS 1.2 handshake on this thread (handshakes: 'main'), until it is established or failed. */
  main: MainHandshake | undefined;
  /** Established on this thread and not yet taken up by a worker: what the worker gets (to close it here if none does). */
  snapshot: EstablishedSnapshot | undefined;
  /** The traffic of its failed, evicted or replaced handshake on this thread (a handed-over one's goes on in its worker's engine). */
  mainCounters: ConnectionCounters | undefined;
  /** 'connection' was emitted for it (on this thread's handshake, or its worker's). */
  announced: boolean;
  /** When the peer's last datagram arrived (this thread's clock): a queued connection's only sign of life. */
  heardAt: number;
  /** Datagrams from the peer since its verified ClientHello (an honest client still queued retransmits it). */
  heard: number;
  /** Given to the pool (it has a worker, or gets the next one Piscina starts). */
  dispatched: boolean;
  evicted: boolean;
  ended: boolean;
  readonly done: Promise<void>;
  readonly resolve: () => void;
}

/**
 * A long-lived worker and its link, made once (see worker.ts's loop): it serves one connection
 * at a time, taken from the queue without a task message or a new SharedArrayBuffer.
 */
interface Slot {
  readonly host: HostLink;
  /** The connection it serves; undefined while it waits for one. */
  entry: Entry | undefined;
  /** The worker left (idle for workerIdleTimeoutMs, or the server closed) or died: nothing more goes to it. */
  gone: boolean;
  /** The Piscina task of its loop, settled when the worker leaves or dies. */
  task: Promise<void> | undefined;
}

const decoder = new TextDecoder();

/** A handshake that may give way, and the handshake word it was judged on. */
interface Stalled {
  entry: Entry;
  word: number;
  stalledMs: number;
}

/** How many balancer sockets (with their vouched clients) an entry remembers. */
const VOUCHED_KEPT = 4;

/** Records that `transport` carried datagrams vouched for `client` (the newest last, bounded). */
function rememberVouched(e: Entry, transport: Remote, client: Remote): void {
  const list = e.vouched;
  const last = list[list.length - 1];
  if (last !== undefined && samePeer(last.transport, transport) && samePeer(last.client, client)) return;
  const at = list.findIndex((v) => samePeer(v.transport, transport));
  if (at >= 0) list.splice(at, 1);
  list.push({ transport, client });
  if (list.length > VOUCHED_KEPT) list.shift();
}

/** The client last vouched for on balancer socket `transport`, if it is one of those remembered. */
function vouchedOn(e: Entry, transport: Remote): Remote | undefined {
  for (let i = e.vouched.length - 1; i >= 0; i--) {
    const v = e.vouched[i];
    if (v !== undefined && samePeer(v.transport, transport)) return v.client;
  }
  return undefined;
}

/** Who a connection's peer is (events, per-address bounds): the vouched client behind a balancer, else its address. */
function peerOf(e: Entry): Remote {
  return e.client ?? e.remote;
}

function addressInfo(r: Remote): RemoteAddressInfo {
  return { address: r.address, family: isIPv6(r.address) ? 'IPv6' : 'IPv4', port: r.port };
}

const EVICTED_MESSAGE = 'handshake evicted: the peer made no progress while the server needed its place for another client';

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}

/**
 * RFC 6347 4.2.4.1: implementations SHOULD start with a 1 s retransmission timer, doubled at each
 * retransmission up to no less than 60 s; the engine's defaults (@dtls-kit/core's RetransmitTimer).
 * A flight unanswered for the first timeout is taken as lost.
 */
const DEFAULT_RETRANSMIT_INITIAL_MS = 1000;
/** A server closes a connection from which nothing authenticated came for this long (as @dtls-kit/nonblocking's). */
const DEFAULT_SERVER_IDLE_TIMEOUT_MS = 300_000;
const DEFAULT_WORKER_IDLE_TIMEOUT_MS = 5000;
const DEFAULT_RETRANSMIT_MAX_MS = 60_000;

/**
 * A DTLS server whose connections run as synchronous handlers in worker threads. The main thread
 * keeps the UDP socket, the stateless cookie check and the queue; each verified connection gets
 * its own shared-memory link and one worker for as long as it lives.
 *
 * Fair places: a handshake whose worker waits on a peer that has not moved for the first
 * retransmission timeout (or, still queued, whose peer has been silent that long) gives its place
 * to a new verified ClientHello that finds the pool full or its address at a bound, and a worker's
 * stalled handshake gives the worker to the queue's next connection. Established connections are
 * never evicted.
 *
 * Events (typed: BlockingServerEvents): 'connection' (remote), 'refused' (remote, reason),
 * 'evicted' (remote, reason, details), 'connectionError' (error, stage, remote), 'secrets' (info),
 * 'warning' (error), 'socketError' (error), 'close'.
 */
// The base is node's untyped EventEmitter; the methods below take only BlockingServerEvents.
export class BlockingServer extends EventEmitter {
  /** Made by listen(): udp4 or udp6 after the address it binds. */
  private socket: Socket | undefined;
  /** The stateless cookie check (RFC 6347 4.2.1): no credentials here, they live in the workers. */
  private readonly cookies: CookieCheck;
  /** `proxyProtocol.from`: the load balancers whose datagrams start with a PROXY v2 header. */
  private readonly proxySources: ReadonlySet<string> | undefined;
  /** The ticket keys every worker uses, in shared memory (undefined: tickets off). */
  private readonly ticketKeys: TicketKeyBoard | undefined;
  /** Follows the secrets file, if any (secretsFile, watchSecrets()). */
  private secretsWatcher: SecretsWatcher | undefined;
  private readonly pool: Piscina;
  /**
   * Routing (core's table): the live (not evicted, not ended) connection of each peer address and
   * port, and of each bound CID (RFC 9146); restarted clients told from retransmissions by their
   * client random (RFC 6347 4.2.8).
   */
  private readonly conns = new ConnectionTable<Entry>({
    // RFC 6347 4.2.8: a ClientHello with another client random from a connection's address is a
    // restarted client (to the cookie check); one with the same random, once established, is stale.
    // A connection still queued has not reported its random: its address's datagrams wait for it.
    clientRandom: (e) => e.clientRandom,
    established: (e) => e.link.established,
  });
  /** Every connection not ended yet, evicted ones that still drain included. */
  private readonly open = new Set<Entry>();
  /** Live connections not given to the pool yet, first come first served. */
  private readonly queue: Entry[] = [];
  /** Connections given to the pool and not ended (evicted ones that still drain included). */
  private readonly running = new Set<Entry>();
  /** The long-lived workers, busy or waiting for a connection (at most maxThreads). */
  private readonly slots = new Set<Slot>();
  /**
   * How every worker wakes this thread (doorbell.ts): one watcher looks at all of their links, so
   * that a worker that queues frames while this thread is awake costs no wake-up. Watched from the
   * first worker on, until close().
   */
  private readonly doorbell = new Doorbell();
  private doorbellWatched = false;
  private readonly workerIdleTimeoutMs: number;
  /** Live connections per peer address (core's addressGroup: an IPv4 address, an IPv6 /64). */
  private readonly perAddress = new Map<string, Set<Entry>>();
  /** The engine options each worker's engine runs with (the credentials' are added there). */
  private readonly engineOptions: PlainServerOptions;
  private readonly maxThreads: number;
  private readonly maxQueue: number;
  private readonly maxConnectionsPerAddress: number;
  private readonly maxHandshakesPerAddress: number;
  /** A handshake that waited this long on a silent peer may give its place (the first retransmission timeout). */
  private readonly stalledAfterMs: number;
  /** The cap on the doubled retransmission timeout: the longest silence expected of a queued honest client. */
  private readonly retransmitMaxMs: number;
  private readonly ringBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly handler: string;
  private readonly credentials: WorkerTask['credentials'];
  private reclaimTimer: NodeJS.Timeout | undefined;
  /** handshakes: 'main': the engine options of this thread's handshakes, built at listen(); undefined with 'worker'. */
  private mainOptions: ResolvedServerOptions | undefined;
  /**
   * Where this server's DTLS 1.2 handshakes run: the `handshakes` option, 'auto' resolved ('main'
   * for inline psk keys, 'worker' for a credentials module).
   */
  readonly handshakes: 'worker' | 'main';
  /** The ticket key board's version mainOptions has (see TicketKeyBoard). */
  private mainTicketVersion = 0;
  /** The handshakes running on this thread. */
  private readonly handshaking = new Set<Entry>();
  /** One timer for all of them (their retransmissions and deadlines), at the earliest one it was armed for. */
  private mainTimer: NodeJS.Timeout | undefined;
  private mainTimerAt = Infinity;
  private closing: Promise<void> | undefined;
  /** This runtime's own counters (the shared ones are `stats`'s). */
  private counters = {
    completed: 0,
    handshakeFailures: 0,
    inboundDropped: 0,
    outboundDropped: 0,
    addressChanges: 0,
    staleClientHellos: 0,
  };
  private readonly shared = new ServerStatsCounter((change) => {
    if (!statsChannel.hasSubscribers) return;
    const server = this;
    const message: BlockingStatsMessage = {
      server,
      change,
      get stats(): BlockingServerStats {
        return server.stats;
      },
    };
    statsChannel.publish(message);
  });


  /**
   * Only BlockingServerEvents' names, with their listeners' arguments: node's typed
   * EventEmitter<T> also accepts any other name (with `any` arguments), so a misspelt event
   * would compile there.
   */
  override on<K extends keyof BlockingServerEvents>(event: K, listener: (...args: BlockingServerEvents[K]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof BlockingServerEvents>(event: K, listener: (...args: BlockingServerEvents[K]) => void): this {
    return super.once(event, listener);
  }

  override off<K extends keyof BlockingServerEvents>(event: K, listener: (...args: BlockingServerEvents[K]) => void): this {
    return super.off(event, listener);
  }

  override addListener<K extends keyof BlockingServerEvents>(event: K, listener: (...args: BlockingServerEvents[K]) => void): this {
    return super.addListener(event, listener);
  }

  override removeListener<K extends keyof BlockingServerEvents>(event: K, listener: (...args: BlockingServerEvents[K]) => void): this {
    return super.removeListener(event, listener);
  }

  override prependListener<K extends keyof BlockingServerEvents>(event: K, listener: (...args: BlockingServerEvents[K]) => void): this {
    return super.prependListener(event, listener);
  }

  override emit<K extends keyof BlockingServerEvents>(event: K, ...args: BlockingServerEvents[K]): boolean {
    return super.emit(event, ...args);
  }

  constructor(private readonly opts: BlockingServerOptions) {
    super();
    checkServerOptionPlaces(opts);
    // A shared secrets file: read now (a bad one throws); its ticket keys go to the workers, its
    // cookie secret stays here, with the cookie check.
    const secretsFile = opts.secretsFile;
    const { cookieSecret, ...engine } = serverEngineOptions(opts);
    let secrets: SharedSecrets | undefined;
    if (secretsFile !== undefined) {
      checkSecretsFileAlone(opts);
      secrets = loadSecretsFileSync(secretsFile);
    }
    this.engineOptions = withSharedTicketKeys(secrets === undefined || engine.sessionTickets === false ? engine : { ...engine, ticketKeys: secrets.ticketKeys });
    const keys = this.engineOptions.ticketKeys;
    if (keys !== undefined) {
      this.ticketKeys = new TicketKeyBoard();
      this.ticketKeys.write(keys instanceof Uint8Array ? [keys] : keys);
    }
    this.maxThreads = opts.maxThreads ?? 4;
    this.maxQueue = opts.maxQueue ?? 16;
    if (!Number.isInteger(this.maxThreads) || this.maxThreads < 1) throw new RangeError('maxThreads must be an integer >= 1');
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
    const places = this.maxThreads + this.maxQueue;
    this.maxConnectionsPerAddress = opts.maxConnectionsPerAddress ?? places;
    if (!Number.isInteger(this.maxConnectionsPerAddress) || this.maxConnectionsPerAddress < 1) {
      throw new RangeError('maxConnectionsPerAddress must be an integer >= 1');
    }
    // Half the places: one address never holds more than half of them with handshakes, so the
    // other half stays open to everyone else (see the README, "Fair places").
    this.maxHandshakesPerAddress = opts.maxHandshakesPerAddress ?? Math.ceil(places / 2);
    if (!Number.isInteger(this.maxHandshakesPerAddress) || this.maxHandshakesPerAddress < 1) {
      throw new RangeError('maxHandshakesPerAddress must be an integer >= 1');
    }
    this.stalledAfterMs = opts.retransmit?.initialMs ?? DEFAULT_RETRANSMIT_INITIAL_MS;
    if (!(this.stalledAfterMs > 0)) throw new RangeError(`retransmit.initialMs must be > 0 (got ${this.stalledAfterMs})`);
    this.retransmitMaxMs = Math.max(opts.retransmit?.maxMs ?? DEFAULT_RETRANSMIT_MAX_MS, this.stalledAfterMs);
    this.ringBytes = opts.ringBytes ?? DEFAULT_RING_BYTES;
    this.idleTimeoutMs = nonNegativeInt('idleTimeoutMs', opts.idleTimeoutMs, DEFAULT_SERVER_IDLE_TIMEOUT_MS);
    this.handler = moduleHref(opts.handler);
    const c = opts.credentials;
    if ('module' in c) this.credentials = { module: moduleHref(c.module), export: c.export, args: c.args };
    else {
      // Checked here, once (hex keys, lengths), so that a typo fails at startup, not in each worker.
      pskServer({ keys: c.psk.keys, pskIdentityHint: c.psk.pskIdentityHint });
      this.credentials = { pskServer: { keys: c.psk.keys, pskIdentityHint: c.psk.pskIdentityHint } };
    }
    const handshakes: unknown = opts.handshakes ?? 'auto';
    if (handshakes !== 'auto' && handshakes !== 'worker' && handshakes !== 'main') {
      throw new TypeError(`handshakes must be 'auto', 'worker' or 'main' (got ${JSON.stringify(handshakes)})`);
    }
    this.handshakes = handshakes === 'auto' ? ('module' in c ? 'worker' : 'main') : handshakes;
    this.proxySources = proxyProtocolSources(opts.proxyProtocol);
    // RFC 9147 5.1: with maxVersion DTLSv1.3 the main thread answers DTLS 1.3 ClientHellos with a stateless HelloRetryRequest.
    this.cookies = new CookieCheck({ cookieRotationMs: opts.cookieRotationMs, cookieSecret: secrets?.cookieSecret ?? cookieSecret, ...cookieCheckVersionOptionsOf(opts) });
    this.workerIdleTimeoutMs = nonNegativeInt('workerIdleTimeoutMs', opts.workerIdleTimeoutMs, DEFAULT_WORKER_IDLE_TIMEOUT_MS);
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: this.maxThreads,
      idleTimeout: this.workerIdleTimeoutMs,
    });
    // Last, once nothing else can throw: the watch on the secrets file (its previous cookie secret too).
    if (secretsFile !== undefined && secrets !== undefined) this.follow(secretsFile, secrets);
  }

  /**
   * Binds the socket (udp6 for an IPv6 address such as '::1', udp4 otherwise); resolves with its
   * address.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.socket !== undefined) throw new Error('listen: the server is already listening');
    if (this.closing) throw new Error('listen: the server is closed');
    await this.probe();
    if (this.handshakes === 'main') {
      // As a worker builds them (tickets only unless the credentials module gives a store), once.
      try {
        const credentials = await credentialOptions(this.credentials);
        this.mainOptions = resolveServerOptions({ ...this.engineOptions, sessionStore: false, ...credentials } as ServerOptions);
      } catch (err) {
        const error = asError(err);
        error.message = `listen: ${error.message}`;
        throw error;
      }
    }
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.socket = undefined;
      socket.close();
      throw error;
    }
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
    socket.on('error', (err) => this.emit('socketError', err));
    return socket.address();
  }

  /**
   * Loads the handler module and the credentials module in a worker, as each connection will:
   * a path that does not exist, a module that does not load or a handler that is not a function
   * rejects listen() here, rather than failing every client's handshake later.
   */
  private async probe(): Promise<void> {
    const task: ProbeTask = { probe: true, handler: this.handler, credentials: this.credentials };
    const result: ProbeResult = await this.pool.run(task);
    if (!result.ok) {
      const error = deserializeError(result.error);
      error.message = `listen: ${error.message}`;
      throw error;
    }
  }

  /**
   * Replaces the cookie secret (RFC 6347 4.2.1) with one shared by other processes (32..1024
   * bytes, as the `cookieSecret` option): cookies made from now on use it, and those made until
   * now still verify for one more `cookieRotationMs` period. RangeError/TypeError for a bad one.
   */
  setCookieSecret(secret: Uint8Array): void {
    this.cookies.setCookieSecrets([secret], Date.now());
  }

  /**
   * node:tls `setTicketKeys()`: the keys that seal and open session tickets (48 bytes each, newest
   * first; a single one is a list of one), for every worker from its next connection on. TypeError
   * when tickets are off (`sessionTickets: false`), RangeError for a malformed list.
   */
  setTicketKeys(keys: Uint8Array | readonly Uint8Array[]): void {
    if (this.ticketKeys === undefined) throw new TypeError('setTicketKeys(): session tickets are off (sessionTickets: false)');
    this.ticketKeys.write(keys instanceof Uint8Array ? [keys] : keys);
  }

  /**
   * Takes the cookie secret and ticket keys from a secrets file now (a SecretsFileError if it is
   * bad: nothing changes) and follows it, as the `secretsFile` option does; replaces a file
   * watched before.
   */
  watchSecrets(path: string): void {
    this.follow(path, loadSecretsFileSync(path));
  }

  private follow(path: string, secrets: SharedSecrets): void {
    this.applySecrets(path, secrets);
    this.secretsWatcher?.close();
    this.secretsWatcher = new SecretsWatcher(path, {
      onLoad: (s) => this.applySecrets(path, s),
      onError: (error) => {
        if (this.listenerCount('warning') > 0) this.emit('warning', error);
        else process.emitWarning(error);
      },
    });
  }

  private applySecrets(path: string, secrets: SharedSecrets): void {
    this.cookies.setCookieSecrets(cookieSecretsOf(secrets), Date.now());
    // With tickets off (sessionTickets: false) the file's ticket keys have nothing to do.
    this.ticketKeys?.write(secrets.ticketKeys);
    if (this.listenerCount('secrets') > 0) this.emit('secrets', secretsLoadInfo(path, secrets));
  }

  /** The bound address, as node:dgram's socket.address(); throws before listen(). */
  address(): AddressInfo {
    if (this.socket === undefined) throw new Error('address: the server is not listening (call listen() first)');
    return this.socket.address();
  }

  /** A datagram to a peer (the socket exists: only a datagram that came in leads here). */
  private send(datagram: Uint8Array, port: number, address: string): void {
    if (this.socket === undefined) return;
    this.shared.datagramOut(datagram.length);
    this.socket.send(datagram, port, address);
  }

  get stats(): BlockingServerStats {
    let active = 0;
    let inDropped = 0;
    let outDropped = 0;
    for (const e of this.open) {
      if (e.dispatched && e.link.started) active++;
      inDropped += e.link.inDropped;
      outDropped += e.link.outDropped;
    }
    let waiting = 0;
    let handshakes = 0;
    for (const e of this.conns.values()) {
      // A handshake on this thread (handshakes: 'main') waits for no worker yet.
      if (!(e.dispatched && e.link.started) && e.main === undefined) waiting++;
      if (!e.link.established) handshakes++;
    }
    const live = [...this.open].map((e) => e.link.readCounters());
    // handshakes: 'main': what this thread's handshakes carried, running or over.
    for (const e of this.open) {
      if (e.main !== undefined) live.push(e.main.engine.stats);
      else if (e.mainCounters !== undefined) live.push(e.mainCounters);
      // Waiting for a worker: its counters are in its snapshot until a worker takes it up.
      else if (e.snapshot !== undefined) live.push(snapshotCounters(e.snapshot));
    }
    return {
      ...this.shared.snapshot({ connections: this.conns.size, handshakes }, live),
      ...this.counters,
      active,
      queued: waiting,
      inboundDropped: this.counters.inboundDropped + inDropped,
      outboundDropped: this.counters.outboundDropped + outDropped,
    };
  }

  private onDatagram(msg: Buffer, address: string, port: number): void {
    if (this.closing) return;
    // Busy with this turn's datagrams: the workers' frames are looked at when it is over (doorbell.ts).
    this.doorbell.hush();
    this.shared.datagramIn(msg.length);
    const remote = { address, port };
    let data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    // Behind a load balancer (proxyProtocol): the client's own address, from the header the
    // balancer put before the datagram; the balancer's socket (`remote`) stays where replies go
    // and what routes.
    let client: Remote | undefined;
    if (this.proxySources?.has(address) === true) {
      const header = parseProxyV2(data);
      if (header.type === 'error') {
        this.shared.drop('proxyHeader');
        return;
      }
      data = data.subarray(header.length);
      if (header.type === 'proxy') client = { address: header.source.address, port: header.source.port };
    }
    const peer = client ?? remote;
    const now = performance.now();
    const route = this.conns.route(data, remote);
    if (route.type === 'connection') {
      const entry = route.connection;
      entry.heardAt = now;
      entry.heard++;
      // The source goes along (RFC 9146 6): a CID-routed record may come from anywhere, and only
      // the engine, once it authenticated it, may move the peer there.
      if (client !== undefined) rememberVouched(entry, remote, client);
      if (entry.main !== undefined) this.step(entry, entry.main.receive(data, now, remote), now);
      else entry.link.deliver(data, remote, client);
      return;
    }
    if (route.type === 'drop') {
      this.counters.staleClientHellos++;
      this.shared.drop('staleClientHello');
      return;
    }
    // Date.now(): a shared cookie secret's periods are wall-clock, so that processes agree on them.
    // RFC 6347 4.2.1: the cookie is bound to the client's address (the vouched one behind a balancer).
    const result = this.cookies.verify(data, peerKey(peer), now, Date.now());
    if (result.type === 'drop') {
      this.shared.drop(result.code);
      return;
    }
    if (result.type === 'reply') {
      this.shared.count('helloVerifyRequests');
      this.send(result.datagram, port, address);
      return;
    }
    // RFC 6347 4.2.8: the restarted client proved its address with a cookie; its old connection
    // (whose peer has lost its state) ends silently and frees its place for the new one.
    const old = route.replacing;
    if (old !== undefined && !old.ended && !old.replaced && this.conns.get(remote) === old) this.replace(old);
    this.admit(remote, result.hello, now, client);
  }

  /** Ends `e` without a word to its peer: its client restarted and now has a new connection. */
  private replace(e: Entry): void {
    e.replaced = true;
    this.shared.count('replaced');
    this.forget(e);
    if (e.main !== undefined) {
      this.leaveMain(e, false);
      this.end(e);
    } else if (e.dispatched) {
      e.link.silence();
    } else {
      const i = this.queue.indexOf(e);
      if (i >= 0) this.queue.splice(i, 1);
      this.end(e);
    }
    const who = peerOf(e);
    this.emit('replaced', { address: who.address, port: who.port });
  }

  /** What a connection's worker tells besides datagrams (see Frame). */
  private onControl(e: Entry, kind: number, data: Uint8Array): void {
    if (e.ended || e.evicted || e.replaced) return;
    switch (kind) {
      case Frame.CLIENT_RANDOM:
        e.clientRandom = data;
        break;
      case Frame.CONNECTION_ID:
        // RFC 9146 6: its records now reach it whatever their source. A CID another connection
        // holds is not taken from it; this one is then reached by its address (or other CIDs) only.
        // Bounded: the engine issues a bounded number of CIDs, each announced once.
        if (this.conns.bindConnectionId(data, e)) e.connectionIds.push(data);
        break;
      case Frame.REMOTE: {
        const to = decodeRemote(data);
        if (to !== undefined && !samePeer(to, e.remote)) this.move(e, to);
        break;
      }
    }
  }

  /**
   * The engine moved the peer to `to` (it authenticated a record from there newer than any
   * before it, RFC 9146 6): the address entry follows, unless another connection holds that
   * address (it keeps it; this one is then reached by its CID), and so do the datagrams.
   */
  private move(e: Entry, to: Remote): void {
    const previous = e.remote;
    const previousPeer = peerOf(e);
    this.conns.remove(previous, e);
    if (this.conns.get(to) === undefined) this.conns.insert(to, e);
    // Behind a balancer, a new balancer session carries the client's new address too.
    const vouched = vouchedOn(e, to);
    if (e.client !== undefined && vouched !== undefined) e.client = vouched;
    const from = addressGroup(previousPeer.address);
    const group = addressGroup(peerOf(e).address);
    if (from !== group) {
      const own = this.perAddress.get(from);
      own?.delete(e);
      if (own?.size === 0) this.perAddress.delete(from);
      let next = this.perAddress.get(group);
      if (!next) this.perAddress.set(group, (next = new Set()));
      next.add(e);
    }
    e.remote = { address: to.address, port: to.port };
    // Behind a balancer a new session of the same client is no move of the client's.
    if (samePeer(peerOf(e), previousPeer)) return;
    this.counters.addressChanges++;
    this.emit('remoteAddressChange', addressInfo(peerOf(e)), addressInfo(previousPeer));
  }

  /** A verified ClientHello: a new connection, if there is a place for it or a stalled handshake gives way. */
  private admit(remote: Remote, hello: VerifiedClientHello, now: number, client: Remote | undefined): void {
    const peer = client ?? remote;
    const own = this.perAddress.get(addressGroup(peer.address));
    let ownHandshakes = 0;
    if (own) for (const e of own) if (!e.link.established) ownHandshakes++;
    const bound: RefusalReason | undefined =
      ownHandshakes >= this.maxHandshakesPerAddress
        ? 'maxHandshakesPerAddress'
        : (own?.size ?? 0) >= this.maxConnectionsPerAddress
          ? 'maxConnectionsPerAddress'
          : undefined;
    const full = this.conns.size >= this.maxThreads + this.maxQueue;
    if (bound !== undefined || full) {
      // An address at one of its bounds can only push out its own stalled handshakes (else it
      // could grow past its bound at others' expense); otherwise the longest stalled anywhere goes.
      const scope = bound !== undefined ? (own ?? []) : this.conns.values();
      if (this.evictStalled(this.stalled(scope, now, false), 1, bound ?? 'full', peer) === 0) {
        // A full pool is the answer everyone gets, whatever the address's own count.
        this.refuse(remote, hello, full ? 'full' : (bound ?? 'full'), peer);
        return;
      }
    }
    this.enqueue(remote, hello, now, client);
  }

  private refuse(remote: Remote, hello: VerifiedClientHello, reason: RefusalReason, peer: Remote): void {
    this.shared.count('refused');
    this.shared.drop('limit');
    // At its handshake bound an address waits: no answer, and the client's retransmission comes
    // back (verified again, statelessly) once one of its handshakes ended — as a busy NAT would
    // wish. A full pool (or an address at its connection bound) is refused with a fatal alert
    // (RFC 5246 7.2.2), nothing kept, so that the client fails at once instead of retrying.
    if (reason !== 'maxHandshakesPerAddress') {
      this.send(plaintextAlert(hello.recordSeq, AlertLevel.fatal, AlertDescription.internal_error), remote.port, remote.address);
    }
    this.emit('refused', peer, reason);
  }

  /**
   * The handshakes of `scope` that may give way, longest stalled first: one that waits in its
   * worker on a peer that has not moved for stalledAfterMs, or (unless `inWorkerOnly`) one that
   * has no worker yet and whose peer missed its ClientHello retransmission by a whole interval.
   */
  private stalled(scope: Iterable<Entry>, now: number, inWorkerOnly: boolean): Stalled[] {
    const out: Stalled[] = [];
    for (const entry of scope) {
      if (entry.evicted || entry.ended) continue;
      const word = entry.link.observe(now);
      if (phaseOf(word) !== Phase.HANDSHAKING) continue;
      let stalledMs: number;
      if (entry.main !== undefined) {
        // On this thread: as in a worker, stalled once it waited on its peer for stalledAfterMs without a step.
        if (inWorkerOnly || !entry.main.waitsOnPeer) continue;
        stalledMs = now - entry.main.lastStepAt;
        if (stalledMs < this.stalledAfterMs) continue;
      } else if (entry.dispatched && entry.link.started) {
        // Waiting on our own credential lookup or signature is not the peer's stall.
        if (!waitsOnPeer(word)) continue;
        stalledMs = now - entry.link.lastStepAt;
        if (stalledMs < this.stalledAfterMs) continue;
      } else {
        if (inWorkerOnly) continue;
        // No worker yet: the peer waits on us and cannot move. An honest one retransmits its
        // ClientHello after stalledAfterMs, then after twice that, and so on (RFC 6347 4.2.4.1), plus
        // the network's delay: it counts as silent only once it missed the next retransmission by a
        // whole interval. A peer that never retransmitted is out after twice stalledAfterMs.
        stalledMs = now - entry.heardAt;
        const interval = Math.min(this.stalledAfterMs * 2 ** Math.min(entry.heard, 16), this.retransmitMaxMs);
        if (stalledMs < 2 * interval) continue;
      }
      out.push({ entry, word, stalledMs });
    }
    return out.sort((a, b) => b.stalledMs - a.stalledMs);
  }

  /** Evicts up to `count` of `candidates` (in order); returns how many were evicted. */
  private evictStalled(candidates: readonly Stalled[], count: number, reason: EvictionReason, by: Remote | undefined): number {
    let evicted = 0;
    for (const c of candidates) {
      if (evicted >= count) break;
      if (this.evict(c, reason, by)) evicted++;
    }
    return evicted;
  }

  /**
   * Ends a stalled handshake so that another client gets its place. With a worker, the worker is
   * told through the handshake word, which it checks before anything else (its peer gets the
   * engine's fatal internal_error alert, still in epoch 0); false when the handshake moved or
   * finished since it was judged. Without one, it leaves the queue and the alert is sent from here.
   */
  private evict(c: Stalled, reason: EvictionReason, by: Remote | undefined): boolean {
    const e = c.entry;
    if (!e.link.evict(c.word)) return false;
    e.evicted = true;
    this.shared.count('evicted');
    this.forget(e);
    const hadWorker = e.dispatched && e.link.started;
    if (e.main !== undefined) {
      // On this thread: its engine sends the alert, as a worker's would.
      e.main.abort(EVICTED_MESSAGE);
      for (const d of e.main.datagrams()) this.sendTo(e, d);
      this.leaveMain(e, false);
      this.shared.handshakeFailed(AlertDescription.internal_error, false);
      this.end(e);
    } else if (!e.dispatched) {
      const i = this.queue.indexOf(e);
      if (i >= 0) this.queue.splice(i, 1);
      this.send(plaintextAlert(e.hello.recordSeq, AlertLevel.fatal, AlertDescription.internal_error), e.remote.port, e.remote.address);
      // A failed handshake, as one evicted from its worker is (its worker's engine sends the same alert).
      this.shared.handshakeFailed(AlertDescription.internal_error, false);
      this.end(e);
    }
    this.emit('evicted', peerOf(e), reason, { stalledMs: c.stalledMs, hadWorker, by });
    return true;
  }

  private enqueue(remote: Remote, hello: VerifiedClientHello, now: number, client: Remote | undefined): void {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const link = new ServerLink(this.ringBytes, remote, now, client);
    const entry: Entry = {
      remote,
      client,
      vouched: client === undefined ? [] : [{ transport: remote, client }],
      clientRandom: undefined,
      connectionIds: [],
      replaced: false,
      link,
      hello,
      awaitsMain: false,
      main: undefined,
      snapshot: undefined,
      announced: false,
      mainCounters: undefined,
      heardAt: now,
      heard: 0,
      dispatched: false,
      evicted: false,
      ended: false,
      done,
      resolve,
    };
    // To the peer's current address (it may move, RFC 9146 6); nothing once the client restarted.
    link.watch(
      (d) => {
        if (!entry.replaced) this.send(d, entry.remote.port, entry.remote.address);
      },
      (kind, data) => this.onControl(entry, kind, data),
      () => this.established(entry),
    );
    this.conns.insert(remote, entry);
    this.open.add(entry);
    const group = addressGroup((client ?? remote).address);
    let own = this.perAddress.get(group);
    if (!own) this.perAddress.set(group, (own = new Set()));
    own.add(entry);
    this.shared.count('accepted');
    // handshakes: 'main': a DTLS 1.2 handshake runs here (when the backlog allows, see
    // startMainHandshakes()), and the connection waits for a worker once established; DTLS 1.3
    // ones handshake in their worker (the snapshot is DTLS 1.2's).
    entry.awaitsMain = this.mainOptions !== undefined && hello.dtls13 === undefined;
    this.queue.push(entry);
    this.reclaim();
  }

  /**
   * handshakes: 'main': starts the handshakes of queued connections, first come first served,
   * while fewer than maxThreads established connections wait for a worker. So the main thread runs
   * ahead of the workers by at most a pool's worth of connections: past that, new clients wait in
   * the queue as they would for a worker (they are answered when their handshake starts), rather
   * than being established into a backlog that fills every place and refuses the next ones.
   */
  private startMainHandshakes(now: number): void {
    const options = this.mainOptions;
    if (options === undefined || this.closing) return;
    let backlog = 0;
    for (const e of this.queue) if (e.snapshot !== undefined) backlog++;
    while (backlog < this.maxThreads) {
      const i = this.queue.findIndex((e) => e.awaitsMain);
      if (i < 0) return;
      const [e] = this.queue.splice(i, 1);
      if (e !== undefined) this.startMain(e, options, now);
    }
  }

  /** Runs `e`'s handshake on this thread from its verified ClientHello, with what its peer sent since. */
  private startMain(e: Entry, options: ResolvedServerOptions, now: number): void {
    e.awaitsMain = false;
    this.freshTicketKeys(options);
    const hs = new MainHandshake(options, e.hello, now, e.remote);
    e.main = hs;
    e.clientRandom = hs.engine.clientRandom;
    // An asynchronous lookup or signature (a credentials module's) resumes the engine by itself: its output goes then.
    hs.engine.onWake = (): void =>
      queueMicrotask(() => {
        const at = performance.now();
        if (e.main !== undefined) this.step(e, e.main.tick(at), at);
      });
    this.handshaking.add(e);
    this.step(e, hs.tick(now), now);
    // What the peer sent while it waited (a retransmitted ClientHello, say) goes to the engine;
    // once the handshake is over, to the connection's link, as any later datagram.
    for (const p of e.link.takePending()) {
      const main = e.main;
      if (main !== undefined) this.step(e, main.receive(p.data, now, p.from ?? e.remote), now);
      else if (!e.ended) e.link.deliver(p.data, p.from, p.client);
    }
  }

  /** Ticket keys replaced at run time (setTicketKeys(), a rotated secrets file) reach this thread's handshakes as the workers'. */
  private freshTicketKeys(options: ResolvedServerOptions): void {
    const board = this.ticketKeys;
    if (board === undefined || board.version() === this.mainTicketVersion) return;
    const published = board.read();
    if (published === undefined) return;
    this.mainTicketVersion = published.version;
    options.ticketKeys?.setKeys(published.keys);
  }

  /**
   * After a datagram or a timer of a handshake on this thread: its flight goes out, its CIDs
   * route to it (RFC 9146 3), its peer may have moved (RFC 9146 6); established, it waits for a
   * worker; failed, it ends as a worker's failed handshake does.
   */
  private step(e: Entry, result: MainStep, now: number): void {
    const hs = e.main;
    if (hs === undefined) return;
    for (const d of hs.datagrams()) this.sendTo(e, d);
    for (const cid of hs.newConnectionIds()) if (this.conns.bindConnectionId(cid, e)) e.connectionIds.push(cid);
    const peer = hs.engine.peerAddress;
    if (peer !== undefined && !samePeer(peer, e.remote)) this.move(e, peer);
    if (result.type === 'handshaking') {
      const t = hs.nextTimeout;
      if (t !== undefined) this.armMainTimer(t, now);
      return;
    }
    this.leaveMain(e, result.type === 'established');
    if (result.type === 'failed') {
      // Its place in the backlog's count is free: the queue may move (outside this datagram's handler: a listener may throw).
      process.nextTick(() => this.reclaim());
      const error = result.error;
      const alert = error instanceof DtlsError && error.name !== 'HandshakeTimeoutError' ? error.alert : undefined;
      this.shared.handshakeFailed(alert, error instanceof DtlsError && error.fromPeer);
      this.counters.handshakeFailures++;
      const who = peerOf(e);
      const remote = { address: who.address, port: who.port };
      process.nextTick(() => this.emit('connectionError', error, 'handshake', remote));
      this.end(e);
      return;
    }
    if (!e.link.handOver(encodeHandover(result.snapshot), e.remote)) {
      // Cannot reach a worker through a ring this small: ended here with a fatal alert (RFC 5246 7.2.2).
      this.closeHere(result.snapshot, true, now);
      this.counters.handshakeFailures++;
      const who = peerOf(e);
      const remote = { address: who.address, port: who.port };
      const error = new RangeError(`the established connection does not fit in a ring of ringBytes ${this.ringBytes}: raise ringBytes`);
      process.nextTick(() => this.emit('connectionError', error, 'setup', remote));
      this.end(e);
      return;
    }
    e.snapshot = result.snapshot;
    this.established(e);
    this.queue.push(e);
    this.reclaim();
  }

  /**
   * Its handshake on this thread is over: its traffic is kept for the stats, unless it was handed
   * over (the snapshot carries every counter to the worker's engine, which reports them).
   */
  private leaveMain(e: Entry, handedOver: boolean): void {
    const hs = e.main;
    if (hs === undefined) return;
    e.main = undefined;
    this.handshaking.delete(e);
    if (!handedOver) e.mainCounters = hs.engine.stats;
  }

  /** A datagram to a connection's peer's current address; nothing once its client restarted. */
  private sendTo(e: Entry, d: Uint8Array): void {
    if (!e.replaced) this.send(d, e.remote.port, e.remote.address);
  }

  /**
   * An established connection no worker took up (the server closes, or it cannot cross): taken up
   * here just to end it, with close_notify or a fatal internal_error alert, in its own epoch.
   */
  private closeHere(snapshot: EstablishedSnapshot, fatal: boolean, now: number): void {
    const options = this.mainOptions;
    if (options === undefined) return;
    const conn = DtlsConnection.importEstablished(snapshot, options, now);
    if (fatal) conn.abort(AlertDescription.internal_error, 'the connection could not be given to a worker');
    else conn.close();
    const peer = snapshot.peer;
    if (peer !== undefined) for (const d of conn.datagramsToSend()) this.send(d, peer.port, peer.address);
  }

  /** Arms the handshakes' one timer for `at` unless it goes off sooner already. */
  private armMainTimer(at: number, now: number): void {
    if (at >= this.mainTimerAt || this.closing) return;
    if (this.mainTimer) clearTimeout(this.mainTimer);
    this.mainTimerAt = at;
    this.mainTimer = setTimeout(() => this.onMainTimer(), Math.max(0, at - now));
    this.mainTimer.unref();
  }

  /** Runs the due timers of this thread's handshakes (retransmissions, RFC 6347 4.2.4; deadlines), then arms for the next. */
  private onMainTimer(): void {
    this.mainTimer = undefined;
    this.mainTimerAt = Infinity;
    if (this.closing) return;
    const now = performance.now();
    let next = Infinity;
    for (const e of [...this.handshaking]) {
      const hs = e.main;
      if (hs === undefined) continue;
      const t = hs.nextTimeout;
      if (t !== undefined && t <= now) this.step(e, hs.tick(now), now);
      const after = e.main?.nextTimeout;
      if (after !== undefined) next = Math.min(next, after);
    }
    if (next !== Infinity) this.armMainTimer(next, now);
  }

  /**
   * The worker finished the handshake: now, and only now, it is a connection (as
   * @dtls-kit/nonblocking's 'connection'). A handshake that failed never gets here: it is a
   * 'connectionError' (stage 'handshake').
   */
  private established(e: Entry): void {
    if (e.evicted || e.replaced || e.announced) return;
    e.announced = true;
    const who = peerOf(e);
    const remote = { address: who.address, port: who.port };
    // Outside the watcher's promise chain: a listener that throws is an uncaught exception, not
    // an unhandled rejection.
    this.shared.count('established');
    process.nextTick(() => this.emit('connection', remote));
  }

  /**
   * Gives free workers to the queue, first come first served, and keeps stalled handshakes from
   * holding workers while connections wait:
   * - a free worker goes to the longest-waiting queued connection whose peer still shows signs of
   *   life; silent ones ahead of it (see stalled()) give way (with only silent ones left, the first
   *   gets its chance);
   * - while connections still wait and every worker is busy, the worker of a handshake stalled on
   *   its peer is taken (one per waiting connection; evicted ones still draining count as free),
   *   and a timer is armed for the next worker's handshake that may stall.
   */
  private reclaim(): void {
    if (this.reclaimTimer) clearTimeout(this.reclaimTimer);
    this.reclaimTimer = undefined;
    if (this.closing) return;
    const now = performance.now();
    this.startMainHandshakes(now);
    // Connections that wait for a worker (not those whose handshake is to start on this thread).
    const ready = (e: Entry): boolean => !e.awaitsMain;
    if (this.running.size < this.maxThreads && this.queue.some(ready)) {
      const silent = new Map(this.stalled(this.queue.filter(ready), now, false).map((s) => [s.entry, s]));
      while (this.running.size < this.maxThreads) {
        const waiting = this.queue.filter(ready);
        if (waiting.length === 0) break;
        const alive = waiting.findIndex((e) => !silent.has(e));
        for (const e of waiting.slice(0, Math.max(alive, 0))) {
          const s = silent.get(e);
          if (s) this.evict(s, 'maxThreads', undefined);
        }
        const i = this.queue.findIndex(ready);
        if (i < 0) break;
        const [next] = this.queue.splice(i, 1);
        if (next) this.dispatch(next);
      }
      // Established connections left the backlog: more handshakes may start here.
      this.startMainHandshakes(now);
    }
    let draining = 0;
    for (const e of this.running) if (e.evicted) draining++;
    let need = this.queue.filter(ready).length - draining;
    if (need <= 0) return;
    need -= this.evictStalled(this.stalled(this.running, now, true), need, 'maxThreads', undefined);
    if (need <= 0) return;
    // When could a worker's handshake next count as stalled? Its last step plus stalledAfterMs if it
    // waits on its peer; otherwise (still starting, or waiting on itself) look again a little later.
    let next = Infinity;
    for (const e of this.running) {
      if (e.evicted) continue;
      const word = e.link.observe(now);
      if (phaseOf(word) !== Phase.HANDSHAKING) continue;
      const at = e.link.started && waitsOnPeer(word) ? e.link.lastStepAt + this.stalledAfterMs : now + this.stalledAfterMs / 4;
      next = Math.min(next, at);
    }
    // Every worker holds an established connection: the next one to end runs the queue.
    if (next === Infinity) return;
    this.reclaimTimer = setTimeout(() => this.reclaim(), Math.max(5, next - now));
    this.reclaimTimer.unref();
  }

  /**
   * Gives `e` to a waiting long-lived worker, or to a new one (the caller keeps running.size below
   * maxThreads, so there is room for one): no task message, no new shared memory per connection.
   */
  private dispatch(e: Entry): void {
    e.dispatched = true;
    this.running.add(e);
    const now = performance.now();
    let slot: Slot | undefined;
    for (const s of this.slots) {
      if (s.entry === undefined && !s.gone && this.claim(s, now)) {
        slot = s;
        break;
      }
    }
    slot ??= this.startSlot(now);
    slot.entry = e;
    e.link.attach(slot.host, e.hello, now);
    e.snapshot = undefined;
  }

  /**
   * Takes a waiting worker's link for a new connection: begun again while the worker only looks at
   * its slot word, then claimed by compare-and-exchange (the worker may have just left, idle).
   */
  private claim(s: Slot, now: number): boolean {
    s.host.begin(now);
    if (Atomics.compareExchange(s.host.ctrl, C.SLOT, SLOT_IDLE, SLOT_ASSIGNED) === SLOT_IDLE) return true;
    this.dropSlot(s);
    return false;
  }

  /** A new long-lived worker (Piscina starts or reuses a thread for its loop), already claimed. */
  private startSlot(now: number): Slot {
    const host = new HostLink(this.ringBytes, now);
    Atomics.store(host.ctrl, C.SLOT, SLOT_ASSIGNED);
    const slot: Slot = { host, entry: undefined, gone: false, task: undefined };
    // To the peer's current address (it may move, RFC 9146 6), through the connection it serves.
    host.serve(
      (d) => slot.entry?.link.sendOut(d),
      (kind, data) => (kind === Frame.RESULT ? this.onResult(slot, data) : slot.entry?.link.controlIn(kind, data)),
      () => slot.entry?.link.announceEstablished(),
    );
    this.slots.add(slot);
    if (!this.doorbellWatched) {
      this.doorbellWatched = true;
      this.doorbell.watch(() => {
        for (const s of this.slots) s.host.poll();
      });
    }
    const task: LoopTask = {
      loop: true,
      sab: host.sab,
      handler: this.handler,
      credentials: this.credentials,
      options: this.engineOptions,
      ticketKeyBoard: this.ticketKeys?.sab,
      args: this.opts.args,
      idleTimeoutMs: this.idleTimeoutMs,
      workerIdleTimeoutMs: this.workerIdleTimeoutMs,
      doorbell: this.doorbell.sab,
    };
    const running: Promise<void> = this.pool.run(task);
    slot.task = running.then(
      () => this.dropSlot(slot),
      (err: unknown) => {
        // The worker died (its handler ended the thread, say): its connection with it.
        const e = slot.entry;
        this.dropSlot(slot);
        slot.entry = undefined;
        if (e === undefined) return;
        this.shared.count('handlerErrors');
        const who = peerOf(e);
        const remote = { address: who.address, port: who.port };
        process.nextTick(() => this.emit('connectionError', asError(err), 'worker', remote));
        this.settled(e);
      },
    );
    return slot;
  }

  /** The worker is gone: no connection goes to it, and its watcher stops after sending what is left. */
  private dropSlot(s: Slot): void {
    if (s.gone) return;
    s.gone = true;
    this.slots.delete(s);
    s.host.finish();
  }

  /** A connection's RESULT frame: its outcome, as the worker reported it; its worker waits for the next. */
  private onResult(slot: Slot, data: Uint8Array): void {
    const e = slot.entry;
    if (e === undefined) return;
    const r: ServerResult = JSON.parse(decoder.decode(data));
    const { address, port } = peerOf(e);
    // The events are emitted outside the watcher: a listener that throws must not break it.
    const report = (error: Error, stage: ConnectionErrorStage): void => {
      process.nextTick(() => this.emit('connectionError', error, stage, { address, port }));
    };
    if (!r.ok) this.failed(e, r, report);
    this.settled(e);
    slot.entry = undefined;
  }

  /** What a failed connection's RESULT means for the counters, the peer and the events. */
  private failed(e: Entry, r: Extract<ServerResult, { ok: false }>, report: (error: Error, stage: ConnectionErrorStage) => void): void {
    // A handshake that ended with an alert (ours or the peer's) or timed out, evicted ones
    // included; not one replaced by its restarted client (ended without a word).
    if (r.stage === 'handshake' && !e.replaced) {
      this.shared.handshakeFailed(r.error.name === 'HandshakeTimeoutError' ? undefined : r.error.alert, r.error.fromPeer ?? false);
    }
    // An evicted handshake's end was reported by 'evicted', a replaced one's by 'replaced'.
    if (e.evicted && r.stage === 'handshake') return;
    if (e.replaced) return;
    // The connection could not be set up in its worker (its credentials failed, say): no
    // engine ever answered, so the client is told now with a fatal alert (RFC 5246 7.2.2)
    // instead of retransmitting until its handshake timeout.
    if (r.stage === 'setup') {
      this.send(plaintextAlert(e.hello.recordSeq, AlertLevel.fatal, AlertDescription.internal_error), e.remote.port, e.remote.address);
      this.shared.handshakeFailed(AlertDescription.internal_error, false);
    }
    if (r.stage === 'handler') this.shared.count('handlerErrors');
    else this.counters.handshakeFailures++;
    report(deserializeError(r.error), r.stage);
  }

  /** A dispatched connection is over: its worker is free, and the queue may move. */
  private settled(e: Entry): void {
    this.running.delete(e);
    this.end(e);
    // Outside the watcher too: reclaim() may emit 'evicted', whose listener may throw.
    process.nextTick(() => this.reclaim());
  }

  /** The connection no longer counts against any bound, nor receives datagrams. */
  private forget(e: Entry): void {
    this.conns.remove(e.remote, e);
    for (const cid of e.connectionIds) this.conns.unbindConnectionId(cid, e);
    const group = addressGroup(peerOf(e).address);
    const own = this.perAddress.get(group);
    own?.delete(e);
    if (own?.size === 0) this.perAddress.delete(group);
  }

  private end(e: Entry): void {
    if (e.ended) return;
    e.ended = true;
    e.link.finish();
    this.counters.completed++;
    this.shared.connectionEnded(e.link.readCounters());
    if (e.mainCounters !== undefined) this.shared.connectionEnded(e.mainCounters);
    this.counters.inboundDropped += e.link.inDropped;
    this.counters.outboundDropped += e.link.outDropped;
    this.forget(e);
    this.open.delete(e);
    this.handshaking.delete(e);
    e.resolve();
  }

  /** Stops accepting, asks every open connection to close (its recv() returns null), then ends the workers. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.reclaimTimer) clearTimeout(this.reclaimTimer);
      if (this.mainTimer) clearTimeout(this.mainTimer);
      // Handshakes on this thread end as a worker's do when the server closes (close_notify).
      for (const e of [...this.handshaking]) {
        e.main?.close();
        for (const d of e.main?.datagrams() ?? []) this.sendTo(e, d);
        this.leaveMain(e, false);
        this.end(e);
      }
      this.secretsWatcher?.close();
      this.secretsWatcher = undefined;
      // Connections still queued have no worker: they get the close_notify their worker would have sent.
      for (const e of this.queue.splice(0)) {
        // One established here (handshakes: 'main') closes in its own epoch.
        if (e.snapshot !== undefined) this.closeHere(e.snapshot, false, performance.now());
        else this.send(plaintextAlert(e.hello.recordSeq, AlertLevel.warning, AlertDescription.close_notify), e.remote.port, e.remote.address);
        e.snapshot = undefined;
        this.end(e);
      }
      const entries = [...this.open];
      for (const e of entries) e.link.stop();
      await Promise.all(entries.map((e) => e.done));
      // The last datagrams (close_notify) were handed to the socket with their connection's RESULT:
      // node:dgram sends to an address one tick later, so let them go before the socket closes.
      await new Promise((resolve) => setImmediate(resolve));
      const socket = this.socket;
      if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
      // Every worker waits for a connection now: tell each to leave, then end the threads.
      const tasks: Promise<void>[] = [];
      for (const s of [...this.slots]) {
        Atomics.store(s.host.ctrl, C.SLOT, SLOT_EXIT);
        s.host.wake(C.IN_SEQ);
        if (s.task !== undefined) tasks.push(s.task);
        this.dropSlot(s);
      }
      await Promise.all(tasks);
      this.doorbell.stop();
      await this.pool.destroy();
      this.emit('close');
    })();
    return this.closing;
  }
}

export function createBlockingServer(options: BlockingServerOptions): BlockingServer {
  return new BlockingServer(options);
}
