import { ACK_CONTENT_TYPE, type RecordNumber } from '../../record/ack.js';
import { AlertDescription } from '../../alert.js';
import { asDtlsError, DtlsError, HandshakeTimeoutError, IllegalParameterError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';
import type { RecordKeys } from '../../record/epoch-keys.js';
import { ContentType } from '../../record/content-type.js';
import type { ReadRecord, RecordLayer } from '../../record/record-layer.js';
import { decodeHandshakeFragments, type HandshakeFragment } from '../handshake-header.js';
import { HandshakeType } from '../handshake-type.js';
import type { FlightHandshakeMessage, FlightMessage } from './flight.js';
import { type FragmentDisposition, type FragmentSource, HandshakeReassembler } from './reassembler.js';
import { Transcript } from './transcript.js';
import { type FlightState, FlightTransmitter } from './flight-transmitter.js';
import type { Handshake } from './handshake.js';
import type { StateContext } from './state-context.js';
import type { AwaitValue } from '../key-exchange/key-exchange.js';
import type { NegotiatedParameters } from './negotiated-parameters.js';
import { ownFlightMessage, type FinishedHandshakeState } from './finished-handshake-state.js';

/**
 * True when a handshake record carries (a fragment of) a message of this type, and of this
 * message_seq when one is given; false for a malformed record.
 */
export function carriesMessage(record: ReadRecord, msgType: HandshakeType, messageSeq?: number): boolean {
  try {
    return decodeHandshakeFragments(record.payload).some((f) => f.msgType === msgType && (messageSeq === undefined || f.messageSeq === messageSeq));
  } catch {
    return false;
  }
}

/** A whole handshake message, reassembled and in message_seq order. */
export interface HandshakeMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
  /** The plaintext (epoch-0) records that brought its bytes: empty when it came wholly under keys. */
  readonly sources: readonly FragmentSource[];
}

/** What a handshake needs from the connection that owns it. */
export interface HandshakeHost {
  readonly records: RecordLayer;
  /** The time passed in by the current call into the engine. */
  readonly now: number;
  /**
   * Wall-clock time (ms since 1970) handed in by the runtime with connect()/acceptVerified(): what
   * session ages are counted in (a monotonic `now` means nothing in another process).
   */
  readonly wallNow: number;
  transmit(datagrams: readonly Uint8Array[]): void;
  /** Records released when a new read epoch opens, processed as if just received. */
  deliver(records: readonly ReadRecord[]): void;
  /** Bytes an epoch's records add around their plaintext, header included (header + explicit nonce + tag). */
  recordOverhead(epoch: number): number;
  /** An alert record, for the connection to act on (close_notify, fatal or warning: RFC 5246 7.2). */
  onAlert(record: ReadRecord): void;
  /** Sends a warning alert (e.g. no_renegotiation). */
  sendWarning(description: AlertDescription): void;
  onEstablished(): void;
  /** An asynchronous credential lookup finished: the driver should call in again. */
  wake(): void;
  /** DTLS 1.3 client: a NewSessionTicket after the handshake made a new session (the 'session' event). */
  onSession?(): void;
}

/**
 * What both roles share: reassembly, the transcript, message_seq, flights and the timer
 * machine of RFC 6347 4.2.4, the ChangeCipherSpec that opens the next read epoch, and
 * pausing while a credential lookup is pending. Subclasses hold one explicit state per
 * handshake step and must answer a message that does not fit the state with unexpected_message.
 *
 * The engine is itself the StateContext its states run in (C: the role's options, S: its state
 * type): a half-open server handshake is what an attacker can make us hold by the thousand, and a
 * separate context object of a dozen closures cost each one about a kilobyte and a half; methods
 * on the prototype cost nothing per handshake.
 */
export abstract class HandshakeEngine<C extends ResolvedOptions = ResolvedOptions, S = unknown> implements Handshake, StateContext<C, S> {
  abstract readonly role: 'client' | 'server';
  abstract readonly negotiated: NegotiatedParameters;
  protected readonly reassembler: HandshakeReassembler;
  readonly transcript = new Transcript();
  private readonly transmitter: FlightTransmitter;
  /** message_seq of the next message we send (RFC 6347 4.2.2). */
  protected nextSendSeq = 0;
  /** The last message the state machine handled (the one our next flight answers). */
  private lastHandled: HandshakeMessage | undefined;
  private paused = false;
  private ready: (() => void) | undefined;
  private pendingReadKeys: RecordKeys | undefined;
  private earlyChangeCipherSpec = false;
  /** True once the peer's ChangeCipherSpec switched us to the new read epoch. */
  protected changeCipherSpecReceived = false;
  private deadline: number;
  complete = false;

