import { ACK_CONTENT_TYPE } from './record/ack.js';
import type { SrtpProfile } from './srtp/srtp-profile.js';
import { SRTP_EXPORTER_LABEL, splitSrtpKeyingMaterial, srtpKeyingMaterialLength, type SrtpKeyingMaterial } from './srtp/srtp-keying-material.js';
import { cipherInfo, type CipherInfo } from './cipher-info.js';
import { AlertDescription, AlertLevel, alertName } from './alert.js';
import { toHex } from './bytes.js';
import type { ClientOptions } from './config.js';
import { exportKeyingMaterial } from './crypto/key-schedule.js';
import { exportKeyingMaterial13 } from './crypto/exporter-13.js';
import { DTLS13_LABEL_PREFIX } from './crypto/hkdf-label.js';
import { samePeer, type PeerAddress } from './endpoint/peer-address.js';
import { DtlsError, HandshakeTimeoutError, asDtlsError } from './errors.js';
import type { Handshake } from './handshake/common/handshake.js';
import type { HandshakeHost } from './handshake/common/handshake-engine.js';
import { packNegotiatedBytes, type NegotiatedParameters } from './handshake/common/negotiated-parameters.js';
import { tls13KeyLogLines } from './tls13-key-log.js';
import { ClientHandshake } from './handshake/dtls12/client-handshake.js';
import { ServerHandshake } from './handshake/dtls12/server-handshake.js';
import { ServerHandshake13 } from './handshake/dtls13/server-handshake-13.js';
import type { VerifiedClientHello } from './endpoint/cookie-check.js';
import { resolveClientOptions, type ResolvedOptions, type ResolvedServerOptions } from './options.js';
import { ContentType } from './record/content-type.js';
import { maxPayloadFor, payloadTooLarge, type PayloadLimit } from './mtu.js';
import { OutgoingDatagrams } from './outgoing-datagrams.js';
import { decodeRrcMessage, encodeRrcMessage, PathValidation, RRC_COOKIE_LENGTH, RrcMessageType } from './return-routability-check.js';
import type { ReadRecord } from './record/record-layer.js';
import { SEALED_RECORDS } from './record/record-slab.js';
import { RecordLayer } from './record/record-layer.js';
import type { CipherSuite } from './suites/cipher-suite.js';
import { checkRecordSize, type RecordSizeLimit } from './handshake/common/record-size-negotiation.js';
import { ESTABLISHED_SNAPSHOT_FORMAT, negotiatedFromSnapshot, negotiatedSnapshot, type EstablishedSnapshot, type SnapshotEvent } from './established-snapshot.js';
import { EstablishedHandshake } from './handshake/common/established-handshake.js';
import { sessionKeysFromMaster } from './handshake/dtls12/session-keys.js';
import { recordFormatForConnectionId } from './record/tls12-cid-record-format.js';
import type { ResolvedOptions as AnyResolvedOptions } from './options.js';

export type ConnectionState = 'new' | 'handshaking' | 'established' | 'closed';

/** What a connection reports, in order, through pollEvent(). */
export type DtlsEvent =
  | { readonly type: 'handshake-complete' }
  /** One record of application data: datagram boundaries are kept. */
  | { readonly type: 'data'; readonly data: Uint8Array }
  /** A warning alert from the peer (fatal alerts and close_notify end the connection: see 'close'). */
  | { readonly type: 'alert'; readonly description: AlertDescription; readonly name: string }
  /** DTLS 1.3 client: a NewSessionTicket (RFC 8446 4.6.1) gave a new session, getSession() now returns it. */
  | { readonly type: 'session' }
  /** The connection is over: cleanly (close_notify, no error) or with the error that ended it. */
  | { readonly type: 'close'; readonly error: DtlsError | undefined };

/** The event queue of every connection with no event waiting: never written to (see queueEvent). */
const NO_EVENTS: DtlsEvent[] = [];

/** Application data records that arrive before our Finished is verified wait here (reordering). */
const MAX_EARLY_DATA_RECORDS = 16;

/**
 * One DTLS 1.2 association, sans I/O: it is fed datagrams and the time, and asked what to
 * send, when to be woken and what happened. It never reads a clock, opens a socket or sets
 * a timer, so the same engine runs under node:dgram, in a worker, or on a simulated network.
 */
export class DtlsConnection {
  private readonly records: RecordLayer;
  private readonly handshake: Handshake;
  private readonly outgoing: OutgoingDatagrams;
  /**
   * Events not yet polled; NO_EVENTS (shared) when none. An array that once queued a few events
   * keeps room for more after they are polled, for the connection's life: a drained queue gives
   * its array up (see pollEvent).
   */
  private events: DtlsEvent[] = NO_EVENTS;
  /** Made only when the peer's data overtakes its Finished (see onApplicationData). */
  private earlyData: Uint8Array[] | undefined;
  /** Records read (every content type), application data records and bytes each way: see stats. */
  private readonly traffic = { recordsIn: 0, applicationRecordsIn: 0, applicationBytesIn: 0, applicationRecordsOut: 0, applicationBytesOut: 0 };
  private currentState: ConnectionState = 'new';
  /** The handshake completed once (what was negotiated stays known after the close). */
  private wasEstablished = false;
  private lastNow = 0;
  /** Wall-clock ms (ms since 1970) given to connect()/acceptVerified(): session ages (see HandshakeHost.wallNow). */
  private wallNow = 0;
  private closeError: DtlsError | undefined;
  /** Where the peer is: the source of the first datagram that came with one (see observeSource). */
  private peer: PeerAddress | undefined;
  /**
   * Addresses known to reach the peer, newest last: the first peer address (a server's validated by
   * the cookie, RFC 6347 4.2.1; a client's is where it chose to connect) and any a return
   * routability check validated (RFC 9853). Bounded.
   */
  private validatedPeers: PeerAddress[] = [];
  /** The source of the datagram being read (for a path_challenge's answer, RFC 9853 5.4). */
  private source: PeerAddress | undefined;
  /** The return routability checks we start (RFC 9853 5.1); made with the first one. */
  private paths: PathValidation | undefined;
  /** The newest (epoch, sequence number) of any record that authenticated (RFC 9146 6). */
  private newestEpoch = -1;
  private newestSequence = -1;
  /** Set by the driver: called when an asynchronous lookup finished and the engine wants to run. */
  onWake: (() => void) | undefined;

