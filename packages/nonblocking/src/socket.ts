import type { KeyObject, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  AlertDescription,
  HandshakeTimeoutError,
  alertName,
  peerCertificate,
  peerX509Certificate,
  peerPublicKey,
  type DetailedPeerCertificate,
  type NoPeerCertificate,
  type PeerCertificate,
  type DtlsConnection,
  type DtlsError,
  type DtlsEvent,
  type PeerAddress,
  type CipherInfo,
  type RecordSizeLimit,
} from '@dtls-kit/core';
import type { SrtpKeyingMaterial, SrtpProfile } from '@dtls-kit/core';
import { connectionIdKeyLogComment, samePeer, setSocketTimeout } from '@dtls-kit/core/internal';
import { bufferView } from './buffer-view.js';
import { channels } from './diagnostics.js';
import type { Timed, TimerQueue } from './timer-queue.js';

/**
 * What a connection needs from whoever owns the UDP socket. Each call names the socket it is
 * for, so a server passes one transport to all its connections (no closures per connection).
 */
export interface Transport {
  /**
   * Sends one datagram to the peer. Errors (ICMP unreachable, ...) are ignored: UDP may lose it
   * anyway. True when its bytes have left during the call and nobody holds the datagram (the
   * socket copied it to the kernel at once, and no trace subscriber was shown it): its memory may
   * then be used again (DtlsConnection.datagramSent).
   */
  send(datagram: Uint8Array, socket: DtlsSocket): boolean;
  /** The connection has ended: free the route (server) or the socket (client); then call `done`. */
  release(done: () => void, socket: DtlsSocket): void;
  /** The local address the datagrams leave from. */
  address(): AddressInfo | undefined;
  /**
   * Lets the process exit while this connection is open (false) or not (true): a client's own UDP
   * socket. Absent on a server's connections, which share the server's socket (server.unref()).
   */
  setRef?(ref: boolean): void;
}

/**
 * What the owner of a socket hears about it (server bookkeeping, connect()'s promise). Every
 * hook names the socket, so a server passes one hooks object to all its connections.
 */
export interface SocketHooks {
  onEstablished?(socket: EstablishedDtlsSocket): void;
  onKeylog?(line: string, socket: DtlsSocket): void;
  /** Whether onKeylog does anything now (a server without a keylog option or listener does not). */
  wantsKeylog?(): boolean;
  /** Called once, before 'close' is emitted. */
  onEnd?(socket: DtlsSocket, error: DtlsError | undefined, established: boolean): void;
  /**
   * A listener of this socket threw, or returned a promise that rejected. With this hook (a
   * server's sockets) the failure stays with the connection: the owner decides (aborts it, reports
   * it). Without it (a client) a throw propagates as any EventEmitter listener's would.
   */
  onListenerError?(socket: DtlsSocket, error: unknown): void;
  /**
   * The engine moved the peer's address (RFC 9146 6: an authenticated, newest record came from
   * elsewhere); the socket already sends there. Called before the socket's 'remoteAddressChange'.
   */
  onRemoteAddressChange?(socket: DtlsSocket, current: RemoteAddressInfo, previous: RemoteAddressInfo): void;
}

/** A peer's transport address, as node:net's `socket.address()` shapes it. */
export interface RemoteAddressInfo {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

/** The connection IDs of a connection (RFC 9146 3): see DtlsSocket.connectionId. */
export interface ConnectionIdInfo {
  /** Ours: the CID the peer writes in the records it sends us (empty: it sends plain records). */
  readonly receive: Buffer;
  /** The peer's: the CID we write in the records we send (empty: we send plain records). */
  readonly send: Buffer;
}

/**
 * @internal what every connection of one owner shares: a server makes one for all its
 * connections, so that each socket holds one reference to it rather than six fields (a server may
 * hold 100,000 idle connections).
 */
export interface SocketShared {
  readonly transport: Transport;
  readonly timers: TimerQueue;
  readonly idleTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly hooks: SocketHooks;
  readonly now: () => number;
}

/** @internal how the runtime builds a socket. */
export interface SocketInit {
  readonly connection: DtlsConnection;
  readonly shared: SocketShared;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * The client's own address when a load balancer vouched for it (a PROXY v2 header from a
   * `proxyProtocol.from` address): what remoteAddress/remotePort report, while datagrams still go
   * to remoteAddress/remotePort of the init (the balancer's socket for this client).
   */
  readonly clientAddress?: PeerAddress;
}

/** node:tls getCipher()'s shape, defined once in @dtls-kit/core. */
export type { CipherInfo };
/** node:tls getPeerCertificate()'s object, built by @dtls-kit/core from the peer's DER chain. */
export type { DetailedPeerCertificate, NoPeerCertificate, PeerCertificate };

/**
 * A socket whose handshake is done: what connect() resolves to and what a server's 'connection'
 * listeners get. What was negotiated is known, so its type says so (`getCipher().name` compiles
 * under strict TypeScript). It stays known after the connection closes.
 */
export interface EstablishedDtlsSocket extends DtlsSocket {
  /** As node:tls getCipher(): `{ name, standardName, version }`. */
  getCipher(): CipherInfo;
  /** As node:tls getProtocol(): 'DTLSv1.2'. */
  getProtocol(): string;
  /** The largest send(), in bytes (see DtlsSocket.maxPayload). */
  readonly maxPayload: number;
}

/** True once the handshake has negotiated a suite and a version (see EstablishedDtlsSocket). */
export function isEstablished(socket: DtlsSocket): socket is EstablishedDtlsSocket {
  return socket.getCipher() !== undefined && socket.getProtocol() !== undefined && socket.maxPayload !== undefined;
}

export type SocketState = 'handshaking' | 'established' | 'closed';

export interface DtlsSocketEvents {
  /** One datagram of application data (message boundaries are kept). */
  message: [data: Buffer];
  /** A warning alert from the peer (fatal ones and close_notify end the connection: see 'close'). */
  alert: [alert: { description: number; name: string }];
  /**
   * Either the socket was idle for the time given to setTimeout() (no datagram from the peer, no
   * send(); as node:net, nothing else happens: close or abort it if you wish), or nothing arrived
   * from the peer for idleTimeoutMs (then the connection is closed right after).
   */
  timeout: [];
  /** The connection ended with an error (emitted only when someone listens; 'close' follows). */
  error: [error: DtlsError];
  /** The connection is over; `hadError` as in node:net. */
  close: [hadError: boolean];
  /**
   * The peer's address moved (a NAT rebinding, a roaming client): with connection IDs (RFC 9146
   * 6) a record that authenticated and is newer than any before it came from `current`;
   * `remoteAddress`/`remotePort` are `current` now and every datagram goes there. A spoofed or
   * replayed record from elsewhere moves nothing. Never without connection IDs.
   */
  remoteAddressChange: [current: RemoteAddressInfo, previous: RemoteAddressInfo];
  /**
   * node:tls 'session' (client): a new session to resume with (`connect({ session })`), after the
   * handshake, once connect() has resolved; not for a resumed session (getSession() still has it).
   * DTLS 1.3: once per NewSessionTicket the server sends after the handshake, resumed or not.
   */
  session: [session: Buffer];
}

const decoder = new TextDecoder();

/** The bits of DtlsSocket.flags. */
const Flag = {
  /** Inside pump(): a nested call leaves the events to the outer one. */
  pumping: 1,
  /** destroy(): nothing more is sent, not even close_notify. */
  muted: 2,
  ended: 4,
  closeEmitted: 8,
  isEstablished: 16,
  /** The close or abort is ours (an alert 'sent', not 'received'). */
  closingByUs: 32,
  /** A microtask will hand the parked messages to the first 'message' listener. */
  drainScheduled: 64,
};

/** A `for await` reader: its own queue, bounded in bytes. */
class MessageIterator implements AsyncIterableIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined;
  private ended: { error: DtlsError | undefined } | undefined;

