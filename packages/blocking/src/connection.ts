import { EventEmitter } from 'node:events';
import { threadId } from 'node:worker_threads';
import type { KeyObject, X509Certificate } from 'node:crypto';
import {
  AlertDescription,
  peerCertificate,
  peerX509Certificate,
  peerPublicKey,
  type CipherInfo,
  type DetailedPeerCertificate,
  type NoPeerCertificate,
  type DtlsConnection,
  type PeerCertificate,
  type DtlsError,
  type PeerAddress,
  type RecordSizeLimit,
} from '@dtls-kit/core';
import type { SrtpKeyingMaterial, SrtpProfile } from '@dtls-kit/core';
import { samePeer, setSocketTimeout } from '@dtls-kit/core/internal';
import { BlockingTimeoutError } from './errors.js';
import { markEstablished, Phase, phaseOf, reportHandshake } from './handshake-word.js';
import { C, decodeRemote, encodeRemote, Frame, STOP_SILENT, type Link } from './ring.js';

/** A peer's transport address, as node:net's AddressInfo names it. */
export interface RemoteAddressInfo {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

export interface BlockingConnectionEvents {
  /**
   * The peer's address moved (RFC 9146 6: an authenticated record, newer than any before it,
   * came from another address; only with a non-empty receive connection ID): remoteAddress,
   * remotePort and remoteFamily now say `current`, and datagrams go there. Emitted from inside
   * recv() (or send()), in the worker.
   */
  remoteAddressChange: [current: RemoteAddressInfo, previous: RemoteAddressInfo];
  /**
   * As @dtls-kit/nonblocking's 'timeout': either the connection was idle for the time given to
   * setTimeout() (no datagram from the peer, no send(); as node:net, nothing else happens: close
   * it if you wish), or nothing authenticated (application data, an alert) came from the peer for
   * `idleTimeoutMs` (then the connection is closed with close_notify right after, and recv()
   * returns null). Emitted from inside recv() (or send()), in the worker.
   */
  timeout: [];
  /**
   * The connection ended with an error (a fatal alert, ours or the peer's): emitted only when
   * someone listens, and 'close' follows. recv() and send() throw the same error.
   */
  error: [error: DtlsError];
  /**
   * The connection is over, whoever ended it; `hadError` as in node:net: true when it ended with
   * an error (a fatal alert, ours or the peer's: see 'error'), false after close_notify (either
   * way), an idle timeout or the server's close(). As @dtls-kit/nonblocking's 'close'. Emitted
   * from inside the call that saw the end (recv(), send(), close()), in the worker.
   */
  close: [hadError: boolean];
}

function remoteInfo(address: string, port: number): RemoteAddressInfo {
  // An address from the socket is a literal: only an IPv6 one has a colon (cheaper than isIPv6's
  // regular expression, once per connection).
  return { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port };
}

/** node:tls's `{}` for a peer that sent no certificate, defined once in @dtls-kit/core. */
export type { NoPeerCertificate };

/** node:tls getCipher()'s shape, defined once in @dtls-kit/core. */
export type { CipherInfo };

const now = (): number => performance.now();
const decoder = new TextDecoder();

/**
 * Handshake states in which the engine waits on itself (an asynchronous PSK lookup, a
 * ServerKeyExchange signature), not on the peer: the peer's silence then is not the peer's stall.
 * (State names of @dtls-kit/core's ServerHandshake.)
 */
export const WAITING_ON_US: ReadonlySet<string> = new Set(['wait_sni', 'wait_session', 'wait_psk', 'wait_signature']);

/** The longest a server's handshake blocks its worker before letting the worker's event loop run (ms). */
const HANDSHAKE_SLICE_MS = 50;

const EVICTED_MESSAGE = 'handshake evicted: the peer made no progress while the server needed its place for another client';

/**
 * A DTLS connection as a handler sees it, inside a worker: every call blocks this worker only
 * (Atomics.wait on the connection's inbound ring, with the engine's next timer as the timeout).
 */
// The base is node's untyped EventEmitter; the methods below take only BlockingConnectionEvents.
export class BlockingConnection extends EventEmitter {
  private readonly queue: Uint8Array[] = [];
  /** The peer's address (the engine's peerAddress, as last seen). */
  private remote: RemoteAddressInfo;
  /** Behind a load balancer (the server's proxyProtocol): the client's own address; undefined when direct. */
  private client: RemoteAddressInfo | undefined;
  /** The address the balancer vouched for with the datagrams being read (Frame.CLIENT). */
  private vouched: PeerAddress | undefined;
  /** The source of the inbound datagrams being read (the main thread's SOURCE frames say when it changes). */
  private source: PeerAddress;
  /** Whether `source` is the peer's address: then a datagram cannot move it, and nothing is checked. */
  private sourceIsPeer = true;
  /** Frames for the main thread that did not fit in the outbound ring yet (sent before any datagram). */
  private readonly controls: { kind: Frame; data: Uint8Array }[] = [];
  /** How many of the engine's receive CIDs went to the main thread (announceConnectionIds). */
  private announcedConnectionIds = 0;
  /** Address moves to emit once the pump is done. */
  private readonly moves: [RemoteAddressInfo, RemoteAddressInfo][] = [];
  private closed = false;
  private established = false;
  /** When the peer last sent something authenticated (application data, an alert), or the handshake ended. */
  private lastActivity = 0;
  /** Closed for idleTimeoutMs without a word from the peer; 'timeout' was emitted once reported. */
  private idled = false;
  private idleReported = false;
  /** setTimeout(): its time (0: off), the last activity (a datagram from the peer, a send(), the setTimeout() call), and whether 'timeout' is due once more. */
  private userTimeoutMs = 0;
  private lastIo = now();
  private userTimeoutArmed = false;
  /** 'close' (and 'error') were emitted. */
  private closeReported = false;
  /** The handshake's first step (its first flight out) was reported to the main thread. */
  private started = false;
  private closeError: DtlsError | undefined;
  /** Warning alerts the peer sent (e.g. no_renegotiation), by name. */
  readonly warnings: string[] = [];
  /** The worker thread this connection runs in (never the main thread). */
  readonly threadId = threadId;

