import dgram, { type RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6, type AddressInfo } from 'node:net';
import {
  AlertDescription,
  DtlsConnection,
  HandshakeTimeoutError,
  ServerEndpoint,
  peerKey,
  type DtlsError,
  type PeerAddress,
  type SecretsLoadInfo,
  type ServerStats,
  type SharedSecrets,
} from '@dtls-kit/core';
import {
  ConnectionTable,
  SecretsWatcher,
  ServerStatsCounter,
  addressGroup,
  checkSecretsFileAlone,
  cookieSecretsOf,
  loadSecretsFileSync,
  secretsLoadInfo,
} from '@dtls-kit/core/internal';
import { channels, traceDatagram, type EvictMessage, type RefuseMessage, type StatsMessage } from './diagnostics.js';
import { HandshakeSlots, type Admission } from './handshake-slots.js';
import { keylogWriter } from './keylog.js';
import { literalLookup } from './literal-lookup.js';
import { sentAtOnce } from './sent-at-once.js';
import { parseProxyV2 } from '@dtls-kit/core';
import { proxyProtocolSources } from '@dtls-kit/core/internal';
import { checkOptionPlaces } from './option-places.js';
import { DEFAULTS, engineOptions, nonNegativeInt, positiveInt, type DtlsServerOptions } from './options.js';
import { DtlsSocket, type EstablishedDtlsSocket, type RemoteAddressInfo, type SocketHooks, type SocketShared, type Transport } from './socket.js';
import { TimerQueue } from './timer-queue.js';

/**
 * Where a connection failed, as @dtls-kit/blocking's 'connectionError' names it. This server
 * reports 'handler' there; its handshake failures are 'clientError' (as node:tls's).
 */
export type ConnectionErrorStage = 'setup' | 'handshake' | 'handler' | 'worker';

/** The handler given to createServer(): may be synchronous or return a promise. */
export type ConnectionHandler = (socket: EstablishedDtlsSocket) => unknown;

export interface DtlsServerEvents {
  /** The UDP socket is bound. */
  listening: [];
  /** A handshake finished: a new connection (node:tls 'secureConnection'). */
  connection: [socket: EstablishedDtlsSocket];
  /** A handshake failed (the peer is not told anything more than the alert, if any). */
  clientError: [error: DtlsError, peer: { address: string; port: number }];
  /**
   * A connection's handler failed: a 'connection' listener (the handler given to createServer
   * included) threw or returned a promise that rejected, or a listener of the socket ('message',
   * 'close', ...) did. That connection was aborted with a fatal internal_error alert (unless it had
   * already closed); every other connection goes on. Reported once per connection. The same name
   * and arguments as @dtls-kit/blocking's; `stage` is always 'handler' here.
   */
  connectionError: [error: Error, stage: ConnectionErrorStage, peer: { address: string; port: number }];
  /**
   * A connection's SSLKEYLOGFILE line (with its newline), as node:tls 'keylog'. With connection
   * IDs a `# CONNECTION_ID ...` comment line comes first, in its own event.
   */
  keylog: [line: Buffer, socket: DtlsSocket];
  /**
   * A connection's peer moved (connection IDs, RFC 9146 6): the socket's own
   * 'remoteAddressChange', for whoever watches the server rather than each socket.
   */
  remoteAddressChange: [current: RemoteAddressInfo, previous: RemoteAddressInfo, socket: DtlsSocket];
  /**
   * The secrets file (`secretsFile`, watchSecrets()) was read and its cookie secret and ticket keys
   * are in force: at startup and after each change.
   */
  secrets: [info: SecretsLoadInfo];
  /**
   * Something the server carries on after: a secrets file that changed into something unusable
   * (half-written, a bad field, gone) — a SecretsFileError naming the field; the secrets in force
   * stay. Without a listener it goes to process.emitWarning().
   */
  warning: [error: Error];
  /** The UDP socket failed. */
  error: [error: Error];
  /** The server is closed: every connection ended, the socket too. */
  close: [];
}

/**
 * A server's counters: @dtls-kit/core's ServerStats, the same shape and meaning as
 * @dtls-kit/blocking's (see the README's "Stats"). Also published on diagnostics_channel
 * 'dtls-kit:stats' (see StatsMessage).
 */
export type DtlsServerStats = ServerStats;