  private constructor(
    private readonly options: ResolvedOptions,
    now: number,
    makeHandshake: (host: HandshakeHost) => Handshake,
    recordSeq = 0,
  ) {
    this.lastNow = now;
    this.outgoing = new OutgoingDatagrams(options.maxUnvalidatedHeldBytes);
    this.records = new RecordLayer({ replayWindowSize: options.replayWindowSize, maxHeldBytes: options.maxHeldRecordBytes });
    // RFC 6347 4.2.1: a server's records continue from the ClientHello's record sequence number.
    if (recordSeq > 0) this.records.setNextWriteSequence(0, recordSeq);
    this.handshake = makeHandshake(this.host());
  }

  /** A client connection; call connect(now) to send the first ClientHello. */
  static client(options: ClientOptions): DtlsConnection {
    const resolved = resolveClientOptions(options);
    return new DtlsConnection(resolved, 0, (host) => new ClientHandshake(host, resolved, 0));
  }

  /**
   * A server connection for a ClientHello whose cookie the ServerEndpoint verified.
   * Built by ServerEndpoint.handle(), or by a runtime from ServerEndpoint.verify() (options from resolveServerOptions).
   */
  static acceptVerified(
    options: ResolvedServerOptions,
    hello: VerifiedClientHello,
    now: number,
    from?: PeerAddress,
    wallNow: number = now,
  ): DtlsConnection {
    // RFC 9147 5.1: a hello that came back with a DTLS 1.3 cookie runs the 1.3 server handshake.
    const handshake = (host: HandshakeHost): Handshake => (hello.dtls13 !== undefined ? new ServerHandshake13(host, options, now, hello) : new ServerHandshake(host, options, now, hello));
    const conn = new DtlsConnection(options, now, handshake, hello.recordSeq);
    conn.wallNow = wallNow;
    // The cookie proved that the client receives at the ClientHello's source: its peer address.
    if (from !== undefined) conn.observeSource(from);
    conn.currentState = 'handshaking';
    // The records of the datagram enter the replay window (the cookie validated them: RFC 6347
    // 4.1.2.6), so a duplicate of it is dropped like any replay.
    // They are the first records this connection read (stats.recordsIn).
    for (const r of conn.records.open(hello.datagram)) {
      conn.records.acceptUnauthenticated(r.epoch, r.sequenceNumber);
      conn.traffic.recordsIn++;
    }
    conn.run(() => conn.handshake.start(now));
    return conn;
  }


  /**
   * Hands the established connection over (to a worker thread, say): everything needed to go on
   * with the same peer — keys (as the session's secrets), sequence numbers, replay windows, record
   * formats, what was negotiated, stats, queued events and datagrams, and the last flight of the
   * handshake with the message it answers (RFC 6347 4.2.4) — as plain data for
   * importEstablished(). This connection is then closed without a word to the peer and without a
   * 'close' event: it must never seal again, or a sequence number (an AEAD nonce) would be used
   * twice. TypeError unless established. Not carried: a return routability check in progress
   * (RFC 9853: the peer answers a new one) and an asynchronous lookup (none runs once established).
   */
  exportEstablished(): EstablishedSnapshot {
    if (this.currentState !== 'established') throw new TypeError(`only an established connection can be exported (state ${this.currentState})`);
    const events: SnapshotEvent[] = [];
    for (const e of this.events) {
      if (e.type === 'data') events.push({ type: 'data', data: e.data.slice() });
      else if (e.type === 'alert') events.push({ type: 'alert', description: e.description, name: e.name });
      else if (e.type === 'handshake-complete') events.push(e);
    }
    const t = this.traffic;
    const snapshot: EstablishedSnapshot = {
      format: ESTABLISHED_SNAPSHOT_FORMAT,
      negotiated: negotiatedSnapshot(this.negotiated),
      records: this.records.exportEstablished(),
      handshake: this.handshake.exportFinished(),
      traffic: { recordsIn: t.recordsIn, applicationRecordsIn: t.applicationRecordsIn, applicationBytesIn: t.applicationBytesIn, applicationRecordsOut: t.applicationRecordsOut, applicationBytesOut: t.applicationBytesOut },
      wallNow: this.wallNow,
      peer: this.peer === undefined ? undefined : { address: this.peer.address, port: this.peer.port },
      validatedPeers: this.validatedPeers.map((a) => ({ address: a.address, port: a.port })),
      peerUnvalidated: this.outgoing.bounded,
      newestEpoch: this.newestEpoch,
      newestSequence: this.newestSequence,
      events,
      datagrams: this.outgoing.take().map((d) => d.slice()),
    };
    // Handed over: nothing more is read, sealed or reported here.
    this.currentState = 'closed';
    this.records.stopHolding();
    this.events = NO_EVENTS;
    return snapshot;
  }