  /** The options this handshake runs with (see `config`). */
  private options: C;

  constructor(
    protected readonly host: HandshakeHost,
    config: C,
    startedAt: number,
  ) {
    this.options = config;
    this.reassembler = new HandshakeReassembler({ maxMessageLength: config.maxHandshakeMessageLength });
    this.transmitter = new FlightTransmitter(config, host);
    this.deadline = startedAt + config.handshakeTimeoutMs;
  }

  /** The options of this handshake (StateContext): the connection's, or those withCredentials() made. */
  get config(): C {
    return this.options;
  }

  /**
   * Runs the rest of the handshake with other options: a server whose SNICallback picked the
   * credentials for the client's server_name (RFC 6066 3). Only credentials change; the limits,
   * timers and suites are the connection's.
   */
  protected replaceConfig(config: C): void {
    this.options = config;
  }

  /**
   * Counts the handshake deadline from `now`: a client's handshake starts at connect(), which
   * may come long after the connection object was made, on any clock origin.
   */
  startDeadline(now: number): void {
    this.deadline = now + this.config.handshakeTimeoutMs;
  }

  /** The state name, for tracing and errors. */
  abstract get state(): string;

  /** See Handshake.keyShareAhead. */
  abstract get keyShareAhead(): boolean;

  /** Starts the handshake (see Handshake.start). */
  abstract start(now: number): void;

  /** The message by which the peer would ask to renegotiate (HelloRequest or ClientHello). */
  protected abstract readonly renegotiationRequest: HandshakeType | undefined;

  /** Handles one whole message in order; throws DtlsError to end the connection. */
  protected abstract handle(message: HandshakeMessage): void;

  /** Retransmissions sent (timer or peer-triggered), for stats and tests. */
  get retransmissions(): number {
    return this.transmitter.retransmissions;
  }

  /** What those retransmissions put on the wire (see Handshake.retransmitted). */
  get retransmitted(): { readonly bytes: number; readonly datagrams: number } {
    return { bytes: this.transmitter.retransmittedBytes, datagrams: this.transmitter.retransmittedDatagrams };
  }

  /** Where our side of the flight exchange is (RFC 6347 4.2.4), for tracing and tests. */
  get flightState(): FlightState {
    return this.transmitter.state;
  }

  /** Called before each datagram: at most one peer-triggered retransmission per datagram. */
  beginDatagram(): void {
    this.transmitter.beginDatagram();
  }

  /**
   * Every record that is not application data: what each content type means is the protocol
   * version's to decide. In DTLS 1.2 a ChangeCipherSpec opens the next read epoch (RFC 5246 7.1)
   * and an alert means the same during the handshake as after it (RFC 5246 7.2), so it goes back
   * to the connection. Any other type was dropped by the record layer (RFC 6347 4.1.2.7).
   */
  onRecord(record: ReadRecord): void {
    switch (record.type) {
      case ContentType.handshake:
        this.onHandshakeRecord(record);
        return;
      case ContentType.change_cipher_spec:
        this.onChangeCipherSpec(record);
        return;
      case ContentType.alert:
        this.host.onAlert(record);
        return;
      case ACK_CONTENT_TYPE:
        if (record.authenticated) this.onAck(record);
        return;
    }
  }