/**
 * A DTLS server on one UDP socket, in the manner of node:tls's Server: every peer shares the
 * socket; a datagram from a peer without a connection goes to the stateless cookie endpoint
 * (RFC 6347 4.2.1), which keeps no state until a cookie verifies; one timer queue serves
 * every connection.
 */
export class DtlsServer extends EventEmitter<DtlsServerEvents> {
  private readonly endpoint: ServerEndpoint;
  /** The connections by peer address; it decides where each datagram goes (RFC 6347 4.2.8 restarts included). */
  private readonly routes = new ConnectionTable<DtlsSocket>({
    clientRandom: (s) => s.clientRandom,
    established: (s) => s.state === 'established',
  });
  private readonly timers: TimerQueue;
  /**
   * The server's clock, in whole milliseconds: every timestamp a connection keeps (its last
   * activity, its timer deadline, the engine's retransmission and replay bookkeeping) is then a
   * small integer, which V8 stores in the field itself, where a fractional one is a 16-byte heap
   * number per field per connection. Timers (RFC 6347 4.2.4, idle timeouts) count in ms anyway;
   * floor: a deadline is never reached early.
   */
  private readonly now = (): number => Math.floor(performance.now());
  private readonly maxConnections: number;
  private readonly slots: HandshakeSlots<DtlsSocket>;
  private readonly idleTimeoutMs: number;
  private readonly maxBufferedBytes: number;
  private readonly keylog: ((line: string) => void) | undefined;
  private socket: dgram.Socket | undefined;
  /** `proxyProtocol.from`: the load balancers whose datagrams start with a PROXY v2 header. */
  private readonly proxySources: ReadonlySet<string> | undefined;
  private closing: Promise<void> | undefined;
  /** Follows the secrets file, if any (secretsFile, watchSecrets()). */
  private secretsWatcher: SecretsWatcher | undefined;
  /**
   * The address under which each connection is in `routes` (its peer's, unless the peer moved to
   * an address another connection held: see movePeer).
   */
  private readonly routedAt = new WeakMap<DtlsSocket, PeerAddress>();
  /** Connections whose handler failure was reported (once each). */
  private readonly failed = new WeakSet<DtlsSocket>();
  private readonly counters = new ServerStatsCounter((change) => {
    if (!channels.stats.hasSubscribers) return;
    const server = this;
    const message: StatsMessage = {
      server,
      change,
      // Computed when read: a subscriber that only counts changes pays nothing for it.
      get stats(): DtlsServerStats {
        return server.stats;
      },
    };
    channels.stats.publish(message);
  });


  /**
   * Every connection's transport: the server's UDP socket, to the peer's current address (with
   * connection IDs it may move, RFC 9146 6). One object for all: a server may hold 100,000
   * idle connections, and closures per connection cost each one about 600 bytes of heap.
   */
  private readonly transport: Transport = {
    send: (d, s) => this.sendTo(d, s.transportAddress.port, s.transportAddress.address, s),
    release: (done) => process.nextTick(done),
    address: () => this.address() ?? undefined,
  };

  /** Every connection's hooks (one object for all, as `transport`). */
  private readonly hooks: SocketHooks = {
    onEstablished: (s) => {
      this.slots.remove(s);
      this.counters.count('established');
      this.bindConnectionId(s);
      try {
        this.emit('connection', s);
      } catch (error) {
        // A synchronous handler threw (an async one's rejection: see captureRejectionSymbol).
        this.handlerFailed(s, error);
      }
    },
    wantsKeylog: () => this.keylog !== undefined || this.listenerCount('keylog') > 0,
    onKeylog: (line, s) => {
      // The key log function and 'keylog' listeners are the user's code for this connection.
      try {
        this.keylog?.(line);
        if (this.listenerCount('keylog') > 0) this.emit('keylog', Buffer.from(line, 'latin1'), s);
      } catch (error) {
        this.handlerFailed(s, error);
      }
    },
    onListenerError: (s, error) => this.handlerFailed(s, error),
    onRemoteAddressChange: (s, current, previous) => this.movePeer(s, current, previous),
    onEnd: (s, error, established) => {
      this.slots.remove(s);
      // Every way a connection ends comes here (close, fatal alert, error, eviction,
      // replacement, the server's close): none of its routes may outlive it.
      this.routes.remove(this.routedAt.get(s) ?? s.origin, s);
      for (const cid of s.receiveConnectionIds) this.routes.unbindConnectionId(cid, s);
      this.counters.connectionEnded(s.stats);
      // A handshake that ended with an alert (ours or the peer's) or timed out. (One replaced
      // by its restarted client, or closed with the server, ended without an error.)
      if (!established && error) this.counters.handshakeFailed(error instanceof HandshakeTimeoutError ? undefined : error.alert, error.fromPeer);
      if (!established && error && this.listenerCount('clientError') > 0) {
        // Where the handshake came from, as node:tls names the peer of a failed one.
        // (Behind a balancer, the client's address: a handshake's peer does not move before it ends.)
        const peer = { address: s.remoteAddress, port: s.remotePort };
        emitOrThrowLater(() => this.emit('clientError', error, peer));
      }
    },
  };