  constructor(
    private readonly owner: DtlsSocket,
    private readonly maxBytes: number,
    private readonly detach: (it: MessageIterator) => void,
  ) {}

  /** Returns false when the message had to be dropped (the reader is too far behind). */
  push(data: Buffer): boolean {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: data, done: false });
      return true;
    }
    if (this.queuedBytes + data.length > this.maxBytes) return false;
    this.queue.push(data);
    this.queuedBytes += data.length;
    return true;
  }

  end(error: DtlsError | undefined): void {
    if (this.ended) return;
    this.ended = { error };
    const w = this.waiting;
    this.waiting = undefined;
    if (!w) return;
    if (error) w.reject(error);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Buffer>> {
    const data = this.queue.shift();
    if (data !== undefined) {
      this.queuedBytes -= data.length;
      return Promise.resolve({ value: data, done: false });
    }
    if (this.ended) {
      const { error } = this.ended;
      // The error is thrown once; after it the iterator is simply done.
      this.ended = { error: undefined };
      this.detach(this);
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** `break` out of the loop: stops reading (the connection stays open). */
  return(): Promise<IteratorResult<Buffer>> {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.ended = { error: undefined };
    this.detach(this);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get socket(): DtlsSocket {
    return this.owner;
  }
}

/**
 * A socket's state that most connections never need: an idle server connection holds none of
 * it, where a field each would cost 8 bytes apiece of every connection (a server may hold
 * 100,000). Made with the first value that is not its default.
 */
class RareState {
  /** The client's address behind a load balancer (see SocketInit.clientAddress); undefined when direct. */
  client: PeerAddress | undefined = undefined;
  /** The address the balancer vouched for with the datagram being received (see receive). */
  vouched: PeerAddress | undefined = undefined;
  /** The engine's retransmission count last published (diagnostics channel 'retransmit'). */
  retransmissions = 0;
  /** setTimeout(): 0 = off; when it fires next (undefined: not armed). */
  userTimeoutMs = 0;
  userTimeoutAt: number | undefined = undefined;
  /** The `for await` readers. */
  iterators: Set<MessageIterator> | undefined = undefined;
  /** Messages that arrived while nobody listened: handed to the first reader (see park()). */
  parked: Buffer[] | undefined = undefined;
  parkedBytes = 0;
  /** The error that ended the connection (see finish()). */
  endError: DtlsError | undefined = undefined;
  /** close()'s promises, waiting for 'close'. */
  closeWaiters: Array<() => void> | undefined = undefined;
}

/**
 * One DTLS connection, in the manner of node:tls's TLSSocket over node:dgram: `send()` one
 * datagram, a 'message' event per datagram received, `for await`, `close()`, and what was
 * negotiated. Made by `connect()` (client) or handed to a server's 'connection' listeners.
 */
export class DtlsSocket extends EventEmitter<DtlsSocketEvents> implements Timed {
  /** @internal timer queue bookkeeping */
  heapIndex = -1;
  /** @internal timer queue bookkeeping */
  deadline = 0;

  /** @internal the peer's address when the connection began (where a server's handshake came from). */
  readonly origin: PeerAddress;

  private readonly conn: DtlsConnection;
  /** Where datagrams to the peer go: the engine's peer address, once it knows one (see followPeer). */
  private remote: PeerAddress;
  /**
   * The engine's own peer address object after the last datagram (DtlsConnection.peerAddressRef,
   * not a copy): the engine puts a new object in its place when the address moves.
   */
  private enginePeer: Readonly<PeerAddress> | undefined;
  /** The owner's settings, one object for all its connections (see SocketShared). */
  private readonly shared: SocketShared;
  private readonly startedAt: number;
  /** The socket's yes/no state, one small integer rather than a field each (see Flag). */
  private flags = 0;
  private lastActivity: number;
  private idleCheckAt: number | undefined;
  /** setTimeout()'s last activity (a datagram in, a send(), or the setTimeout() call itself). */
  private lastIo: number;
  /** What most connections never need (see RareState); made with the first of it. */
  private rare: RareState | undefined;
  /** The pending prepare() of spare time (see prepareSoon); cleared when the connection ends. */
  private prepareImmediate: NodeJS.Immediate | undefined;
  /** Messages dropped because a reader was too far behind or nobody read (see maxBufferedBytes). */
  droppedMessages = 0;

  /** @internal use connect() or createServer(). */
  constructor(init: SocketInit) {
    // An async listener's rejection reaches [captureRejectionSymbol] rather than nobody.
    super({ captureRejections: init.shared.hooks.onListenerError !== undefined });
    this.conn = init.connection;
    this.shared = init.shared;
    this.remote = { address: init.remoteAddress, port: init.remotePort };
    this.origin = this.remote;
    if (init.clientAddress !== undefined) this.client = init.clientAddress;
    // The engine's own object: no copy of the address is kept.
    this.enginePeer = init.connection.peerAddressRef;
    this.startedAt = init.shared.now();
    this.lastActivity = this.startedAt;
    this.lastIo = this.startedAt;
    // Only a handshake waits on lookups; the 'handshake-complete' event drops it (see onEvent).
    this.conn.onWake = () => {
      // The engine may call this from inside receive(): run on a clean stack.
      queueMicrotask(() => {
        if (this.ended) return;
        this.conn.handleTimeout(this.now());
        this.pump();
      });
    };
    if (channels.handshakeStart.hasSubscribers) channels.handshakeStart.publish(this.base());
  }

  /** Which end of the connection we are. */
  get role(): 'client' | 'server' {
    return this.conn.isClient ? 'client' : 'server';
  }

  private get transport(): Transport {
    return this.shared.transport;
  }

  private get timers(): TimerQueue {
    return this.shared.timers;
  }

  private get hooks(): SocketHooks {
    return this.shared.hooks;
  }

  private get now(): () => number {
    return this.shared.now;
  }

  private get idleTimeoutMs(): number {
    return this.shared.idleTimeoutMs;
  }

  private get maxBufferedBytes(): number {
    return this.shared.maxBufferedBytes;
  }

  private get pumping(): boolean {
    return (this.flags & Flag.pumping) !== 0;
  }

  private set pumping(on: boolean) {
    this.flags = on ? this.flags | Flag.pumping : this.flags & ~Flag.pumping;
  }

  private get muted(): boolean {
    return (this.flags & Flag.muted) !== 0;
  }

  private set muted(on: boolean) {
    this.flags = on ? this.flags | Flag.muted : this.flags & ~Flag.muted;
  }

  private get ended(): boolean {
    return (this.flags & Flag.ended) !== 0;
  }

  private set ended(on: boolean) {
    this.flags = on ? this.flags | Flag.ended : this.flags & ~Flag.ended;
  }

  private get closeEmitted(): boolean {
    return (this.flags & Flag.closeEmitted) !== 0;
  }

  private set closeEmitted(on: boolean) {
    this.flags = on ? this.flags | Flag.closeEmitted : this.flags & ~Flag.closeEmitted;
  }

  private get isEstablished(): boolean {
    return (this.flags & Flag.isEstablished) !== 0;
  }

  private set isEstablished(on: boolean) {
    this.flags = on ? this.flags | Flag.isEstablished : this.flags & ~Flag.isEstablished;
  }

  private get closingByUs(): boolean {
    return (this.flags & Flag.closingByUs) !== 0;
  }

  private set closingByUs(on: boolean) {
    this.flags = on ? this.flags | Flag.closingByUs : this.flags & ~Flag.closingByUs;
  }

  private get drainScheduled(): boolean {
    return (this.flags & Flag.drainScheduled) !== 0;
  }

  private set drainScheduled(on: boolean) {
    this.flags = on ? this.flags | Flag.drainScheduled : this.flags & ~Flag.drainScheduled;
  }

  private get client(): PeerAddress | undefined {
    return this.rare === undefined ? undefined : this.rare.client;
  }

  private set client(value: PeerAddress | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).client = value;
  }

  private get vouched(): PeerAddress | undefined {
    return this.rare === undefined ? undefined : this.rare.vouched;
  }

  private set vouched(value: PeerAddress | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).vouched = value;
  }

  private get retransmissions(): number {
    return this.rare === undefined ? 0 : this.rare.retransmissions;
  }

  private set retransmissions(value: number) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === 0) return;
    (this.rare ??= new RareState()).retransmissions = value;
  }

  private get userTimeoutMs(): number {
    return this.rare === undefined ? 0 : this.rare.userTimeoutMs;
  }

  private set userTimeoutMs(value: number) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === 0) return;
    (this.rare ??= new RareState()).userTimeoutMs = value;
  }

  private get userTimeoutAt(): number | undefined {
    return this.rare === undefined ? undefined : this.rare.userTimeoutAt;
  }

  private set userTimeoutAt(value: number | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).userTimeoutAt = value;
  }

  private get iterators(): Set<MessageIterator> | undefined {
    return this.rare === undefined ? undefined : this.rare.iterators;
  }

  private set iterators(value: Set<MessageIterator> | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).iterators = value;
  }

  private get parked(): Buffer[] | undefined {
    return this.rare === undefined ? undefined : this.rare.parked;
  }

  private set parked(value: Buffer[] | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).parked = value;
  }

  private get parkedBytes(): number {
    return this.rare === undefined ? 0 : this.rare.parkedBytes;
  }

  private set parkedBytes(value: number) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === 0) return;
    (this.rare ??= new RareState()).parkedBytes = value;
  }

  private get endError(): DtlsError | undefined {
    return this.rare === undefined ? undefined : this.rare.endError;
  }

  private set endError(value: DtlsError | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).endError = value;
  }

  private get closeWaiters(): Array<() => void> | undefined {
    return this.rare === undefined ? undefined : this.rare.closeWaiters;
  }

  private set closeWaiters(value: Array<() => void> | undefined) {
    // Its default, with no RareState yet: nothing to keep.
    if (this.rare === undefined && value === undefined) return;
    (this.rare ??= new RareState()).closeWaiters = value;
  }

  // ---------------------------------------------------------------- what was negotiated

  get state(): SocketState {
    return this.ended ? 'closed' : this.isEstablished ? 'established' : 'handshaking';
  }

  /**
   * The peer's address: where datagrams go, or, behind a load balancer that tells it (a server's
   * `proxyProtocol`), the client's own. With connection IDs it follows the peer (see 'remoteAddressChange').
   */
  get remoteAddress(): string {
    return (this.client ?? this.remote).address;
  }

  get remotePort(): number {
    return (this.client ?? this.remote).port;
  }

  get remoteFamily(): 'IPv4' | 'IPv6' {
    return familyOf(this.remoteAddress);
  }

  /** @internal where datagrams to the peer go (the balancer's socket for it, behind one). */
  get transportAddress(): PeerAddress {
    return this.remote;
  }

  /**
   * The connection IDs negotiated (RFC 9146 3; the `connectionId: { length }` option on both
   * sides), copies; undefined when the peer did not negotiate the extension.
   */
  get connectionId(): ConnectionIdInfo | undefined {
    const cid = this.conn.connectionId;
    if (cid === undefined) return undefined;
    return { receive: Buffer.from(cid.receive), send: Buffer.from(cid.send) };
  }

  /** @internal every CID of ours the peer may write (DTLS 1.3: those NewConnectionId issued too), for the server's router. */
  get receiveConnectionIds(): readonly Uint8Array[] {
    return this.conn.receiveConnectionIds;
  }

  /**
   * DTLS 1.3 (RFC 9147 9): asks the peer for `count` more CIDs of its own (RequestConnectionId);
   * false when it cannot now (see DtlsConnection.requestConnectionIds).
   */
  requestConnectionIds(count = 1): boolean {
    const sent = this.conn.requestConnectionIds(count);
    this.flush();
    return sent;
  }

  /**
   * DTLS 1.3 (RFC 9147 9): our records carry the peer's next spare CID from now on (call it when
   * this side's address changes); false when the peer gave none.
   */
  rotateConnectionId(): boolean {
    return this.conn.rotateConnectionId();
  }

  /** Whether the records use encrypt-then-MAC (RFC 7366): a CBC suite, negotiated with the peer. */
  get encryptThenMac(): boolean {
    return this.conn.encryptThenMac;
  }

  /** The local address and port (dgram's address()). */
  address(): AddressInfo | undefined {
    return this.transport.address();
  }

  /** As node:tls getCipher(): `{ name, standardName, version }`; undefined until negotiated (see EstablishedDtlsSocket). */
  getCipher(): CipherInfo | undefined {
    return this.conn.getCipher();
  }

  /** As node:tls getProtocol(): 'DTLSv1.2' once negotiated. */
  getProtocol(): string | undefined {
    return this.conn.protocol;
  }

  /** The PSK identity used (client) or accepted (server), as UTF-8 text. */
  get pskIdentity(): string | undefined {
    const id = this.conn.pskIdentity;
    return id === undefined ? undefined : decoder.decode(id);
  }

  /** The PSK identity as bytes (identities need not be text). */
  get pskIdentityBytes(): Uint8Array | undefined {
    return this.conn.pskIdentity;
  }

  /**
   * As node:tls getPeerCertificate(): the peer's certificate as an object (`subject`, `issuer`,
   * `subjectaltname`, `valid_from`, `valid_to`, `fingerprint256`, `serialNumber`, `raw`, ...);
   * with `detailed`, each links its issuer's as `issuerCertificate` (among the certificates the
   * peer sent). `{}` when the peer sent none. Unlike node:tls, still there after the close.
   */
  getPeerCertificate(detailed: true): DetailedPeerCertificate | NoPeerCertificate;
  getPeerCertificate(detailed?: boolean): PeerCertificate | NoPeerCertificate;
  getPeerCertificate(detailed = false): DetailedPeerCertificate | NoPeerCertificate {
    return peerCertificate(this.conn.peerCertificates, detailed) ?? {};
  }

  /** As node:tls getPeerX509Certificate(): the peer's certificate as node's X509Certificate; undefined when it sent none. */
  getPeerX509Certificate(): X509Certificate | undefined {
    return peerX509Certificate(this.conn.peerCertificates);
  }

  /**
   * The peer's public key as node's KeyObject: its raw public key when it authenticated with one
   * (RFC 7250; getPeerCertificate() is then `{}`), else its certificate's key; undefined when it
   * sent neither. node:tls has no raw public keys, so no node name to follow.
   */
  getPeerPublicKey(): KeyObject | undefined {
    return peerPublicKey(this.conn.peerRawPublicKey, this.conn.peerCertificates);
  }

  /** The peer's raw public key (SubjectPublicKeyInfo DER) as it sent it (RFC 7250 3); undefined without one. */
  getPeerRawPublicKey(): Buffer | undefined {
    const spki = this.conn.peerRawPublicKey;
    return spki === undefined ? undefined : Buffer.from(spki);
  }

  /** The peer's certificate chain (DER, leaf first) as it sent it. */
  getPeerCertificateChain(): Buffer[] {
    return this.conn.peerCertificates.map(bufferView);
  }

  /** node:tls `authorized`: the peer's certificate chain passed every check. */
  get authorized(): boolean {
    return this.conn.authorized;
  }

  /** node:tls `authorizationError` (with rejectUnauthorized: false). */
  get authorizationError(): Error | undefined {
    return this.conn.authorizationError;
  }

  get alpnProtocol(): string | false {
    return this.conn.alpnProtocol;
  }

  /** node:tls `getSession()` (client): the session to pass as `session` to a later connect(); undefined when there is none. */
  getSession(): Buffer | undefined {
    const s = this.conn.getSession();
    return s === undefined ? undefined : Buffer.from(s);
  }

  /** node:tls `isSessionReused()`: the handshake resumed a session (abbreviated, RFC 5246 7.3). */
  isSessionReused(): boolean {
    return this.conn.isSessionReused();
  }

  /** server_name the client asked for (server side) or sent (client side): undefined for an IP address, never sent (RFC 6066 3). */
  get servername(): string | undefined {
    return this.conn.servername;
  }

  /** RFC 5705 keying material (e.g. for DTLS-SRTP), as node:tls exportKeyingMaterial(). */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    return bufferView(this.conn.exportKeyingMaterial(length, label, context));
  }

  /** The DTLS-SRTP profile negotiated (RFC 5764 4.1.1: IANA id and name, OpenSSL's name); undefined when none. */
  get srtpProfile(): SrtpProfile | undefined {
    return this.conn.srtpProfile;
  }

  /** The SRTP MKI both sides agreed on (RFC 5764 4.1.1); undefined when none. */
  get srtpMki(): Buffer | undefined {
    const mki = this.conn.srtpMki;
    return mki === undefined ? undefined : bufferView(mki);
  }

  /**
   * The SRTP master keys and salts (RFC 5764 4.2, exporter label EXTRACTOR-dtls_srtp): `material`
   * is what `openssl -keymatexport` prints, cut into clientKey, serverKey, clientSalt, serverSalt.
   * Undefined when no profile was negotiated; a DtlsError before the handshake is done.
   */
  getSrtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    return this.conn.getSrtpKeyingMaterial();
  }

  /** The error that ended the connection, if it ended with one. */
  get error(): DtlsError | undefined {
    return this.endError;
  }

  /** Engine counters: records dropped, replayed, failing authentication; retransmissions. */
  get stats(): DtlsConnection['stats'] {
    return this.conn.stats;
  }

  // ---------------------------------------------------------------- sending and closing

  /**
   * The largest send(), in bytes: one message is one record in one datagram of at most `mtu`
   * bytes (RFC 6347 4.1.1), so it is the MTU less the record overhead of the negotiated suite
   * (13-byte header, explicit nonce, AEAD tag: 29 bytes with ChaCha20-Poly1305 and AES-CCM-8, 37
   * with AES-GCM and AES-CCM; with a connection ID in our records, its length + 1 more), at most
   * 16384. node:tls has no equivalent (TLS splits a write into records of any size); it is what
   * RFC 6347 4.1.1.1 calls "the maximum application datagram size". Undefined until the
   * handshake is done (an EstablishedDtlsSocket always has it).
   */
  get maxPayload(): number | undefined {
    return this.conn.maxPayload;
  }

  /**
   * The record size limits negotiated with record_size_limit (RFC 8449; option `recordSizeLimit`)
   * or max_fragment_length (RFC 6066 4; client option `maxFragmentLength`): `{ extension, send,
   * receive }`, `send` the peer's limit (maxPayload is at most it), `receive` ours (a larger
   * record ends the connection with record_overflow). Undefined when neither was negotiated.
   */
  get recordSizeLimit(): RecordSizeLimit | undefined {
    return this.conn.recordSizeLimit;
  }

  /**
   * Sends one datagram of application data (a string is sent as UTF-8). Returns false, sending
   * nothing, once the connection is closed or closing (as UDP would lose it); throws a RangeError
   * that names the limit and where it comes from for a message longer than maxPayload (nothing
   * is sent: split the message, or raise `mtu` if the path carries larger datagrams).
   */
  send(data: Uint8Array | string): boolean {
    if (this.ended || this.conn.state !== 'established') return false;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.conn.send(bytes);
    this.flush();
    this.touch();
    return true;
  }

  /**
   * As node:net setTimeout(): after `ms` without activity (a datagram from the peer, a send())
   * emit 'timeout' once, and again after the next activity and `ms` of quiet; `callback` is added
   * as a one-time 'timeout' listener. Nothing is closed (that is idleTimeoutMs' job). 0 turns it off.
   */
  setTimeout(ms: number, callback?: () => void): this {
    this.userTimeoutMs = setSocketTimeout(this, ms, callback);
    // As node:net, the quiet time counts from this call (not from the last datagram before it).
    this.lastIo = this.now();
    this.userTimeoutAt = ms > 0 && !this.ended ? this.lastIo + ms : undefined;
    this.reschedule();
    return this;
  }

  /** As node:net ref(): a client connection keeps the process alive (the default). No effect on a server's connections. */
  ref(): this {
    this.transport.setRef?.(true);
    return this;
  }

  /**
   * As node:net unref(): an open client connection no longer keeps the process alive. A server's
   * connections share the server's UDP socket: use server.unref() there.
   */
  unref(): this {
    this.transport.setRef?.(false);
    return this;
  }

  /**
   * Activity for setTimeout(): re-arms it if it had fired. Only setTimeout()'s timer reads lastIo,
   * and a setTimeout() call sets it afresh: without one, no clock is read per send().
   */
  private touch(now?: number): void {
    if (this.userTimeoutMs === 0) return;
    this.lastIo = now ?? this.now();
    if (this.userTimeoutAt === undefined && !this.ended) {
      this.userTimeoutAt = this.lastIo + this.userTimeoutMs;
      this.reschedule();
    }
  }

  /** Sends close_notify and ends the connection; resolves after the 'close' event. */
  close(): Promise<void> {
    const done = this.whenClosed();
    if (!this.ended) {
      this.closingByUs = true;
      this.conn.close();
      this.pump();
    }
    return done;
  }

  /**
   * Ends the connection with a fatal alert of ours (default `internal_error`, RFC 5246 7.2.2:
   * the application cannot go on); `'close'` follows with the error. Nothing happens once closed.
   */
  abort(description: AlertDescription = AlertDescription.internal_error, message = 'connection aborted by the application'): void {
    if (this.ended) return;
    this.closingByUs = true;
    this.conn.abort(description, message);
    this.pump();
  }

  /** Ends the connection at once without telling the peer (no close_notify). */
  destroy(error?: DtlsError): void {
    if (this.ended) return;
    this.muted = true;
    this.closingByUs = true;
    this.conn.close();
    if (error) this.endError = error;
    this.pump();
  }

  /** Messages as they arrive; the loop ends when the connection closes (throws if it ended with an error). */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    const it = new MessageIterator(this, this.maxBufferedBytes, (i) => this.iterators?.delete(i));
    // Messages that arrived before anyone read are the first ones this reader sees.
    for (const m of this.unpark()) it.push(m);
    if (this.closeEmitted) it.end(undefined);
    else (this.iterators ??= new Set()).add(it); // ended with the connection, when 'close' is emitted
    return it;
  }

  // ---------------------------------------------------------------- the driver (internal)

  /** @internal the engine's handshake step (a server tells progress from it). */
  get handshakeState(): string {
    return this.conn.handshakeState;
  }

  /** @internal the client random of the handshake (the engine's), for RFC 6347 4.2.8 routing. */
  get clientRandom(): Uint8Array | undefined {
    return this.conn.clientRandom;
  }

  /**
   * @internal a datagram from the peer, and where it came from (the engine judges the address).
   * `handOver`: nobody else holds the datagram (see DtlsConnection.receive): its records are
   * decrypted in place and the messages are views of it.
   */
  receive(datagram: Uint8Array, now: number, from?: PeerAddress, handOver = false, client?: PeerAddress): void {
    if (this.ended) return;
    this.touch(now);
    // `client`: the address a load balancer vouched for with this datagram; taken only if the
    // engine moves the peer to `from` (followPeer), as the transport address is.
    this.vouched = client;
    this.conn.receive(datagram, now, from, handOver);
    // Before the pump: what this datagram makes us send (an echo of its data included) goes to
    // the address it proved.
    this.followPeer();
    this.vouched = undefined;
    this.pump(now);
  }

  /**
   * The engine alone decides when the peer's address changes (RFC 9146 6: only on a record that
   * authenticated and is newer than any before it, and only with a CID in the peer's records);
   * the socket follows it. The first address the engine learns is the one we connected to or
   * heard the ClientHello from: not a move.
   */
  private followPeer(): void {
    const peer = this.conn.peerAddressRef;
    // Unchanged (every datagram but a move): the engine's object is the one we saw last. Asked
    // after every datagram, between the datagram's decryption and the reply's send: no copy.
    if (peer === undefined || peer === this.enginePeer) return;
    const known = this.enginePeer;
    this.enginePeer = peer;
    if (known !== undefined && samePeer(known, peer)) return;
    if (known === undefined || samePeer(this.remote, peer)) return;
    const previous = this.remoteInfo();
    this.remote = { address: peer.address, port: peer.port };
    // Behind a balancer, the client moved too (a NAT rebinding is a new balancer session).
    if (this.client !== undefined && this.vouched !== undefined) this.client = this.vouched;
    const current = this.remoteInfo();
    this.hooks.onRemoteAddressChange?.(this, current, previous);
    if (channels.remoteAddressChange.hasSubscribers) channels.remoteAddressChange.publish({ ...this.base(), previous });
    this.guarded(() => this.emit('remoteAddressChange', current, previous));
  }

  private remoteInfo(): RemoteAddressInfo {
    const peer = this.client ?? this.remote;
    return { address: peer.address, family: familyOf(peer.address), port: peer.port };
  }

  /**
   * node:tls 'session': a client's new session, on the next turn of the event loop so that the
   * code awaiting connect() can listen for it.
   */
  private announceSession(): void {
    if (!this.conn.isClient || this.conn.isSessionReused()) return;
    const s = this.conn.getSession();
    if (s === undefined) return;
    setImmediate(() => {
      if (this.listenerCount('session') > 0) this.guarded(() => this.emit('session', Buffer.from(s)));
    });
  }

  /** @internal sends what the engine has ready (a new server connection's first flight). */
  kick(): void {
    this.pump();
  }

  /** @internal the engine's first flight (client). */
  start(now: number): void {
    // Sessions are dated by the wall clock (a ticket outlives this process): Date.now(), not performance.now().
    this.conn.connect(now, Date.now());
    this.pump();
  }

  /** @internal the timer queue: a retransmission, the handshake deadline, the idle check. */
  onTimer(now: number): void {
    if (this.ended) return;
    if (this.userTimeoutAt !== undefined && this.userTimeoutAt <= now) {
      if (now - this.lastIo >= this.userTimeoutMs) {
        // Once per quiet spell, as node:net: touch() re-arms it.
        this.userTimeoutAt = undefined;
        this.guarded(() => this.emit('timeout'));
        if (this.ended) return;
      } else {
        this.userTimeoutAt = this.lastIo + this.userTimeoutMs;
      }
    }
    if (this.idleCheckAt !== undefined && this.idleCheckAt <= now) {
      if (now - this.lastActivity >= this.idleTimeoutMs) {
        this.guarded(() => this.emit('timeout'));
        if (!this.ended) void this.close();
        return;
      }
      this.idleCheckAt = this.lastActivity + this.idleTimeoutMs;
    }
    const t = this.conn.nextTimeout();
    if (t !== undefined && t <= now) this.conn.handleTimeout(now);
    this.pump();
  }

  /**
   * Events to the user first, then the datagrams (which the user's send() may have added), then the
   * timer. During the handshake our flight leaves first: the peer's next step waits on it, not on
   * our events (a server's last flight would otherwise wait for its 'connection' handlers, which
   * every user's code may make slow). Afterwards, one flush per pump. `receivedAt`: from receive(),
   * the arrival time of the datagram whose events these are (they need no clock read of their own).
   */
  private pump(receivedAt?: number): void {
    if (this.pumping) return; // the outer pump carries on with the new events
    this.pumping = true;
    try {
      if (!this.isEstablished) this.flush();
      for (let e = this.conn.pollEvent(); e !== undefined; e = this.conn.pollEvent()) this.onEvent(e, receivedAt);
    } finally {
      this.pumping = false;
      this.flush();
      this.checkRetransmissions();
      this.reschedule();
      this.prepareSoon();
    }
  }

  /**
   * Once our flight is out, the engine makes ahead what its next flight needs (an ephemeral key
   * pair: DtlsConnection.prepare) while the peer works on its answer, instead of on the round
   * trip. setImmediate: after the datagrams of this turn of the event loop have left.
   */
  private prepareSoon(): void {
    if (this.prepareImmediate !== undefined || this.ended || !this.conn.canPrepare) return;
    this.prepareImmediate = setImmediate(() => {
      this.prepareImmediate = undefined;
      if (!this.ended) this.conn.prepare();
    });
  }

  private flush(): void {
    const datagrams = this.conn.datagramsToSend();
    if (this.muted) return;
    for (const d of datagrams) if (this.transport.send(d, this)) this.conn.datagramSent(d);
  }

  private reschedule(): void {
    if (this.ended) {
      this.timers.remove(this);
      return;
    }
    let deadline = this.conn.nextTimeout();
    if (this.idleTimeoutMs > 0 && this.isEstablished) {
      // Checked lazily: moved forward when it fires, not on every datagram.
      this.idleCheckAt ??= this.lastActivity + this.idleTimeoutMs;
      deadline = deadline === undefined ? this.idleCheckAt : Math.min(deadline, this.idleCheckAt);
    }
    if (this.userTimeoutAt !== undefined) deadline = deadline === undefined ? this.userTimeoutAt : Math.min(deadline, this.userTimeoutAt);
    this.timers.schedule(this, deadline);
  }

  private checkRetransmissions(): void {
    if (!channels.retransmit.hasSubscribers) return;
    const n = this.conn.stats.retransmissions;
    if (n === this.retransmissions) return;
    this.retransmissions = n;
    channels.retransmit.publish({ ...this.base(), retransmissions: n, handshakeState: this.conn.handshakeState });
  }

  /** `receivedAt`: when the datagram that raised the event arrived (the pump of receive()), else undefined. */
  private onEvent(e: DtlsEvent, receivedAt: number | undefined): void {
    switch (e.type) {
      case 'handshake-complete':
        this.isEstablished = true;
        this.announceSession();
        // No lookup can be pending any more: the engine never wakes an established connection.
        this.conn.onWake = undefined;
        this.lastActivity = this.now();
        if (channels.handshake.hasSubscribers) {
          channels.handshake.publish({ ...this.base(), durationMs: this.lastActivity - this.startedAt, cipher: this.getCipher()?.name, error: undefined });
        }
        // The key log line (hex of the client random and master secret) is built only for
        // someone who takes it: nothing per handshake otherwise.
        if (this.hooks.onKeylog !== undefined && (this.hooks.wantsKeylog?.() ?? true)) {
          // DTLS 1.2's CLIENT_RANDOM line, or DTLS 1.3's five secret lines (one call each, as node:tls's 'keylog').
          const lines = this.conn.keyLogLines;
          if (lines.length > 0) {
            // A comment line naming the CIDs first (NSS key logs allow `#` comments), so that a
            // reader of the capture knows what the tls12_cid records carry.
            const comment = connectionIdKeyLogComment(this.conn);
            if (comment !== undefined) this.hooks.onKeylog?.(`${comment}\n`, this);
            for (const line of lines) this.hooks.onKeylog?.(`${line}\n`, this);
          }
        }
        if (isEstablished(this)) this.hooks.onEstablished?.(this);
        else this.abort(AlertDescription.internal_error, 'the handshake completed without a negotiated suite');
        return;
      case 'data':
        // The datagram's arrival: no second clock read per record.
        this.lastActivity = receivedAt ?? this.now();
        this.deliver(bufferView(e.data));
        return;
      case 'alert':
        this.lastActivity = this.now();
        this.publishAlert('received', 'warning', e.description);
        this.guarded(() => this.emit('alert', { description: e.description, name: e.name }));
        return;
      case 'close':
        this.finish(e.error);
        return;
      case 'session': {
        // DTLS 1.3: each NewSessionTicket after the handshake is a new session (node:tls emits 'session' per ticket).
        const s = this.conn.getSession();
        if (s !== undefined && this.listenerCount('session') > 0) this.guarded(() => this.emit('session', Buffer.from(s)));
        return;
      }
    }
  }

  private deliver(data: Buffer): void {
    const listening = this.listenerCount('message') > 0;
    const iterators = this.iterators;
    if (!listening && (iterators === undefined || iterators.size === 0)) {
      this.park(data);
      return;
    }
    if (iterators !== undefined) for (const it of iterators) if (!it.push(data)) this.droppedMessages++;
    if (listening) this.emitMessage(data);
  }

  /**
   * guarded(() => this.emit('message', data)) without the closure: every datagram of data passes
   * here on its way to the listener whose reply is the next datagram out.
   */
  private emitMessage(data: Buffer): void {
    const onListenerError = this.hooks.onListenerError;
    if (onListenerError === undefined) {
      this.emit('message', data);
      return;
    }
    try {
      this.emit('message', data);
    } catch (error) {
      onListenerError(this, error);
    }
  }

  /**
   * Keeps a message that arrived while nobody listened. While any is parked, a 'newListener'
   * listener watches for the first 'message' listener, which gets them (scheduleDrain); it is
   * there only then, so a connection that never parks carries no listener of its own.
   */
  private park(data: Buffer): void {
    if (this.parkedBytes + data.length > this.maxBufferedBytes) {
      this.droppedMessages++;
      return;
    }
    if (this.parked === undefined) {
      this.parked = [];
      (this as EventEmitter).on('newListener', DtlsSocket.onNewListener);
    }
    this.parked.push(data);
    this.parkedBytes += data.length;
  }

  /** The parked messages, oldest first; none are parked afterwards. */
  private unpark(): Buffer[] {
    const parked = this.parked;
    if (parked === undefined) return [];
    this.parked = undefined;
    this.parkedBytes = 0;
    (this as EventEmitter).off('newListener', DtlsSocket.onNewListener);
    return parked;
  }

  /** A listener is being added (EventEmitter calls this with the socket as `this`): a 'message' one gets the parked messages. */
  private static onNewListener(this: DtlsSocket, event: string | symbol): void {
    if (event === 'message' && this.parked !== undefined) this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      if (this.listenerCount('message') === 0) return;
      for (const m of this.unpark()) {
        if (this.iterators !== undefined) for (const it of this.iterators) if (!it.push(m)) this.droppedMessages++;
        this.emitMessage(m);
      }
    });
  }

  private finish(error: DtlsError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    error ??= this.endError;
    this.endError = error;
    this.timers.remove(this);
    if (this.prepareImmediate !== undefined) {
      clearImmediate(this.prepareImmediate);
      this.prepareImmediate = undefined;
    }
    this.conn.onWake = undefined;
    if (error) {
      if (!(error instanceof HandshakeTimeoutError)) this.publishAlert(error.fromPeer ? 'received' : 'sent', 'fatal', error.alert);
    } else if (!this.muted) {
      this.publishAlert(this.closingByUs ? 'sent' : 'received', 'warning', AlertDescription.close_notify);
    }
    if (!this.isEstablished && channels.handshake.hasSubscribers) {
      channels.handshake.publish({ ...this.base(), durationMs: this.now() - this.startedAt, cipher: undefined, error });
    }
    if (channels.close.hasSubscribers) channels.close.publish({ ...this.base(), error, established: this.isEstablished });
    this.hooks.onEnd?.(this, error, this.isEstablished);
    // The close_notify (or fatal alert) leaves before the transport is released.
    this.flush();
    this.transport.release(() => {
      this.closeEmitted = true;
      const iterators = this.iterators;
      this.iterators = undefined;
      if (iterators !== undefined) for (const it of iterators) it.end(error);
      if (error && this.listenerCount('error') > 0) this.guarded(() => this.emit('error', error));
      this.guarded(() => this.emit('close', error !== undefined));
      const waiters = this.closeWaiters;
      this.closeWaiters = undefined;
      if (waiters !== undefined) for (const w of waiters) w();
    }, this);
  }

  /** Runs an emit to the user's listeners; a throw goes to the owner's onListenerError when there is one. */
  private guarded(emit: () => void): void {
    const onListenerError = this.hooks.onListenerError;
    if (onListenerError === undefined) {
      emit();
      return;
    }
    try {
      emit();
    } catch (error) {
      onListenerError(this, error);
    }
  }

  /** An async listener's promise rejected (captureRejections is on only with onListenerError). */
  override [EventEmitter.captureRejectionSymbol](error: Error, ..._event: unknown[]): void {
    this.hooks.onListenerError?.(this, error);
  }

  private whenClosed(): Promise<void> {
    if (this.closeEmitted) return Promise.resolve();
    return new Promise((resolve) => (this.closeWaiters ??= []).push(resolve));
  }

  private publishAlert(direction: 'received' | 'sent', level: 'warning' | 'fatal', description: number): void {
    if (!channels.alert.hasSubscribers) return;
    channels.alert.publish({ ...this.base(), direction, level, description, name: alertName(description) });
  }

  private base(): { socket: DtlsSocket; role: 'client' | 'server'; remoteAddress: string; remotePort: number } {
    return { socket: this, role: this.role, remoteAddress: this.remoteAddress, remotePort: this.remotePort };
  }
}

/** node:net's family name for an address: IPv6 text has colons, IPv4 has none. */
function familyOf(address: string): 'IPv4' | 'IPv6' {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}