  /**
   * Takes up a connection exportEstablished() handed over, in this thread: it goes on with the
   * same peer where the other left off, and answers a retransmission of the peer's final flight
   * with the handshake's last flight as the original would (RFC 6347 4.2.4). `options`: resolved
   * as for the role's own connections (resolveServerOptions / resolveClientOptions): the crypto
   * provider, MTU, replay window size (the snapshot's must match) and limits come from them.
   * Record keys are derived again from the session's master secret (RFC 5246 6.3). TypeError for
   * a snapshot of another layout, suite or replay window size.
   */
  static importEstablished(snapshot: EstablishedSnapshot, options: AnyResolvedOptions, now: number): DtlsConnection {
    if (snapshot.format !== ESTABLISHED_SNAPSHOT_FORMAT) throw new TypeError(`not an established-connection snapshot of this layout: ${String(snapshot.format)}`);
    const negotiated = negotiatedFromSnapshot(snapshot.negotiated);
    const { suite, masterSecret } = negotiated;
    if (suite === undefined || masterSecret === undefined) throw new TypeError('the snapshot has no suite or master secret');
    const keys = sessionKeysFromMaster(options.provider, suite, masterSecret, negotiated.clientRandom, negotiated.serverRandom, negotiated.encryptThenMac);
    const server = snapshot.handshake.role === 'server';
    const conn = new DtlsConnection(options, now, (host) => new EstablishedHandshake(host, options, now, negotiated, snapshot.handshake));
    const r = snapshot.records;
    try {
      conn.records.restoreEstablished(
        r,
        { keys: server ? keys.server : keys.client, format: recordFormatForConnectionId(r.write.connectionId) },
        { keys: server ? keys.client : keys.server, format: recordFormatForConnectionId(r.read.connectionId) },
      );
    } catch (err) {
      throw new TypeError(`the snapshot does not fit these options: ${err instanceof Error ? err.message : String(err)}`);
    }
    conn.currentState = 'established';
    conn.wasEstablished = true;
    conn.wallNow = snapshot.wallNow;
    Object.assign(conn.traffic, snapshot.traffic);
    if (snapshot.peer !== undefined) conn.peer = { address: snapshot.peer.address, port: snapshot.peer.port };
    conn.validatedPeers = snapshot.validatedPeers.map((a) => ({ address: a.address, port: a.port }));
    // RFC 9146 6: an address the peer moved to stays bounded until validated; what it sent there before is not known here.
    if (snapshot.peerUnvalidated) conn.outgoing.moveToUnvalidated(0);
    conn.newestEpoch = snapshot.newestEpoch;
    conn.newestSequence = snapshot.newestSequence;
    for (const e of snapshot.events) {
      if (e.type === 'alert') conn.queueEvent({ type: 'alert', description: e.description, name: e.name });
      else conn.queueEvent(e);
    }
    for (const d of snapshot.datagrams) conn.outgoing.push(d);
    return conn;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The handshake step we are in (e.g. wait_server_hello), for tracing and tests. */
  get handshakeState(): string {
    return this.handshake.state;
  }

  get isClient(): boolean {
    return this.handshake.role === 'client';
  }

  private get negotiated(): NegotiatedParameters {
    return this.handshake.negotiated;
  }

  /** The negotiated cipher suite (after the ServerHello). */
  get cipherSuite(): CipherSuite | undefined {
    return this.negotiated.suite;
  }

  /** The negotiated version, named as node:tls names protocols ('DTLSv1.2', 'DTLSv1.3'); undefined before the ServerHello. */
  get protocol(): string | undefined {
    if (this.negotiated.tls13Suite !== undefined) return 'DTLSv1.3';
    return this.negotiated.suite ? 'DTLSv1.2' : undefined;
  }

  /** node:tls `getCipher()`: the negotiated suite's names and version; undefined before the ServerHello. */
  getCipher(): CipherInfo | undefined {
    const tls13 = this.negotiated.tls13Suite;
    // RFC 8446 B.4: a TLS 1.3 suite has one name, IANA's, which OpenSSL prints too.
    if (tls13 !== undefined) return { name: tls13.name, standardName: tls13.name, version: 'DTLSv1.3' };
    const suite = this.negotiated.suite;
    return suite === undefined ? undefined : cipherInfo(suite, 'DTLSv1.2');
  }

  /** The PSK identity used (client) or accepted (server). */
  get pskIdentity(): Uint8Array | undefined {
    return this.negotiated.pskIdentity;
  }

  /** node:tls `alpnProtocol`: the protocol ALPN chose (RFC 7301), false when none was. */
  get alpnProtocol(): string | false {
    return this.negotiated.alpnProtocol ?? false;
  }

  /** The peer's certificate chain (DER, leaf first) in certificate suites; empty otherwise. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.negotiated.peerCertificates;
  }

  /** The peer's raw public key (SubjectPublicKeyInfo DER) when it authenticated with one (RFC 7250); peerCertificates is then empty. */
  get peerRawPublicKey(): Uint8Array | undefined {
    return this.negotiated.peerRawPublicKey;
  }

  /** node:tls `authorized`: the peer's certificate chain passed every check. */
  get authorized(): boolean {
    return this.negotiated.authorized;
  }

  /** node:tls `authorizationError`: why the peer's chain was not authorized (rejectUnauthorized: false). */
  get authorizationError(): Error | undefined {
    return this.negotiated.authorizationError;
  }

  /** server_name the client asked for (server side) or sent (client side). */
  get servername(): string | undefined {
    return this.negotiated.servername;
  }

  /**
   * The connection IDs negotiated (RFC 9146 3), undefined when not: `receive` is ours (the peer's
   * records carry it), `send` the peer's (ours carry it); an empty one means no CID that way.
   */
  get connectionId(): { readonly receive: Uint8Array; readonly send: Uint8Array } | undefined {
    return this.negotiated.connectionId;
  }

  /**
   * How many receiveConnectionIds there are, without building the list (DTLS 1.2 builds one per
   * call): a router asks after every datagram whether the connection issued a new CID.
   */
  get receiveConnectionIdCount(): number {
    const more = this.records.dtls13Records !== undefined ? (this.handshake.receiveConnectionIds?.().length ?? 0) : 0;
    if (more > 0) return more;
    const receive = this.negotiated.connectionId?.receive;
    return receive === undefined || receive.length === 0 ? 0 : 1;
  }

  /**
   * Every CID of ours the peer may put in its records: the negotiated one and, in DTLS 1.3, those
   * we gave it since in NewConnectionId messages (RFC 9147 9); a server's router binds each. Empty
   * when the peer sends no CID.
   */
  get receiveConnectionIds(): readonly Uint8Array[] {
    // Also once closed: a router unbinds them all then.
    const more = this.records.dtls13Records !== undefined ? (this.handshake.receiveConnectionIds?.() ?? []) : [];
    if (more.length > 0) return more;
    const receive = this.negotiated.connectionId?.receive;
    return receive === undefined || receive.length === 0 ? [] : [receive];
  }

  /**
   * DTLS 1.3 (RFC 9147 9): asks the peer for `count` (1..255) more CIDs of its own with a
   * RequestConnectionId, so that we can change CID when our address changes (rotateConnectionId).
   * False when it cannot be sent now: not DTLS 1.3 or not established, no CID in our records,
   * or an earlier request is unanswered ("MUST NOT send a RequestConnectionId message when an
   * existing request is still unfulfilled").
   */
  requestConnectionIds(count = 1): boolean {
    if (!Number.isInteger(count) || count < 1 || count > 255) throw new RangeError(`count must be an integer 1..255 (got ${String(count)})`);
    if (!this.postHandshake13()) return false;
    let sent = false;
    this.run(() => {
      sent = this.handshake.requestConnectionIds?.(count) ?? false;
    });
    return sent;
  }

  /**
   * DTLS 1.3 (RFC 9147 9: "Implementations SHOULD use a new CID whenever sending on a new path"):
   * our records carry the peer's next spare CID from now on (one it gave us in a NewConnectionId);
   * false when it gave none (or none is left). Call it when our own address changes; the engine
   * does it itself when the peer's address moves.
   */
  rotateConnectionId(): boolean {
    if (!this.postHandshake13()) return false;
    return this.handshake.useNextConnectionId?.() ?? false;
  }

  /** Whether both sides negotiated the return routability check (RFC 9853 3). */
  get returnRoutabilityCheck(): boolean {
    return this.negotiated.returnRoutabilityCheck;
  }

  /** node:tls `isSessionReused()`: this handshake resumed a session (RFC 5246 7.3, abbreviated). */
  isSessionReused(): boolean {
    return this.negotiated.sessionReused;
  }

  /**
   * node:tls `getSession()` (client): the session to resume with (`session` option of a later
   * connection), opaque bytes; undefined until the handshake completes, or when the session cannot
   * be resumed (the server gave neither an ID nor a ticket, or no extended master secret). A
   * runtime emits node:tls's 'session' event with it at 'handshake-complete' when
   * isSessionReused() is false (in DTLS 1.2 a session or ticket arrives only within the handshake).
   */
  getSession(): Uint8Array | undefined {
    return this.negotiated.session;
  }

  /**
   * The record size limits negotiated (record_size_limit, RFC 8449; or max_fragment_length, RFC
   * 6066 4), undefined when neither was: `send` is the peer's (the largest plaintext of a record
   * we send, so maxPayload is at most it), `receive` ours (a larger record from the peer ends
   * the connection with record_overflow).
   */
  get recordSizeLimit(): RecordSizeLimit | undefined {
    return this.negotiated.recordSizeLimit;
  }

  get extendedMasterSecret(): boolean {
    return this.negotiated.extendedMasterSecret;
  }

  /** Whether the records use encrypt-then-MAC (RFC 7366): a CBC suite, negotiated with the peer. */
  get encryptThenMac(): boolean {
    return this.negotiated.encryptThenMac;
  }

  /**
   * This connection's line for an SSLKEYLOGFILE (NSS key log format), so Wireshark can decrypt a
   * capture: `CLIENT_RANDOM <client random> <master secret>` in hex, without a newline; undefined
   * until the master secret exists. It unlocks the whole session: write it only where asked to.
   */
  get keyLogLine(): string | undefined {
    const n = this.negotiated;
    return n.masterSecret ? `CLIENT_RANDOM ${toHex(n.clientRandom)} ${toHex(n.masterSecret)}` : undefined;
  }

  /**
   * Every SSLKEYLOGFILE line of this connection, without newlines: DTLS 1.2's one CLIENT_RANDOM
   * line (keyLogLine), or DTLS 1.3's five (CLIENT_HANDSHAKE_TRAFFIC_SECRET ... EXPORTER_SECRET,
   * tls13-key-log.ts) once its handshake derived them; empty before. Write them only where asked to.
   */
  get keyLogLines(): string[] {
    const tls13 = this.negotiated.tls13KeyLog;
    if (tls13 !== undefined) return tls13KeyLogLines(this.negotiated.clientRandom, tls13);
    const line = this.keyLogLine;
    return line === undefined ? [] : [line];
  }

  /**
   * The client random of this handshake (RFC 5246 7.4.1.2), a copy: a client's from the start, a
   * server's once it took the ClientHello; undefined before. It names the session in a key log,
   * and tells a restarted client's new ClientHello from a retransmission of this one (RFC 6347 4.2.8).
   */
  get clientRandom(): Uint8Array | undefined {
    const random = this.negotiated.clientRandom;
    return random.length > 0 ? random.slice() : undefined;
  }

  /** The peer's transport address as the engine knows it (see receive's `from`); undefined until one was given. */
  get peerAddress(): PeerAddress | undefined {
    return this.peer === undefined ? undefined : { ...this.peer };
  }

  /**
   * @internal the peer address object the engine holds, not a copy: the same object for as long
   * as the address stays (observeSource and followPeer put a new one in its place), so that a
   * runtime asking after every datagram tells a move by identity, without the object per datagram
   * that `peerAddress` makes. Read only.
   */
  get peerAddressRef(): Readonly<PeerAddress> | undefined {
    return this.peer;
  }

  /**
   * Counters: records dropped, replayed, failed authentication; handshake retransmissions;
   * outgoing bytes waiting for the anti-amplification budget of a new peer address, and the
   * datagrams dropped because more than maxUnvalidatedHeldBytes waited (see datagramsToSend).
   */
  get stats(): {
    dropped: number;
    replayed: number;
    badMac: number;
    held: number;
    retransmissions: number;
    /** Bytes and datagrams the handshake's retransmissions put on the wire. */
    retransmittedBytes: number;
    retransmittedDatagrams: number;
    /** DTLS 1.3 ACK records (RFC 9147 7) sent and received. */
    acksSent: number;
    acksReceived: number;
    unvalidatedHeldBytes: number;
    unvalidatedDropped: number;
    pathChallenges: number;
    pathValidations: number;
    recordsIn: number;
    recordsOut: number;
    applicationRecordsIn: number;
    applicationBytesIn: number;
    applicationRecordsOut: number;
    applicationBytesOut: number;
  } {
    // One literal, no spreads: copying two objects into a fresh one through spreads made V8
    // build a dictionary-mode object, ~10 us per read (a server reads it once per connection).
    const r = this.records.stats;
    const t = this.traffic;
    return {
      dropped: r.dropped,
      replayed: r.replayed,
      badMac: r.badMac,
      held: r.held,
      retransmissions: this.handshake.retransmissions,
      retransmittedBytes: this.handshake.retransmitted?.bytes ?? 0,
      retransmittedDatagrams: this.handshake.retransmitted?.datagrams ?? 0,
      acksSent: this.handshake.ackRecords?.sent ?? 0,
      acksReceived: this.handshake.ackRecords?.received ?? 0,
      unvalidatedHeldBytes: this.outgoing.bounded ? this.outgoing.heldBytes : 0,
      unvalidatedDropped: this.outgoing.dropped,
      pathChallenges: this.paths?.sent ?? 0,
      pathValidations: this.paths?.validated ?? 0,
      recordsIn: t.recordsIn,
      applicationRecordsIn: t.applicationRecordsIn,
      applicationBytesIn: t.applicationBytesIn,
      applicationRecordsOut: t.applicationRecordsOut,
      applicationBytesOut: t.applicationBytesOut,
      recordsOut: r.sealed,
    };
  }

  /**
   * Sends flight 1 (client only). `wallNow`: the wall-clock time (Date.now()) when `now` is a
   * monotonic clock; sessions are dated by it (default `now`).
   */
  connect(now: number, wallNow: number = now): void {
    if (this.handshake.role !== 'client' || this.currentState !== 'new') {
      throw new TypeError('connect() is for a new client connection');
    }
    this.lastNow = now;
    this.wallNow = wallNow;
    this.currentState = 'handshaking';
    this.run(() => this.handshake.start(now));
  }

  /**
   * Whether prepare() has work to do now: an ECDHE suite is offered, the handshake waits for
   * the peer with a flight of ours still to come, and no key pair is ready yet.
   */
  get canPrepare(): boolean {
    const reserve = this.options.keyShares;
    return reserve !== undefined && !reserve.held && this.currentState === 'handshaking' && this.handshake.keyShareAhead;
  }

  /**
   * Spare time: makes now what a coming flight of ours needs whatever the peer answers (an
   * ephemeral ECDHE key pair: KeyShareReserve), so that it is not made while the peer waits.
   * A runtime calls it after sending a flight, before it waits for the answer; nothing happens
   * when canPrepare is false. A pair made here is used by one handshake only (this one on a
   * client, the server's next one on a server) and a client's is dropped when it ends.
   */
  prepare(): void {
    if (this.canPrepare) this.options.keyShares?.fill();
  }

  /**
   * Feeds one datagram from the peer, with its source address when the runtime knows it (the
   * engine, not the runtime, decides whether the peer's address changes: see observeSource).
   * Never throws for anything the peer sends.
   *
   * `handOver`: true when the caller gives the datagram up (a runtime's freshly received datagram
   * that nobody else holds or will write). Its records may then be decrypted in place (with a
   * provider that can: Aead.openInPlace), and the 'data' events carry views of it instead of
   * memory of their own; its bytes change, and must never be written again. Default false: the
   * datagram is only read.
   */
  receive(datagram: Uint8Array, now: number, from?: PeerAddress, handOver = false): void {
    this.lastNow = now;
    if (this.currentState === 'closed' || this.currentState === 'new') return;
    if (from !== undefined) this.observeSource(from);
    const fromPeer = from !== undefined && this.peer !== undefined && samePeer(this.peer, from);
    let newest = false;
    let read = false;
    this.source = from;
    // run()'s try/catch written out: no closure (and no context for the variables it would
    // write) per datagram, between the datagram's arrival and the application's reply.
    try {
      this.handshake.resume();
      this.handshake.beginDatagram();
      let ended = false;
      for (const r of this.records.open(datagram, handOver)) {
        if (r.authenticated) read = true;
        if (r.authenticated && this.isNewest(r)) newest = true;
        // `state`, not currentState: onRecord may close the connection (TypeScript's narrowing above does not know).
        if (this.state === 'closed') {
          ended = true;
          break;
        }
        this.onRecord(r);
      }
      if (!ended) this.handshake.processMessages();
    } catch (err) {
      this.fail(asDtlsError(err, 'DTLS engine'));
    }
    this.updateKeysIfDue();
    // RFC 9853 2: the anti-amplification limit counts what came from the address "excluding
    // those [records] that have been discarded": a datagram counts when a record in it
    // authenticated, so spoofed junk from a victim's address buys nothing.
    if (fromPeer && read) this.outgoing.credit(datagram.length);
    if (from !== undefined && newest) this.followPeer(from, datagram.length);
    this.source = undefined;
    // RFC 9853 5: the peer is at an unvalidated address and speaks from there: check it (again
    // every T while it stays unanswered, RFC 9853 5.3).
    const atPeer = from !== undefined && this.peer !== undefined && samePeer(this.peer, from);
    if (read && atPeer && this.outgoing.bounded && this.negotiated.returnRoutabilityCheck && this.currentState === 'established' && (this.paths?.due(now) ?? true)) {
      this.sendPathChallenge(now);
    }
  }

  /**
   * The largest send(): what fits one datagram of `mtu` bytes around the record overhead of the
   * current write epoch (header, with the peer's connection ID when it asked for one; explicit
   * nonce; AEAD tag; inner content type), at most 2^14. RFC 6347 4.1.1.1: applications can learn
   * "the maximum application datagram size, which is the PMTU minus the DTLS per-record
   * overhead". Undefined until the handshake completes; it stays known after the close.
   */
  get maxPayload(): number | undefined {
    // DTLS 1.3 names its suite apart (RFC 8446 B.4).
    if (!this.wasEstablished || (this.negotiated.suite ?? this.negotiated.tls13Suite) === undefined) return undefined;
    // Computed from its parts, not from payloadLimit(): send() asks this of every record, and
    // only a refused send() needs the description of where the limit comes from.
    return maxPayloadFor(this.options.mtu, this.records.overhead(), this.negotiated.recordSizeLimit?.send);
  }

  private payloadLimit(): PayloadLimit | undefined {
    // DTLS 1.3 names its suite apart (RFC 8446 B.4).
    const suite = this.negotiated.suite ?? this.negotiated.tls13Suite;
    if (!this.wasEstablished || suite === undefined) return undefined;
    return {
      mtu: this.options.mtu,
      suite: suite.name,
      overhead: this.records.overhead(),
      connectionIdLength: this.negotiated.connectionId?.send.length ?? 0,
      dtls13: this.negotiated.tls13Suite !== undefined,
      recordLimit: this.negotiated.recordSizeLimit,
    };
  }

  /**
   * Sends one datagram of application data: one record, in one datagram of at most `mtu` bytes
   * (RFC 6347 4.1.1). A message longer than maxPayload gets a RangeError that says the limit and
   * where it comes from, instead of leaving as a datagram the path would fragment or drop
   * (RFC 6347 4.1.1.1: the implementation "SHOULD generate an error").
   */
  send(data: Uint8Array): void {
    const maxPayload = this.maxPayload;
    if (this.currentState !== 'established' || maxPayload === undefined) {
      throw new DtlsError(AlertDescription.internal_error, `cannot send in state ${this.currentState}`);
    }
    if (data.length > maxPayload) {
      const limit = this.payloadLimit();
      if (limit !== undefined) throw payloadTooLarge(data.length, limit);
    }
    if (this.records.dtls13Records?.writeKeyHasRoomForData === false) {
      // RFC 9147 4.5.3: the key is (nearly) used up and our KeyUpdate is not acknowledged yet.
      throw new DtlsError(AlertDescription.internal_error, 'the write key is at its AEAD usage limit (RFC 9147 4.5.3): application data waits until the peer acknowledges our KeyUpdate');
    }
    const record = this.records.seal(ContentType.application_data, data);
    // Nobody but the queue and then the runtime holds it: its memory may come back (datagramSent).
    SEALED_RECORDS.returnable(record);
    this.outgoing.push(record);
    this.traffic.applicationRecordsOut++;
    this.traffic.applicationBytesOut += data.length;
    this.updateKeysIfDue();
  }

  /** One record of application data for the user (counted: see stats). */
  private deliverData(data: Uint8Array): void {
    this.traffic.applicationRecordsIn++;
    this.traffic.applicationBytesIn += data.length;
    this.queueEvent({ type: 'data', data });
  }

  /**
   * DTLS 1.3 (RFC 9147 8, RFC 8446 4.6.3): sends a KeyUpdate, retransmitted until the peer
   * acknowledges it; only then do our records move to the next epoch. `requestPeer`: ask the peer
   * to update its keys too (update_requested). One at a time: a call while one is unacknowledged
   * does nothing. Throws before the handshake, for DTLS 1.2, or where the handshake cannot (a server).
   */
  keyUpdate(requestPeer = false): void {
    const update = this.handshake.keyUpdate;
    if (this.currentState !== 'established' || this.records.dtls13Records === undefined || update === undefined) {
      throw new DtlsError(AlertDescription.internal_error, `KeyUpdate needs an established DTLS 1.3 client connection (state ${this.currentState})`);
    }
    this.run(() => update.call(this.handshake, requestPeer));
  }

  /** Sends close_notify (RFC 5246 7.2.1) and ends the connection. */
  close(): void {
    if (this.currentState === 'closed') return;
    if (this.currentState !== 'new') this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
    this.end(undefined);
  }

  /**
   * Ends the connection with a fatal alert of ours (default internal_error), e.g. when the
   * application fails; the alert is in datagramsToSend() and a 'close' event carries the error.
   */
  abort(description: AlertDescription = AlertDescription.internal_error, message = 'connection aborted by the application'): void {
    if (this.currentState === 'closed') return;
    if (this.currentState === 'new') {
      this.end(new DtlsError(description, message));
      return;
    }
    this.fail(new DtlsError(description, message));
  }

  /**
   * Datagrams to hand to the socket, for the peer's current address (`peerAddress`), each at most
   * the MTU (application data may be larger). After the peer moved to a new address (RFC 9146 6)
   * that address is unvalidated: what this returns for it is at most 3 times the bytes received
   * from it since the move; the rest waits (at most maxUnvalidatedHeldBytes, oldest dropped first)
   * and comes out of a later call, once the peer sent more from there (RFC 9853, RFC 9000 8).
   *
   * A datagram's bytes never change after it is returned, so it may wait in a socket's send queue
   * as long as need be; but a record-sized datagram is a view into a slab shared with other
   * records (see RecordSlab): slice() one to keep it long, or it keeps its whole slab alive.
   */
  datagramsToSend(): Uint8Array[] {
    return this.outgoing.take();
  }

  /**
   * The runtime says a datagram datagramsToSend() gave it has left and that nobody holds it any
   * more (the socket copied its bytes into the kernel during the send call, and no one else was
   * shown it): it will never be read or written again. When it is the application-data record
   * sealed last, its memory is zeroed and sealed into again, so that a stream of records each
   * sent at once reuses the same bytes instead of a new slab every few dozen records (see
   * RecordSlab). Anything else is left alone. Optional: a datagram never said to have left is
   * simply garbage collected.
   */
  datagramSent(datagram: Uint8Array): void {
    SEALED_RECORDS.giveBack(datagram);
  }

  /** The absolute time (same clock as `now`) at which handleTimeout must be called, if any. */
  nextTimeout(): number | undefined {
    if (this.currentState !== 'handshaking' && !this.postHandshake13()) return undefined;
    return this.handshake.nextTimeout();
  }

  handleTimeout(now: number): void {
    this.lastNow = now;
    if (this.currentState !== 'handshaking' && !this.postHandshake13()) return;
    this.run(() => {
      this.handshake.resume();
      this.handshake.handleTimeout(now);
    });
    this.updateKeysIfDue();
  }

  /**
   * DTLS 1.3 after the handshake (RFC 9147 5.8, 7.1): timers still run for the client's last flight
   * until the server acknowledges it, post-handshake messages (NewSessionTicket, KeyUpdate,
   * NewConnectionId) until theirs, and the ACKs owed.
   */
  private postHandshake13(): boolean {
    return this.currentState === 'established' && this.records.dtls13Records !== undefined;
  }

  /**
   * RFC 9147 4.5.3: "Implementations SHOULD initiate a key update before reaching this limit": once
   * our write key has protected keyUpdate.afterRecords records, the handshake sends a KeyUpdate.
   */
  private updateKeysIfDue(): void {
    if (!this.postHandshake13() || this.records.dtls13Records?.keyUpdateNeeded !== true) return;
    this.run(() => this.handshake.updateKeys?.());
  }

  pollEvent(): DtlsEvent | undefined {
    const e = this.events.shift();
    if (this.events.length === 0) this.events = NO_EVENTS;
    return e;
  }

  /**
   * Keying material (e.g. for DTLS-SRTP), after the handshake: RFC 5705 in DTLS 1.2; in DTLS 1.3
   * the TLS 1.3 exporter (RFC 8446 7.5) from the exporter_master_secret, with the "dtls13" label
   * prefix (RFC 9147 5.9).
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    const n = this.negotiated;
    const tls13 = n.tls13Suite;
    if (tls13 !== undefined) {
      const exporterMaster = n.tls13KeyLog?.exporterMaster;
      if (this.currentState !== 'established' || exporterMaster === undefined) {
        throw new DtlsError(AlertDescription.internal_error, 'keying material is available only after the handshake');
      }
      return exportKeyingMaterial13({ provider: this.options.provider, hash: tls13.hash, labelPrefix: DTLS13_LABEL_PREFIX }, exporterMaster, label, context, length);
    }
    if (this.currentState !== 'established' || !n.suite || !n.masterSecret) {
      throw new DtlsError(AlertDescription.internal_error, 'keying material is available only after the handshake');
    }
    return exportKeyingMaterial(this.options.provider, n.suite.prfHash, n.masterSecret, n.clientRandom, n.serverRandom, label, context, length);
  }

  /** The DTLS-SRTP profile both sides chose (RFC 5764 4.1.1), undefined when none was. */
  get srtpProfile(): SrtpProfile | undefined {
    return this.negotiated.srtp?.profile;
  }

  /** The SRTP MKI both sides agreed on (RFC 5764 4.1.1); undefined when none. */
  get srtpMki(): Uint8Array | undefined {
    const mki = this.negotiated.srtp?.mki;
    return mki === undefined || mki.length === 0 ? undefined : mki;
  }

  /**
   * The SRTP master keys and salts (RFC 5764 4.2), from the exporter with label
   * EXTRACTOR-dtls_srtp; undefined when no SRTP profile was negotiated. After the handshake.
   */
  getSrtpKeyingMaterial(): SrtpKeyingMaterial | undefined {
    const srtp = this.negotiated.srtp;
    if (srtp === undefined) return undefined;
    const material = this.exportKeyingMaterial(srtpKeyingMaterialLength(srtp.profile), SRTP_EXPORTER_LABEL);
    return splitSrtpKeyingMaterial(srtp.profile, srtp.mki, material);
  }

  /** Application data is the connection's; every other content type is the handshake's to interpret. */
  private onRecord(r: ReadRecord): void {
    this.traffic.recordsIn++;
    checkRecordSize(r, this.negotiated.recordSizeLimit); // RFC 8449 4, RFC 6066 4: record_overflow
    // RFC 6347 4.2.4: the peer sends application data (or an alert, or a return routability
    // check) under the new keys only once it has our last flight: no need to keep it any longer.
    // A DTLS 1.3 ACK is no such sign: it may acknowledge part of that flight only (RFC 9147 7.3).
    if (r.authenticated && r.type !== ContentType.handshake && r.type !== ContentType.change_cipher_spec && r.type !== ACK_CONTENT_TYPE && this.currentState === 'established' && r.epoch === this.records.readEpoch) {
      this.handshake.peerConfirmed();
    }
    if (r.type === ContentType.return_routability_check) this.onReturnRoutabilityCheck(r);
    else if (r.type === ContentType.application_data) this.onApplicationData(r);
    else this.handshake.onRecord(r);
  }

  private onApplicationData(r: ReadRecord): void {
    // Application data is only ever protected: anything in epoch 0 is dropped (RFC 6347 4.1.2.7).
    // DTLS 1.3: a peer's KeyUpdate moves our read epoch on before the peer switches (it waits for
    // our ACK, RFC 9147 8), so an authenticated record of any application epoch (3 on) counts.
    const dtls13Application = this.records.dtls13Records !== undefined && r.epoch >= 3 && r.authenticated;
    // RFC 9147 6.1: application data is protected from epoch 3 on; an authenticated record of it
    // under the handshake keys (epoch 2) was sent by the peer itself: RFC 8446 5, unexpected_message.
    if (this.records.dtls13Records !== undefined && r.epoch === 2 && r.authenticated) {
      throw new DtlsError(AlertDescription.unexpected_message, 'application data under the DTLS 1.3 handshake keys (epoch 2)');
    }
    if (r.epoch === 0 || (r.epoch !== this.records.readEpoch && !dtls13Application)) return;
    if (this.currentState === 'established') {
      this.deliverData(r.payload);
    } else if ((this.earlyData?.length ?? 0) < MAX_EARLY_DATA_RECORDS) {
      // The peer finished before us and its data overtook its Finished: held until ours verifies.
      (this.earlyData ??= []).push(r.payload);
    }
  }

  /**
   * RFC 9853 4-5: a return_routability_check message counts only when both sides negotiated rrc
   * and it came protected with the current keys; anything else is dropped. A path_challenge is
   * answered at once with a path_response carrying its cookie (5.4); a path_response with the
   * cookie of a challenge we sent to the peer's current address validates that address and lifts
   * the anti-amplification bound. We run the basic check only (5.1): a path_drop answers the
   * enhanced one and, like an unknown msg_type, is ignored.
   */
  private onReturnRoutabilityCheck(r: ReadRecord): void {
    if (!this.negotiated.returnRoutabilityCheck || !r.authenticated || r.epoch === 0 || r.epoch !== this.records.readEpoch) return;
    if (this.currentState !== 'established') return;
    const m = decodeRrcMessage(r.payload);
    if (m === undefined) return;
    if (m.type === RrcMessageType.path_challenge) {
      // 5.4: the answer goes where the challenge came from; we can only address our peer.
      if (this.source !== undefined && this.peer !== undefined && !samePeer(this.source, this.peer)) return;
      this.sealFront(encodeRrcMessage(RrcMessageType.path_response, m.cookie));
    } else if (m.type === RrcMessageType.path_response) {
      if (!this.outgoing.bounded || this.peer === undefined || !this.paths?.answer(m.cookie)) return;
      this.outgoing.validated();
      this.rememberValidated(this.peer);
    }
  }

  private sendPathChallenge(now: number): void {
    const cookie = this.options.provider.randomBytes(RRC_COOKIE_LENGTH);
    this.sealFront((this.paths ??= new PathValidation()).challenge(cookie, now));
  }

  /** A return_routability_check record ahead of what waits (RFC 9853 5.4: not delayed). */
  private sealFront(message: Uint8Array): void {
    try {
      this.outgoing.pushFront(this.records.seal(ContentType.return_routability_check, message));
    } catch {
      // Sequence numbers exhausted: nothing more can be sent.
    }
  }

  private rememberValidated(address: PeerAddress): void {
    this.validatedPeers = this.validatedPeers.filter((a) => !samePeer(a, address));
    this.validatedPeers.push({ address: address.address, port: address.port });
    // The first address (the handshake's) stays; of the others, the newest few.
    if (this.validatedPeers.length > 4) this.validatedPeers.splice(1, 1);
  }

  private onAlert(r: ReadRecord): void {
    // Only alerts of the epoch we read now count: an old-epoch alert is unauthenticated noise.
    // DTLS 1.3 (RFC 9147 6.1): a server that refuses our last flight (our certificate, our
    // Finished) answers under the handshake keys (epoch 2) after we moved to epoch 3; the AEAD
    // authenticated it, so it counts.
    const protected13 = r.authenticated && r.epoch >= 2 && this.negotiated.tls13Suite !== undefined;
    if ((r.epoch !== this.records.readEpoch && !protected13) || r.payload.length !== 2) return;
    const level = r.payload[0] ?? 0;
    const description = r.payload[1] ?? 0;
    if (description === AlertDescription.close_notify) {
      // RFC 5246 7.2.1: answer close_notify with our own, and stop.
      this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      this.end(undefined);
      return;
    }
    if (level === AlertLevel.fatal) {
      // During the handshake the step we are at says what the alert most likely means; in DTLS 1.3
      // too once connected, since a client is connected as its last flight leaves (RFC 8446 4.4.4).
      const askHandshake = this.currentState === 'handshaking' || this.negotiated.tls13Suite !== undefined;
      const hint = askHandshake ? this.handshake.peerAlertHint?.(description) : undefined;
      this.end(new DtlsError(description, `peer sent fatal alert ${alertName(description)}${hint === undefined ? '' : `: ${hint}`}`, { fromPeer: true }));
      return;
    }
    this.queueEvent({ type: 'alert', description, name: alertName(description) });
  }

  private sendAlert(level: AlertLevel, description: AlertDescription): void {
    try {
      this.outgoing.push(this.records.seal(ContentType.alert, new Uint8Array([level, description])));
    } catch {
      // Sequence numbers exhausted: nothing more can be sent.
    }
  }

  /**
   * Where the peer's address may change. The first source given becomes the peer address; a
   * datagram from another one does not move it by itself. In DTLS 1.2 without a connection ID a
   * connection is named by its peer's address, so a record from elsewhere is not this
   * connection's (a router keyed by address does not send it here), and a spoofed source must not
   * redirect our replies. RFC 9146 6: with a connection ID the address moves, but only once the
   * datagram has been read and held a record that authenticated and is newer than any received
   * (followPeer).
   */
  private observeSource(from: PeerAddress): void {
    // Another address later leaves the peer address as it is, unless the datagram proves the move (followPeer).
    if (this.peer !== undefined) return;
    this.peer = { address: from.address, port: from.port };
    this.validatedPeers = [this.peer];
  }

  /** Whether an authenticated record is newer, in epoch then sequence number, than any before it; remembers it. */
  private isNewest(r: ReadRecord): boolean {
    if (r.epoch < this.newestEpoch || (r.epoch === this.newestEpoch && r.sequenceNumber <= this.newestSequence)) return false;
    this.newestEpoch = r.epoch;
    this.newestSequence = r.sequenceNumber;
    return true;
  }

  /**
   * RFC 9146 6: with a connection ID in the records the peer sends us, the peer's address moves
   * to the source of a datagram with a record that authenticated and is newer than any received.
   * A spoofed record fails authentication and a replayed one the replay window, so neither moves
   * it; a genuine record that arrives late from the old address is not the newest and does not
   * move it back. Without a CID the address never moves (see observeSource).
   */
  private followPeer(from: PeerAddress, datagramBytes: number): void {
    const cid = this.negotiated.connectionId;
    if (cid === undefined || cid.receive.length === 0 || this.peer === undefined || samePeer(this.peer, from)) return;
    if (this.currentState === 'closed') return;
    this.peer = { address: from.address, port: from.port };
    // An authenticated record proves the peer sent it, not that the peer receives at its source:
    // an on-path attacker can race a copy of it from a victim's address (RFC 9146 6). Until the
    // new address is validated we send there at most 3x what came from it (RFC 9853 5: "limit
    // the data sent to the unvalidated address to the anti-amplification limit"). DTLS 1.2
    // without the RFC 9853 return routability check has no way to validate it, so the bound
    // stays and grows with what the peer sends from there; with it (both sides negotiated rrc)
    // a path_response validates the address (receive() sends the path_challenge). Returning to
    // an address validated before (the handshake's first, or one a check validated) lifts it
    // (RFC 9000 9.3 lets an endpoint skip validating an address it has seen recently).
    this.paths?.reset();
    // RFC 9147 9: "Implementations SHOULD use a new CID whenever sending on a new path".
    this.rotateConnectionId();
    if (this.validatedPeers.some((a) => samePeer(a, from))) this.outgoing.validated();
    else this.outgoing.moveToUnvalidated(datagramBytes);
  }

  /**
   * A client's reserve is its own (its options are resolved per connection): a key pair made
   * ahead and not used (the server chose a suite without ECDHE, or the connection ended first)
   * goes when the handshake does. A server's reserve serves its next handshakes.
   */
  private dropOwnKeyShare(): void {
    if (this.handshake.role === 'client') this.options.keyShares?.clear();
  }

  private run(step: () => unknown): void {
    try {
      step();
    } catch (err) {
      this.fail(asDtlsError(err, 'DTLS engine'));
    }
  }

  /** A fatal error of ours: tell the peer (RFC 5246 7.2.2) unless the peer is gone, then end. */
  private fail(error: DtlsError): void {
    if (this.currentState === 'closed') return;
    if (!(error instanceof HandshakeTimeoutError) && !error.fromPeer) this.sendAlert(AlertLevel.fatal, error.alert);
    this.end(error);
  }

  private end(error: DtlsError | undefined): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.records.stopHolding();
    this.dropOwnKeyShare();
    this.closeError = error;
    this.queueEvent({ type: 'close', error });
  }