  /** What every connection of this server shares (one object for all, as `transport`). */
  private readonly shared: SocketShared;

  constructor(
    private readonly options: DtlsServerOptions,
    onConnection?: ConnectionHandler,
  ) {
    // A 'connection' listener's rejected promise reaches [captureRejectionSymbol], not nobody.
    super({ captureRejections: true });
    checkOptionPlaces(options, 'server');
    this.maxConnections = positiveInt('maxConnections', options.maxConnections, DEFAULTS.maxConnections);
    const maxHandshakes = positiveInt('maxHandshakes', options.maxHandshakes, DEFAULTS.maxHandshakes);
    const maxPerAddress = positiveInt('maxHandshakesPerAddress', options.maxHandshakesPerAddress, DEFAULTS.maxHandshakesPerAddress);
    this.idleTimeoutMs = nonNegativeInt('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.serverIdleTimeoutMs);
    this.maxBufferedBytes = nonNegativeInt('maxBufferedBytes', options.maxBufferedBytes, DEFAULTS.maxBufferedBytes);
    const handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULTS.handshakeTimeoutMs);
    // A shared secrets file: read now (a bad one throws), its secrets are the engine's options.
    const secretsFile = options.secretsFile;
    let secrets: SharedSecrets | undefined;
    if (secretsFile !== undefined) {
      checkSecretsFileAlone(options);
      secrets = loadSecretsFileSync(secretsFile);
    }
    const engine = secrets === undefined ? options : { ...options, cookieSecret: secrets.cookieSecret, ...(options.sessionTickets === false ? {} : { ticketKeys: secrets.ticketKeys }) };
    // Throws here, synchronously, for bad engine options (no credentials, unknown suites, ...).
    this.endpoint = new ServerEndpoint(engineOptions(engine, handshakeTimeoutMs));
    // RFC 6347 4.2.4.1: a flight unanswered for the first retransmission timeout is taken as lost;
    // a handshake whose peer has been silent that long may give its slot to a new client.
    const stalledAfterMs = this.endpoint.options.retransmit.initialMs ?? 1000;
    this.slots = new HandshakeSlots(maxHandshakes, maxPerAddress, stalledAfterMs);
    this.keylog = keylogWriter(options.keylog);
    this.proxySources = proxyProtocolSources(options.proxyProtocol);
    this.timers = new TimerQueue(this.now);
    this.shared = { transport: this.transport, timers: this.timers, idleTimeoutMs: this.idleTimeoutMs, maxBufferedBytes: this.maxBufferedBytes, hooks: this.hooks, now: this.now };
    if (onConnection) this.on('connection', onConnection);
    // Last, once nothing else can throw: the watch on the secrets file (its previous cookie secret too).
    if (secretsFile !== undefined && secrets !== undefined) this.follow(secretsFile, secrets);
  }