  /** A handshake record (any epoch we can read). */
  onHandshakeRecord(record: ReadRecord): void {
    // RFC 5746 4 / RFC 5246 7.4.1: after the handshake, a HelloRequest (to a client) or a
    // ClientHello (to a server) under the new keys asks to renegotiate, whatever its
    // message_seq (RFC 6347 4.2.2 restarts it at 0, so the reassembler would take it for an
    // old retransmission). We never renegotiate: refused with a warning, the connection goes on.
    const renegotiation = this.renegotiationRequest;
    if (this.complete && renegotiation !== undefined && record.epoch > 0 && record.epoch === this.host.records.readEpoch && carriesMessage(record, renegotiation)) {
      this.host.sendWarning(AlertDescription.no_renegotiation);
      return;
    }
    let fragments;
    try {
      fragments = decodeHandshakeFragments(record.payload);
    } catch {
      return; // RFC 6347 4.1.2.7: malformed records are dropped
    }
    // A plaintext record is marked seen in the replay window only once its content is used
    // (RFC 6347 4.1.2.6, see RecordLayer.unprotect): the reassembler hands its record back with
    // the message it helped complete.
    const source = record.authenticated ? undefined : { epoch: record.epoch, sequenceNumber: record.sequenceNumber };
    if (record.authenticated) this.lastRecordNumber = { epoch: record.epoch, sequenceNumber: record.sequenceNumber };
    for (const f of fragments) {
      const taken = record.epoch === this.host.records.readEpoch || this.acceptsPreviousEpoch(f, record.epoch);
      if (f.messageSeq >= this.reassembler.nextSeq && !taken) {
        // New messages come only in the current read epoch: a Finished sent in the clear, or
        // an old-epoch record posing as the next message, is never processed.
        continue;
      }
      if (taken && f.length > this.config.maxHandshakeMessageLength) {
        // A message over our limit (a Certificate chain, say) ends the handshake with a reason
        // rather than a timeout: RFC 5246 7.2.2 illegal_parameter ("a field in the handshake was
        // out of range"), the alert OpenSSL sends for an excessive message size. A stale record
        // of an earlier epoch is only dropped.
        throw new IllegalParameterError(
          `handshake message ${f.messageSeq} (type ${f.msgType}) of ${f.length} bytes exceeds maxHandshakeMessageLength (${this.config.maxHandshakeMessageLength})`,
        );
      }
      let result: FragmentDisposition;
      try {
        result = this.reassembler.add(f, source);
      } catch {
        continue; // contradictory or malformed fragment: dropped, nothing allocated
      }
      if (result === 'old') this.onPeerRetransmission(f, record);
      this.fragmentTaken(f, result, record);
    }
  }

  /** What the reassembler did with a fragment of a record in an epoch we take: DTLS 1.3 lists the record for its ACK (RFC 9147 7). */
  protected fragmentTaken(_fragment: HandshakeFragment, _result: FragmentDisposition, _record: ReadRecord): void {}

  /**
   * Exceptions to "new messages only in the current read epoch", for a subclass that knows a
   * message of the peer's flight was sent before its ChangeCipherSpec (and may arrive after it).
   */
  protected acceptsPreviousEpoch(_fragment: HandshakeFragment, _epoch: number): boolean {
    return false;
  }

  /**
   * RFC 6347 4.2.4: a peer that retransmits the flight we already answered lost our answer,
   * so we send it again (only for the last message of that flight: see FlightTransmitter).
   */
  private onPeerRetransmission(f: HandshakeFragment, record: ReadRecord): void {
    if (!this.transmitter.isRetransmissionOfAnswered(f, record.epoch)) return;
    // Its bytes are the peer's own: an exact copy of this record is now a replay.
    if (!record.authenticated) this.host.records.acceptUnauthenticated(record.epoch, record.sequenceNumber);
    this.transmitter.onPeerRetransmission(this.host.now);
  }

  onChangeCipherSpec(record: ReadRecord): void {
    if (record.payload.length !== 1 || record.payload[0] !== 1) return; // malformed: dropped
    if (record.epoch !== this.host.records.readEpoch || this.changeCipherSpecReceived) return; // a retransmission
    if (this.pendingReadKeys) this.activateReadKeys(this.pendingReadKeys);
    // Reordered ahead of the keys: applied when they exist — if the peer can have sent it yet.
    else if (!this.complete && this.mayReceiveChangeCipherSpecBeforeKeys()) this.earlyChangeCipherSpec = true;
  }

  /**
   * Whether a ChangeCipherSpec that arrives before we have the peer's next keys can be the
   * peer's real one, overtaking the messages that give us the keys (RFC 6347 4.1: datagrams are
   * reordered). If not, it is dropped (RFC 6347 4.1.2.7) rather than remembered.
   */
  protected mayReceiveChangeCipherSpecBeforeKeys(): boolean {
    return true;
  }

  /** A ChangeCipherSpec remembered as early turned out not to be the peer's (see mayReceiveChangeCipherSpecBeforeKeys). */
  protected forgetEarlyChangeCipherSpec(): void {
    this.earlyChangeCipherSpec = false;
  }

  /** The keys of the peer's next epoch: active once its ChangeCipherSpec arrives (RFC 5246 7.1). */
  expectChangeCipherSpec(keys: RecordKeys): void {
    this.pendingReadKeys = keys;
    if (this.earlyChangeCipherSpec) this.activateReadKeys(keys);
  }