  /** Only BlockingConnectionEvents' names and listener arguments (see BlockingServer.on). */
  override on<K extends keyof BlockingConnectionEvents>(event: K, listener: (...args: BlockingConnectionEvents[K]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof BlockingConnectionEvents>(event: K, listener: (...args: BlockingConnectionEvents[K]) => void): this {
    return super.once(event, listener);
  }

  override off<K extends keyof BlockingConnectionEvents>(event: K, listener: (...args: BlockingConnectionEvents[K]) => void): this {
    return super.off(event, listener);
  }

  override emit<K extends keyof BlockingConnectionEvents>(event: K, ...args: BlockingConnectionEvents[K]): boolean {
    return super.emit(event, ...args);
  }

  /** @internal built by the worker */
  constructor(
    private readonly conn: DtlsConnection,
    private readonly link: Link,
    remoteAddress: string,
    remotePort: number,
    /** Close once nothing authenticated came from the peer for this long (ms); 0: never. */
    private readonly idleTimeoutMs = 0,
    client?: { address: string; port: number },
  ) {
    super();
    this.remote = remoteInfo(remoteAddress, remotePort);
    this.client = client === undefined ? undefined : remoteInfo(client.address, client.port);
    this.source = this.remote;
    // RFC 6347 4.2.8: the main thread tells a restarted client's new ClientHello from a
    // retransmission of this one by its client random (a server's engine has it from the start).
    const random = conn.clientRandom;
    if (random !== undefined) this.controls.push({ kind: Frame.CLIENT_RANDOM, data: random });
  }

  /** The peer's address; follows the peer when it moves (see 'remoteAddressChange'). */
  get remoteAddress(): string {
    return (this.client ?? this.remote).address;
  }

  get remotePort(): number {
    return (this.client ?? this.remote).port;
  }

  get remoteFamily(): 'IPv4' | 'IPv6' {
    return (this.client ?? this.remote).family;
  }

  /** The connection IDs negotiated (RFC 9146): `receive` in the records the peer sends, `send` in ours; undefined without. */
  get connectionId(): { readonly receive: Uint8Array; readonly send: Uint8Array } | undefined {
    return this.conn.connectionId;
  }

  /** Whether the records use encrypt-then-MAC (RFC 7366): a CBC suite, negotiated with the peer. */
  get encryptThenMac(): boolean {
    return this.conn.encryptThenMac;
  }

  /**
   * node:tls `getCipher()`: `{ name, standardName, version }` of the negotiated suite (core's
   * CipherInfo). A handler only ever sees an established connection, so it is always there.
   */
  getCipher(): CipherInfo {
    const cipher = this.conn.getCipher();
    if (cipher === undefined) throw new Error('getCipher: no cipher suite negotiated yet (the handshake has not reached the ServerHello)');
    return cipher;
  }

  /** node:tls `getProtocol()`: the negotiated protocol version, `'DTLSv1.2'`. */
  getProtocol(): string {
    const protocol = this.conn.protocol;
    if (protocol === undefined) throw new Error('getProtocol: no protocol negotiated yet (the handshake has not reached the ServerHello)');
    return protocol;
  }

  /**
   * node:tls `exportKeyingMaterial(length, label[, context])`: RFC 5705 keying material (e.g. for
   * DTLS-SRTP, RFC 5764 4.2), the same on both ends of the connection. Throws a DtlsError before
   * the handshake is done.
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    const bytes = this.conn.exportKeyingMaterial(length, label, context);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The DTLS-SRTP profile negotiated (RFC 5764 4.1.1: IANA id and name, OpenSSL's name); undefined when none. */
  get srtpProfile(): SrtpProfile | undefined {
    return this.conn.srtpProfile;
  }

  /** The SRTP MKI both sides agreed on (RFC 5764 4.1.1); undefined when none. */
  get srtpMki(): Buffer | undefined {
    const mki = this.conn.srtpMki;
    return mki === undefined ? undefined : Buffer.from(mki.buffer, mki.byteOffset, mki.byteLength);
  }

  /**
   * The SRTP master keys and salts (RFC 5764 4.2, exporter label EXTRACTOR-dtls_srtp): `material`
   * is what `openssl -keymatexport` prints, cut into clientKey, serverKey, clientSalt, serverSalt.
   * Undefined when no profile was negotiated; a DtlsError before the handshake is done.
   */
  getSrtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    return this.conn.getSrtpKeyingMaterial();
  }

  /** The PSK identity used (client) or accepted (server), as text. */
  get pskIdentity(): string | undefined {
    const id = this.conn.pskIdentity;
    return id ? decoder.decode(id) : undefined;
  }

  /**
   * node:tls `servername`: the server_name the client sent (client side) or asked for (server
   * side); undefined for an IP address, which is never sent (RFC 6066 3).
   */
  get servername(): string | undefined {
    return this.conn.servername;
  }

  /** node:tls `alpnProtocol`: the protocol ALPN chose, false when none was. */
  /** node:tls `getSession()` (client): the session to pass as `session` to a later runBlockingClient(); undefined when none. */
  getSession(): Buffer | undefined {
    const s = this.conn.getSession();
    return s === undefined ? undefined : Buffer.from(s);
  }

  /** node:tls `isSessionReused()`: the handshake resumed a session (abbreviated, RFC 5246 7.3). */
  isSessionReused(): boolean {
    return this.conn.isSessionReused();
  }

  get alpnProtocol(): string | false {
    return this.conn.alpnProtocol;
  }

  /**
   * node:tls `getPeerCertificate(detailed?)`: the peer's certificate as node:tls's object
   * (`subject`, `issuer`, `subjectaltname`, `valid_from`, `valid_to`, `fingerprint256`,
   * `serialNumber`, `raw` (DER), ...); with `detailed`, `issuerCertificate` links each one to its
   * issuer's in the chain the peer sent. `{}` when the peer sent none (PSK suites, a client that
   * was not asked for one), as node:tls and @dtls-kit/nonblocking: test with `if (cert.raw)`.
   */
  getPeerCertificate(detailed: true): DetailedPeerCertificate | NoPeerCertificate;
  getPeerCertificate(detailed?: boolean): PeerCertificate | NoPeerCertificate;
  getPeerCertificate(detailed = false): DetailedPeerCertificate | NoPeerCertificate {
    return peerCertificate(this.conn.peerCertificates, detailed) ?? {};
  }

  /** node:tls `getPeerX509Certificate()`: the peer's certificate as node:crypto's X509Certificate; undefined without one. */
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

  get authorized(): boolean {
    return this.conn.authorized;
  }

  /** True once the connection is over (closed by either side or failed). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The error the connection ended with (a fatal alert, ours or the peer's); undefined otherwise. As @dtls-kit/nonblocking's socket.error. */
  get error(): DtlsError | undefined {
    return this.closeError;
  }

  /**
   * As node:net setTimeout() and @dtls-kit/nonblocking's: after `ms` without activity (a datagram
   * from the peer, a send()) emit 'timeout' once, and again after the next activity and `ms` of
   * quiet; `callback` is added as a one-time 'timeout' listener (removed again by `setTimeout(0,
   * callback)`). Nothing is closed (that is idleTimeoutMs' job). 0 turns it off. Returns this.
   * The handler's thread is the connection's: 'timeout' is emitted from inside recv(), send() or
   * close() (a recv() waiting for a message wakes for it, then goes on waiting).
   */
  setTimeout(ms: number, callback?: () => void): this {
    this.userTimeoutMs = setSocketTimeout(this, ms, callback);
    // As node:net, the quiet time counts from this call (not from the last datagram before it).
    this.lastIo = now();
    this.userTimeoutArmed = ms > 0 && !this.closed;
    return this;
  }

  /** Activity for setTimeout(): re-arms it if it had fired. */
  private touch(): void {
    this.lastIo = now();
    this.userTimeoutArmed = this.userTimeoutMs > 0 && !this.closed;
  }

  /**
   * The next message (one datagram of application data, boundaries kept); `null` when the peer
   * closed (close_notify) or the server is shutting down. Throws BlockingTimeoutError after
   * `timeoutMs` without a message (the connection stays open), DtlsError (`alert`, `alertName`,
   * `fromPeer`) when the connection ended with a fatal alert.
   */
  recv(timeoutMs?: number): Uint8Array | null {
    const deadline = timeoutMs === undefined ? Infinity : now() + timeoutMs;
    for (;;) {
      const seen = this.pump();
      const next = this.queue.shift();
      if (next) return next;
      if (this.closed) {
        if (this.closeError) throw this.closeError;
        return null;
      }
      if (now() >= deadline) throw new BlockingTimeoutError(`recv: nothing received within ${timeoutMs} ms`);
      this.wait(seen, deadline);
    }
  }

  /**
   * The largest send(), in bytes: one message is one record in one datagram of at most `mtu`
   * bytes (RFC 6347 4.1.1), so it is the MTU less the record overhead of the negotiated suite
   * (13-byte header, explicit nonce, AEAD tag: 29 bytes with ChaCha20-Poly1305 and AES-CCM-8, 37
   * with AES-GCM and AES-CCM; with a connection ID in our records, its length + 1 more), at most
   * 16384. The same as @dtls-kit/nonblocking's socket.maxPayload; node:tls has no equivalent.
   * A handler only ever sees an established connection, so it is always there.
   */
  get maxPayload(): number {
    const max = this.conn.maxPayload;
    if (max === undefined) throw new Error('maxPayload: the handshake is not done');
    return max;
  }

  /**
   * The record size limits negotiated (record_size_limit, RFC 8449; max_fragment_length, RFC 6066
   * 4): `{ extension, send, receive }` as @dtls-kit/nonblocking's socket.recordSizeLimit;
   * undefined when neither was negotiated.
   */
  get recordSizeLimit(): RecordSizeLimit | undefined {
    return this.conn.recordSizeLimit;
  }

  /**
   * Sends one datagram of application data (a string as UTF-8); returns once it is handed to the
   * main thread's socket. A message longer than maxPayload throws a RangeError that names the
   * limit and where it comes from, and nothing is sent (split it, or raise `mtu`).
   */
  send(data: Uint8Array | string): void {
    if (this.closed) {
      if (this.closeError) throw this.closeError;
      throw new Error('send: the connection is closed');
    }
    this.conn.send(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    this.touch();
    this.pump();
  }

  /** Sends close_notify and ends the connection. */
  close(): void {
    if (!this.closed) this.conn.close();
    this.pump();
  }

  /** @internal: a fatal internal_error alert (the handler threw). */
  abort(message: string): void {
    this.conn.abort(undefined, message);
    this.pump();
  }

  /** @internal: runs the handshake (async, so asynchronous credential lookups can resolve). */
  async handshake(): Promise<void> {
    if (this.conn.state === 'established') {
      // Handshook on the main thread (handshakes: 'main') and taken up here: the handler gets the
      // connection as it was at the hand-over. What its peer sent since (data, even close_notify,
      // while the connection waited for a worker) stays in the ring for the handler's first
      // recv(), as it would have arrived after a handshake of this worker's own: so the handler
      // still finds it established (exportKeyingMaterial(), SRTP keys) and then reads it all.
      this.pump(false);
      if (this.established) return;
    }
    for (;;) {
      const seen = this.pump();
      if (this.established) return;
      if (this.closed) throw this.closeError ?? new Error('connection closed during the handshake');
      if (!this.conn.isClient && !WAITING_ON_US.has(this.conn.handshakeState)) {
        // A server waiting on its peer: only a datagram or a timer moves the handshake, so this
        // worker blocks on its ring as recv() does, without an event-loop turn (and the main thread
        // without an asynchronous notify) per flight. In slices: should the engine wait on a
        // promise in a state not listed in WAITING_ON_US after all, it settles between two.
        const sliceEnd = now() + HANDSHAKE_SLICE_MS;
        this.wait(seen, sliceEnd);
        if (now() >= sliceEnd) await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const t = this.conn.nextTimeout();
      const timeout = t === undefined ? undefined : Math.max(0, t - now());
      const woken = new Promise<void>((resolve) => {
        this.conn.onWake = resolve;
      });
      const w = this.link.sleepAsync(C.IN_SEQ, seen, timeout);
      if (w.async) await Promise.race([w.value, woken]);
      this.link.awake(C.IN_SEQ);
      this.conn.onWake = undefined;
    }
  }

  /** Blocks until an inbound datagram, the engine's next timer, or `deadline`. */
  private wait(seen: number, deadline: number): void {
    const t = this.conn.nextTimeout() ?? Infinity;
    const idle = this.idleTimeoutMs > 0 && this.established && !this.closed ? this.lastActivity + this.idleTimeoutMs : Infinity;
    const quiet = this.userTimeoutArmed ? this.lastIo + this.userTimeoutMs : Infinity;
    const until = Math.min(t, deadline, idle, quiet);
    const timeout = until === Infinity ? undefined : Math.max(0, until - now());
    this.link.sleep(C.IN_SEQ, seen, timeout);
  }

  /**
   * Feeds what arrived (unless `feed` is false: the inbound ring is left as it is), runs due
   * timers, collects events, then flushes outgoing datagrams (events first, then datagrams).
   * Returns the inbound sequence seen before draining, to wait on.
   */
  private pump(feed = true): number {
    const { ctrl, inbound } = this.link;
    const seen = Atomics.load(ctrl, C.IN_SEQ);
    const handshaking = !this.established && !this.closed;
    const step = this.conn.handshakeState;
    let received = false;
    let sent = false;
    if (Atomics.load(ctrl, C.STOP) === STOP_SILENT) {
      // Replaced by the peer's new connection (RFC 6347 4.2.8: the client restarted and proved its
      // address with a new cookie): that peer has no state for this one, so nothing more is sent.
      while (inbound.pop() !== undefined);
      this.closed = true;
      this.reportClose();
      return seen;
    }
    if (handshaking && phaseOf(Atomics.load(ctrl, C.HANDSHAKE)) === Phase.EVICTED) {
      // The server gave this handshake's place to another client: end it with a fatal alert, still
      // in epoch 0 (RFC 5246 7.2.2), as a refusal would. What the peer sent meanwhile is moot.
      while (inbound.pop() !== undefined);
      this.conn.abort(AlertDescription.internal_error, EVICTED_MESSAGE);
    } else if (feed) {
      // Every datagram goes with its source, for the engine to judge (RFC 9146 6): the peer's
      // address unless the main thread said otherwise (a CID-routed record from elsewhere; a
      // client's socket is connected to its server, so it never does).
      for (let d = inbound.pop(); d; d = inbound.pop()) {
        if (inbound.lastKind === Frame.CLIENT) {
          // Behind a load balancer: the client address it vouches for with the datagrams that follow.
          this.vouched = decodeRemote(d);
          continue;
        }
        if (inbound.lastKind === Frame.SOURCE) {
          const from = decodeRemote(d);
          if (from !== undefined) {
            this.source = from;
            this.sourceIsPeer = samePeer(from, this.remote);
          }
          continue;
        }
        this.touch();
        received = true;
        // A datagram from elsewhere may move the peer (RFC 9146 6) and bound what goes to its new
        // address (the anti-amplification limit, RFC 9853 5): what the engine has for the current
        // address leaves first, to it. (A DTLS 1.3 server's NewSessionTicket answers the client's
        // Finished; a client whose NAT rebound sends data right behind it, from a new address.)
        if (!this.sourceIsPeer && this.flushOut()) sent = true;
        this.conn.receive(d, now(), this.source);
        // Only a datagram from another address can move the peer: the common case checks nothing.
        if (!this.sourceIsPeer) this.followPeer();
      }
    }
    if (Atomics.load(ctrl, C.STOP) && !this.closed) this.conn.close();
    const t = this.conn.nextTimeout();
    if (t !== undefined && now() >= t) this.conn.handleTimeout(now());
    for (let e = this.conn.pollEvent(); e; e = this.conn.pollEvent()) {
      switch (e.type) {
        case 'handshake-complete':
          // The main thread may have evicted the handshake in the same instant: its decision stands.
          if (markEstablished(ctrl)) {
            this.established = true;
            this.lastActivity = now();
            // Wake the main thread's watcher: the server's 'connection' event waits for this.
            sent = true;
          } else this.conn.abort(AlertDescription.internal_error, EVICTED_MESSAGE);
          break;
        case 'data':
          this.queue.push(e.data);
          this.lastActivity = now();
          break;
        case 'alert':
          this.warnings.push(e.name);
          this.lastActivity = now();
          break;
        case 'close':
          this.closed = true;
          if (e.error) this.closeError = e.error;
          break;
      }
    }
    if (!this.closed) this.announceConnectionIds();
    if (this.idleTimeoutMs > 0 && this.established && !this.closed && now() - this.lastActivity >= this.idleTimeoutMs) {
      // Only the peer's traffic shows it is still there (UDP): close it, politely (close_notify).
      this.idled = true;
      this.conn.close();
      for (let e = this.conn.pollEvent(); e; e = this.conn.pollEvent()) if (e.type === 'data') this.queue.push(e.data);
      this.closed = true;
    }
    if (this.flushOut()) sent = true;
    if (!this.established && !this.closed && this.conn.state === 'handshaking') {
      // Tell the main thread when the handshake moved (its first flight went out, or it reached a
      // new state) and whether it now waits on the peer: a handshake that waits on a silent peer
      // for the first retransmission timeout may give its place to another client.
      const moved = !this.started || this.conn.handshakeState !== step;
      this.started = true;
      reportHandshake(ctrl, moved, !WAITING_ON_US.has(this.conn.handshakeState));
      // Wake the main thread's watcher even when nothing is sent, so that it notes the time.
      if (moved) sent = true;
    }
    // The engine's counters for the server's stats (records, application data, records dropped):
    // they change only with traffic, and reading them builds an object, so only then.
    if (received || sent || this.closed) this.link.writeCounters(this.conn.stats);
    if (sent) this.link.wake(C.OUT_SEQ);
    // Last, when the connection's state is consistent: a listener may call send() (which pumps again).
    while (this.moves.length > 0) {
      const move = this.moves.shift();
      if (move) this.emit('remoteAddressChange', move[0], move[1]);
    }
    if (this.userTimeoutArmed && !this.closed && now() - this.lastIo >= this.userTimeoutMs) {
      // Once per quiet spell, as node:net: touch() re-arms it.
      this.userTimeoutArmed = false;
      this.emit('timeout');
    }
    if (this.idled && !this.idleReported) {
      this.idleReported = true;
      this.emit('timeout');
    }
    this.reportClose();
    return seen;
  }

  /** Once the connection is over: 'error' (only to a listener) and 'close' with hadError, as @dtls-kit/nonblocking's socket. */
  private reportClose(): void {
    if (!this.closed || this.closeReported) return;
    this.closeReported = true;
    this.userTimeoutArmed = false;
    const error = this.closeError;
    if (error !== undefined && this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close', error !== undefined);
  }

  /**
   * Control frames, then the engine's datagrams, to the main thread; whether anything went.
   * Frames first: a REMOTE frame must reach the main thread before the datagrams meant for the new address.
   */
  private flushOut(): boolean {
    const { ctrl, outbound } = this.link;
    let sent = false;
    while (this.controls.length > 0) {
      const c = this.controls[0];
      if (c === undefined || !outbound.push(c.data, c.kind)) break;
      this.controls.shift();
      sent = true;
    }
    for (const d of this.conn.datagramsToSend()) {
      if (outbound.push(d)) sent = true;
      else Atomics.add(ctrl, C.OUT_DROPPED, 1);
    }
    return sent;
  }

  /**
   * RFC 9146 3/6, RFC 9147 9: records with a CID of ours reach this connection whatever their
   * source once the main thread's table knows that CID. Each goes as soon as the engine has it:
   * the negotiated one with our ServerHello (a DTLS 1.3 client sends data right behind its
   * Finished, perhaps from a new address already, before our handshake completes), and those a
   * NewConnectionId of ours gave the peer later. The engine's list only grows (bounded by it).
   */
  private announceConnectionIds(): void {
    if (this.conn.receiveConnectionIdCount <= this.announcedConnectionIds) return;
    const cids = this.conn.receiveConnectionIds;
    for (const cid of cids.slice(this.announcedConnectionIds)) this.controls.push({ kind: Frame.CONNECTION_ID, data: cid });
    this.announcedConnectionIds = cids.length;
  }

  /** After a datagram from another address: whether the engine moved the peer there (RFC 9146 6). */
  private followPeer(): void {
    const peer = this.conn.peerAddress;
    if (peer === undefined || samePeer(peer, this.remote)) return;
    const previous = this.client ?? this.remote;
    this.remote = remoteInfo(peer.address, peer.port);
    this.sourceIsPeer = samePeer(this.source, this.remote);
    // Behind a balancer, the client moved too (a NAT rebinding is a new balancer session).
    if (this.client !== undefined && this.vouched !== undefined) this.client = remoteInfo(this.vouched.address, this.vouched.port);
    this.controls.push({ kind: Frame.REMOTE, data: encodeRemote(peer.address, peer.port) });
    this.moves.push([this.client ?? this.remote, previous]);
  }
}