  /**
   * Binds the UDP socket (`udp6` for an IPv6 host or `type: 'udp6'`, else `udp4`; all
   * interfaces without a host) and resolves with its address.
   */
  listen(port = 0, host?: string, callback?: (error?: Error) => void): Promise<AddressInfo> {
    if (this.socket) return Promise.reject(new Error('the server is already listening'));
    const type = this.options.type ?? (host !== undefined && isIPv6(host) ? 'udp6' : 'udp4');
    const { ipv6Only = false, recvBufferSize, sendBufferSize } = this.options;
    // literalLookup: each send to a client's address goes out in the same call (no dns.lookup tick).
    const socket = dgram.createSocket({ type, ipv6Only, recvBufferSize, sendBufferSize, lookup: literalLookup });
    this.socket = socket;
    const promise = new Promise<AddressInfo>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.socket = undefined;
        socket.close();
        if (this.listenerCount('error') > 0) this.emit('error', error);
        reject(error);
      };
      socket.once('error', onError);
      socket.bind(port, host ?? (type === 'udp6' ? '::' : '0.0.0.0'), () => {
        socket.off('error', onError);
        socket.on('error', (error) => {
          if (this.listenerCount('error') > 0) this.emit('error', error);
        });
        socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        this.emit('listening');
        resolve(socket.address());
      });
    });
    // With a callback the failure is the callback's; without, the promise's (and 'error' listeners').
    if (callback) promise.then(() => callback(), callback);
    return promise;
  }

  /**
   * Replaces the cookie secret (RFC 6347 4.2.1) with one shared by other processes (32..1024
   * bytes; see the `cookieSecret` option): cookies made from now on use it, and the ones made
   * until now still verify for one more `cookieRotationMs` period. TypeError/RangeError for a bad
   * secret (the one in force stays).
   */
  setCookieSecret(secret: Uint8Array): void {
    this.endpoint.setCookieSecrets([secret], Date.now());
  }

  /**
   * Takes the cookie secret and ticket keys from a secrets file now (a SecretsFileError if it is
   * bad: nothing changes) and follows it from then on, as the `secretsFile` option does; replaces
   * a file watched before.
   */
  watchSecrets(path: string): void {
    const secrets = loadSecretsFileSync(path);
    this.follow(path, secrets);
  }

  /** Applies a secrets file's secrets and watches it for the next ones. */
  private follow(path: string, secrets: SharedSecrets): void {
    this.applySecrets(path, secrets);
    this.secretsWatcher?.close();
    this.secretsWatcher = new SecretsWatcher(path, {
      onLoad: (s) => this.applySecrets(path, s),
      onError: (error) => this.warn(error),
    });
  }

  private applySecrets(path: string, secrets: SharedSecrets): void {
    this.endpoint.setCookieSecrets(cookieSecretsOf(secrets), Date.now());
    // With tickets off (sessionTickets: false) the file's ticket keys have nothing to do.
    this.endpoint.options.ticketKeys?.setKeys(secrets.ticketKeys);
    if (this.listenerCount('secrets') > 0) {
      const info = secretsLoadInfo(path, secrets);
      emitOrThrowLater(() => this.emit('secrets', info));
    }
  }

  private warn(error: Error): void {
    if (this.listenerCount('warning') > 0) emitOrThrowLater(() => this.emit('warning', error));
    else process.emitWarning(error);
  }

  /** The bound address, or null before listen() (as node:net). */
  /**
   * node:tls `setTicketKeys()`: replaces the keys that seal and open session tickets (48 bytes
   * each, newest first; a single Buffer is a list of one). Tickets sealed with a key no longer in
   * the list lead to full handshakes. TypeError when tickets are off (`sessionTickets: false`).
   */
  setTicketKeys(keys: Uint8Array | readonly Uint8Array[]): void {
    const set = this.endpoint.options.ticketKeys;
    if (set === undefined) throw new TypeError('setTicketKeys(): session tickets are off (sessionTickets: false)');
    set.setKeys(keys instanceof Uint8Array ? [keys] : keys);
  }

  address(): AddressInfo | null {
    try {
      return this.socket?.address() ?? null;
    } catch {
      return null;
    }
  }

  get listening(): boolean {
    return this.address() !== null;
  }

  get stats(): DtlsServerStats {
    const live = [...this.routes.values()].map((s) => s.stats);
    return this.counters.snapshot({ connections: this.routes.size, handshakes: this.slots.size }, live);
  }

  /** The live connections (handshakes in progress included). */
  connections(): DtlsSocket[] {
    return [...this.routes.values()];
  }

  /** Keeps (default) or stops the socket from keeping the process alive. */
  ref(): this {
    this.socket?.ref();
    return this;
  }

  unref(): this {
    this.socket?.unref();
    return this;
  }

  /**
   * Sends close_notify on every connection, closes the socket, and resolves once the server
   * and every connection emitted 'close'.
   */
  close(callback?: (error?: Error) => void): Promise<void> {
    this.closing ??= this.shutdown();
    if (callback) this.closing.then(() => callback(), callback);
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const socket = this.socket;
    const closed = [...this.routes.values()].map((s) => s.close());
    await Promise.all(closed);
    this.timers.clear();
    this.secretsWatcher?.close();
    this.secretsWatcher = undefined;
    if (socket) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      this.socket = undefined;
    }
    emitOrThrowLater(() => this.emit('close'));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return;
    this.counters.datagramIn(msg.length);
    let datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    // Behind a load balancer (proxyProtocol): the client's own address, from the header the
    // balancer put before the datagram; the balancer's socket stays where replies go.
    let client: PeerAddress | undefined;
    if (this.proxySources?.has(rinfo.address) === true) {
      const header = parseProxyV2(datagram);
      if (header.type === 'error') {
        this.counters.drop('proxyHeader');
        return;
      }
      datagram = datagram.subarray(header.length);
      if (header.type === 'proxy') client = header.source;
    }
    const peer = client ?? rinfo;
    const now = this.now();
    // Core's table decides: the address's connection, the cookie endpoint (a new peer, or a
    // restarted client's new ClientHello, RFC 6347 4.2.8), or nothing (a stale ClientHello).
    const route = this.routes.route(datagram, rinfo);
    traceDatagram('in', 'server', route.type === 'endpoint' ? route.replacing : route.connection, peer.address, peer.port, datagram);
    if (route.type === 'drop') {
      // RFC 6347 4.2.8: a ClientHello that repeats an established connection's own.
      this.counters.drop('staleClientHello');
      return;
    }
    if (route.type === 'endpoint') {
      this.fromNewPeer(datagram, rinfo, now, route.replacing, route.clientHello, client);
      return;
    }
    const existing = route.connection;
    if (existing.state !== 'handshaking') {
      // node:dgram gives each datagram memory of its own, and nobody else has it unless a trace
      // subscriber was shown it (it may keep it as it came): it is handed over to the connection.
      existing.receive(datagram, now, rinfo, !channels.datagram.hasSubscribers, client);
      this.bindIssuedConnectionIds(existing);
      return;
    }
    // A datagram that moves the handshake on (not a retransmitted ClientHello, not noise) shows a
    // peer that answers: its slot is safe from eviction for another stalledAfterMs.
    const step = existing.handshakeState;
    existing.receive(datagram, now, rinfo, false, client);
    if (existing.state === 'handshaking' && existing.handshakeState !== step) this.slots.progressed(existing, now);
  }

  private fromNewPeer(datagram: Uint8Array, rinfo: RemoteInfo, now: number, replacing: DtlsSocket | undefined, clientHello: boolean, client: PeerAddress | undefined): void {
    // The client's address (behind a balancer, the one it vouched for) for limits, cookies and
    // logs; `rinfo` for where the answers go.
    const peer = client ?? rinfo;
    // Limits first, before the endpoint spends an HMAC: at a limit with no stalled handshake to
    // give way, a ClientHello is dropped, and the client's retransmission gets in once there is room.
    let admission: Admission<DtlsSocket> = { type: 'free' };
    let refusal: RefuseMessage['reason'] | undefined;
    if (replacing === undefined && this.routes.size >= this.maxConnections) {
      refusal = 'maxConnections';
    } else if (replacing === undefined || !this.slots.has(replacing)) {
      // (A client replacing its own handshake in progress reuses that slot: same address, same count.)
      admission = this.slots.admit(addressGroup(peer.address), now, waitingOnPeer);
      if (admission.type === 'refuse') refusal = admission.bound;
    }
    if (refusal !== undefined) {
      if (clientHello) {
        this.counters.count('refused');
        this.counters.drop('limit');
        if (channels.refuse.hasSubscribers) channels.refuse.publish({ remoteAddress: peer.address, remotePort: peer.port, reason: refusal });
      } else {
        // Not a ClientHello: the cookie check (which the blocking runtime runs first) would drop it as such.
        this.counters.drop('notClientHello');
      }
      return;
    }
    // Date.now(): a shared cookie secret's periods are wall-clock, so that processes agree on them.
    const result = this.endpoint.verify(datagram, peerKey(peer), now, Date.now());
    switch (result.type) {
      case 'drop':
        this.counters.drop(result.code);
        return;
      case 'reply':
        this.counters.count('helloVerifyRequests');
        this.sendTo(result.datagram, rinfo.port, rinfo.address, undefined);
        return;
      case 'verified':
        break;
    }
    // Only a ClientHello whose cookie verified pushes a stalled handshake out. (Never the one this
    // client replaces: that one's slot is reused above, and is freed silently below, as an alert
    // to its address would reach the new client.)
    if (admission.type === 'evict') {
      this.evict(admission.victim, { reason: admission.bound, stalledMs: admission.stalledMs, by: { address: peer.address, port: peer.port } });
    }
    if (replacing !== undefined) {
      this.counters.count('replaced');
      replacing.destroy();
    }
    // Sessions are dated by the wall clock (tickets outlive this process): Date.now(), not performance.now().
    const connection = DtlsConnection.acceptVerified(this.endpoint.options, result.hello, now, rinfo, Date.now());
    this.counters.count('accepted');
    const { address, port } = rinfo;
    const socket = new DtlsSocket({
      connection,
      remoteAddress: address,
      remotePort: port,
      shared: this.shared,
      ...(client !== undefined ? { clientAddress: { address: client.address, port: client.port } } : {}),
    });
    this.routes.insert(socket.origin, socket);
    this.routedAt.set(socket, socket.origin);
    this.slots.add(socket, addressGroup(peer.address), now);
    // The endpoint fed the ClientHello to the connection: its first flight is waiting.
    socket.kick();
  }

  /**
   * RFC 9146 3: once the handshake has given the connection a CID of ours, the peer's records
   * carry it, and the table finds the connection by it from any source address (a NAT that
   * rebinds, a roaming client). An empty CID: the peer sends plain records, routed by address.
   */
  /** How many of a connection's CIDs are bound (RFC 9147 9: NewConnectionId issues more). */
  private readonly boundConnectionIds = new WeakMap<DtlsSocket, number>();

  /** DTLS 1.3 (RFC 9147 9): the CIDs a connection issued after the handshake route to it too. */
  private bindIssuedConnectionIds(socket: DtlsSocket): void {
    if (socket.getProtocol() !== 'DTLSv1.3') return; // DTLS 1.2 has no NewConnectionId (and no array per datagram)
    const cids = socket.receiveConnectionIds;
    const bound = this.boundConnectionIds.get(socket) ?? 1;
    if (cids.length <= bound) return;
    for (const cid of cids.slice(bound)) this.routes.bindConnectionId(cid, socket);
    this.boundConnectionIds.set(socket, cids.length);
  }

  private bindConnectionId(socket: DtlsSocket): void {
    const cid = socket.connectionId?.receive;
    if (cid === undefined || cid.length === 0) return;
    // false: another live connection holds this CID (a generator collision); this one is then
    // reached by its address only, and no other connection's records are redirected to it.
    this.routes.bindConnectionId(cid, socket);
  }

  /**
   * The engine moved a connection's peer (RFC 9146 6): its datagrams from the new address are
   * its own (a plain record from there, a ClientHello from a restarting peer, is checked against
   * it), and the old address is free for a new client. An address another connection holds is
   * not taken from it: the moved connection then stays filed under its old address (its CID
   * still routes its records), so that it is still counted, listed and closed with the server.
   */
  private movePeer(socket: DtlsSocket, current: RemoteAddressInfo, previous: RemoteAddressInfo): void {
    // Routes are by transport address (behind a balancer, its socket for the client, not `current`).
    const at = socket.transportAddress;
    const holder = this.routes.get(at);
    if (holder === undefined) {
      this.routes.remove(this.routedAt.get(socket) ?? previous, socket);
      this.routes.insert(at, socket);
      this.routedAt.set(socket, { address: at.address, port: at.port });
    }
    if (this.listenerCount('remoteAddressChange') > 0) {
      try {
        this.emit('remoteAddressChange', current, previous, socket);
      } catch (error) {
        this.handlerFailed(socket, error);
      }
    }
  }

  /**
   * Drops a stalled handshake for a newcomer. Its peer is told with a fatal alert (in epoch 0, as
   * any handshake failure: RFC 5246 7.2.2), so a slow but honest client fails at once and may try
   * again, rather than retransmitting into nothing until its handshake timeout.
   */
  private evict(victim: DtlsSocket, why: Pick<EvictMessage, 'reason' | 'stalledMs' | 'by'>): void {
    this.counters.count('evicted');
    if (channels.evict.hasSubscribers) {
      const message: EvictMessage = { socket: victim, role: 'server', remoteAddress: victim.remoteAddress, remotePort: victim.remotePort, ...why };
      channels.evict.publish(message);
    }
    const seconds = (why.stalledMs / 1000).toFixed(1);
    victim.abort(AlertDescription.internal_error, `handshake evicted: no progress for ${seconds} s while ${why.reason} was reached`);
    // abort() ended it synchronously (onEnd freed the slot); make sure, should it not have.
    this.slots.remove(victim);
  }

  /**
   * A connection's handler failed: that connection ends with internal_error (RFC 5246 7.2.2: the
   * application cannot go on), the failure is reported once, and nothing else is touched.
   */
  private handlerFailed(socket: DtlsSocket, thrown: unknown): void {
    if (this.failed.has(socket)) return;
    this.failed.add(socket);
    this.counters.count('handlerErrors');
    const error = thrown instanceof Error ? thrown : new Error(`handler threw ${String(thrown)}`, { cause: thrown });
    socket.abort(AlertDescription.internal_error, `handler failed: ${error.message}`);
    emitOrThrowLater(() => this.emit('connectionError', error, 'handler', { address: socket.remoteAddress, port: socket.remotePort }));
  }

  /**
   * A listener returned a promise that rejected (captureRejections). A 'connection', 'keylog' or
   * 'remoteAddressChange' listener works for one connection: its failure stays with that connection. Any other
   * listener's goes to 'error', as node's EventEmitter does by default.
   */
  override [EventEmitter.captureRejectionSymbol](error: Error, event: unknown, ...args: unknown[]): void {
    const socket = event === 'connection' ? args[0] : event === 'keylog' ? args[1] : event === 'remoteAddressChange' ? args[2] : undefined;
    if (socket instanceof DtlsSocket) {
      this.handlerFailed(socket, error);
      return;
    }
    this.emit('error', error);
  }

  private sendTo(datagram: Uint8Array, port: number, address: string, connection: DtlsSocket | undefined): boolean {
    const socket = this.socket;
    if (!socket) return false;
    traceDatagram('out', 'server', connection, address, port, datagram);
    this.counters.datagramOut(datagram.length);
    try {
      // No callback (see connect.ts): no process.nextTick per datagram; a failed send is lost as UDP may lose it.
      // (literalLookup: a peer's address is a literal, so node:dgram sends in this call.)
      socket.send(datagram, port, address);
    } catch {
      // The socket closed under us: UDP loses the datagram, as it might anyway.
      return false;
    }
    return sentAtOnce(socket);
  }
}