  private activateReadKeys(keys: RecordKeys): void {
    this.pendingReadKeys = undefined;
    this.changeCipherSpecReceived = true;
    const released = this.host.records.setReadKeys(keys);
    // This is the handshake's last read epoch: renegotiation is refused (RFC 5746), so no later
    // epoch can ever become readable and records of one are dropped, not held.
    this.host.records.stopHolding();
    this.host.deliver(released);
  }

  /** Handles every complete message that is ready, unless a lookup is pending. */
  processMessages(): void {
    while (!this.paused) {
      const m = this.reassembler.poll();
      if (!m) return;
      this.lastHandled = m;
      this.handle(m);
      // The state machine took the message: the plaintext records that carried it are seen.
      for (const s of m.sources) this.host.records.acceptUnauthenticated(s.epoch, s.sequenceNumber);
    }
  }

  /** Applies a finished asynchronous lookup, then carries on with buffered messages. */
  resume(): void {
    const ready = this.ready;
    if (!ready) return;
    this.ready = undefined;
    this.paused = false;
    ready();
    this.processMessages();
  }

  /**
   * Runs `then` with a credential lookup's value: at once when it is a plain value, or after
   * the Promise settles (the handshake pauses; messages that arrive meanwhile wait in order).
   */
  protected awaitValue<T>(value: T | Promise<T>, what: string, then: (value: T) => void): void {
    if (!(value instanceof Promise)) {
      then(value);
      return;
    }
    this.paused = true;
    // The peer's flight that led here has arrived: we are PREPARING our next one (RFC 6347
    // 4.2.4), not WAITING. The handshake deadline still applies; sendFlight arms the timer again.
    this.transmitter.prepare();
    value.then(
      (v) => {
        this.ready = () => then(v);
        this.host.wake();
      },
      (err: unknown) => {
        this.ready = () => {
          throw asDtlsError(err, what);
        };
        this.host.wake();
      },
    );
  }

  /** Wall-clock ms of this handshake (StateContext; see HandshakeHost.wallNow). */
  get wallNow(): number {
    return this.host.wallNow;
  }

  /** The record layer of the connection (StateContext). */
  get records(): RecordLayer {
    return this.host.records;
  }

  /**
   * Installs the state a pending value leads to once it arrives (the one place, with handle(),
   * where the current state changes).
   */
  protected abstract advance(next: S): void;

  /** StateContext.wait: the step returns `waiting` while the value is pending. */
  wait(waiting: S): AwaitValue<S> {
    return (value, what, then) => {
      if (!(value instanceof Promise)) return then(value);
      this.awaitValue(value, what, (v) => this.advance(then(v)));
      return waiting;
    };
  }

  /** Sends a warning alert (StateContext). */
  sendWarning(description: AlertDescription): void {
    this.host.sendWarning(description);
  }

  /** Builds the next outgoing message with its message_seq. */
  message(msgType: number, body: Uint8Array, epoch = this.host.records.writeEpoch): FlightHandshakeMessage {
    return { kind: 'handshake', msgType, messageSeq: this.nextSendSeq++, body, epoch };
  }

  /**
   * Sends a new flight and arms the timer (RFC 6347 4.2.4 SENDING → WAITING), or, for the
   * last flight of the handshake, keeps it only to answer retransmissions (FINISHED).
   */
  sendFlight(messages: readonly FlightMessage[], last: boolean): void {
    // The peer's messages arrive in the read epoch current when we answer them (epoch 0 up to the
    // ChangeCipherSpec; the Finished in the next one).
    const answered = this.lastHandled;
    const answeredPeer =
      answered && answered.messageSeq === this.reassembler.nextSeq - 1
        ? { msgType: answered.msgType, messageSeq: answered.messageSeq, body: answered.body, epoch: this.host.records.readEpoch }
        : undefined;
    this.transmitter.send(messages, last, answeredPeer, this.host.now);
  }

  /**
   * The handshake is over: no more timers; the last flight stays for retransmission if we sent it
   * (RFC 6347 4.2.4: the side that sent the last flight answers a retransmission of the peer's
   * with it). Nothing else of the handshake is needed again (renegotiation is refused), so the
   * transcript and the message last handled are freed: an idle connection keeps only its keys,
   * what was negotiated and, until the peer shows it has it, its last flight.
   */
  finish(keepFlight: boolean): void {
    this.complete = true;
    this.lastHandled = undefined;
    this.transcript.release();
    this.transmitter.finish(keepFlight);
    this.host.onEstablished();
  }