  private queueEvent(e: DtlsEvent): void {
    if (this.events === NO_EVENTS) this.events = [e];
    else this.events.push(e);
  }

  /** The error that ended the connection, if it ended with one. */
  get error(): DtlsError | undefined {
    return this.closeError;
  }

  private host(): HandshakeHost {
    return new DtlsConnection.Host(this);
  }

  /**
   * What the handshake may do with its connection: one field, methods on the prototype. An
   * object literal with getters is a dictionary-mode object, and with its closures it cost every
   * half-open server handshake about a kilobyte of heap.
   */
  private static readonly Host = class ConnectionHost implements HandshakeHost {
    constructor(private readonly conn: DtlsConnection) {}

    get records(): RecordLayer {
      return this.conn.records;
    }

    get now(): number {
      return this.conn.lastNow;
    }

    get wallNow(): number {
      return this.conn.wallNow;
    }

    transmit(datagrams: readonly Uint8Array[]): void {
      for (const d of datagrams) this.conn.outgoing.push(d);
    }

    deliver(records: readonly ReadRecord[]): void {
      for (const r of records) this.conn.onRecord(r);
    }

    // The epoch's record format and keys say how much a record adds (RFC 6347 4.1.1.1: records fit the PMTU).
    recordOverhead(epoch: number): number {
      return this.conn.records.overhead(epoch);
    }

    onAlert(record: ReadRecord): void {
      this.conn.onAlert(record);
    }

    sendWarning(description: AlertDescription): void {
      this.conn.sendAlert(AlertLevel.warning, description);
    }

    onEstablished(): void {
      const conn = this.conn;
      conn.currentState = 'established';
      conn.wasEstablished = true;
      packNegotiatedBytes(conn.negotiated);
      conn.dropOwnKeyShare();
      conn.queueEvent({ type: 'handshake-complete' });
      const early = conn.earlyData;
      conn.earlyData = undefined;
      if (early !== undefined) for (const d of early) conn.deliverData(d);
    }

    wake(): void {
      this.conn.onWake?.();
    }

    onSession(): void {
      this.conn.queueEvent({ type: 'session' });
    }
  };
}