/**
 * Emits a server-level event from inside the runtime's bookkeeping (a connection's end, the
 * server's close). A listener that throws is an uncaught exception, as with any EventEmitter,
 * but only after the bookkeeping is done: it must not leave a connection half-ended or turn
 * close()'s promise into a rejection nobody handles.
 */
function emitOrThrowLater(emit: () => void): void {
  try {
    emit();
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/**
 * Handshake steps in which the server waits on itself (its SNICallback, its session store, its PSK lookup, its ServerKeyExchange
 * signature: both may be asynchronous), not on the peer: a slow answer of ours is not the peer's stall.
 */
const WAITING_ON_US = new Set(['wait_sni', 'wait_session', 'wait_psk', 'wait_signature']);

function waitingOnPeer(socket: DtlsSocket): boolean {
  return !WAITING_ON_US.has(socket.handshakeState);
}

/**
 * Creates a DTLS server (node:tls createServer): `onConnection` listens for 'connection'. It may
 * be async: if it throws or its promise rejects, that connection is aborted and 'connectionError'
 * is emitted; the server and its other connections go on. An option createServer() does not take
 * throws a TypeError that says where it belongs (a client option, or one of `x509Server()`/`pskServer()`).
 */
export function createServer(options: DtlsServerOptions, onConnection?: ConnectionHandler): DtlsServer {
  return new DtlsServer(options, onConnection);
}