  /** StateContext.lastRecordNumber: set for each authenticated handshake record (RFC 9147 7 names records, not messages). */
  lastRecordNumber: RecordNumber | undefined;

  /** StateContext.sendRecord. */
  sendRecord(type: number, content: Uint8Array): void {
    this.host.transmit([this.host.records.seal(type, content)]);
  }

  /** A DTLS 1.3 ACK record (RFC 9147 7): the version's handshake decides what it acknowledges; DTLS 1.2 has none. */
  protected onAck(_record: ReadRecord): void {}

  /** StateContext.deliver: records a new read epoch released, to the connection as if just received. */
  deliver(records: readonly ReadRecord[]): void {
    this.host.deliver(records);
  }

  /** See Handshake.peerConfirmed. */
  peerConfirmed(): void {
    if (!this.complete || !this.transmitter.holdsFlight) return;
    this.transmitter.release();
    // Nothing goes out or comes in for epoch 0 any more: no flight of ours to retransmit in it,
    // and the peer has moved on (RFC 6347 4.1: records of earlier epochs SHOULD be discarded).
    this.host.records.discardPreviousWriteEpoch();
    this.host.records.discardPreviousReadEpoch();
  }

  /** See Handshake.exportFinished. */
  exportFinished(): FinishedHandshakeState {
    if (!this.complete) throw new TypeError(`the handshake is not complete (state ${this.state})`);
    const kept = this.transmitter.keptFlight();
    const answered = kept?.answered;
    return {
      role: this.role,
      nextReceiveSeq: this.reassembler.nextSeq,
      nextSendSeq: this.nextSendSeq,
      retransmissions: this.transmitter.retransmissions,
      lastFlight:
        kept === undefined
          ? undefined
          : {
              flight: kept.flight.map(ownFlightMessage),
              answered: answered === undefined ? undefined : { msgType: answered.msgType, messageSeq: answered.messageSeq, body: answered.body.slice(), epoch: answered.epoch },
            },
    };
  }

  /**
   * Takes up a handshake that completed elsewhere (exportFinished): complete, the peer's
   * ChangeCipherSpec seen, the message_seq counters where they were, and the last flight kept to
   * answer the peer's retransmissions (RFC 6347 4.2.4).
   */
  protected restoreFinished(state: FinishedHandshakeState): void {
    this.complete = true;
    this.changeCipherSpecReceived = true;
    this.reassembler.reset(state.nextReceiveSeq);
    this.nextSendSeq = state.nextSendSeq;
    this.transcript.release();
    const kept = state.lastFlight;
    this.transmitter.restoreFinished(kept?.flight ?? [], kept?.answered, state.retransmissions);
  }

  /** Whether our last flight is kept to answer the peer's retransmissions (RFC 6347 4.2.4), for tests. */
  get holdsLastFlight(): boolean {
    return this.transmitter.holdsFlight;
  }

  nextTimeout(): number | undefined {
    if (this.ready) return this.host.now;
    if (this.complete) return undefined;
    const t = this.transmitter.deadline;
    return t === undefined ? this.deadline : Math.min(t, this.deadline);
  }

  /** Fires the retransmission timer (RFC 6347 4.2.4.1) or the handshake deadline. */
  handleTimeout(now: number): void {
    if (this.complete) return;
    if (now >= this.deadline) throw new HandshakeTimeoutError(this.config.handshakeTimeoutMs, this.timeoutHint());
    this.transmitter.onTimer(now);
  }

  /** What the step the deadline found us in suggests about the peer's silence, if anything. */
  protected timeoutHint(): string | undefined {
    return undefined;
  }

  /**
   * RFC 5246 7.4.9: the Finished comes after the ChangeCipherSpec, the first message under the
   * new keys. One that came before the ChangeCipherSpec, or with any byte from a plaintext record
   * (epoch 0: it may have been buffered before the read epoch moved on), was not the peer's.
   */
  checkFinishedUnderNewKeys(m: HandshakeMessage): void {
    if (!this.changeCipherSpecReceived || m.sources.length > 0) throw this.unexpected(m);
  }

  /** unexpected_message for a message that does not belong in the current state. */
  unexpected(m: HandshakeMessage): DtlsError {
    return new DtlsError(AlertDescription.unexpected_message, `handshake message type ${m.msgType} not expected in state ${this.state}`);
  }
}
