import { AlertDescription } from '../alert.js';
import { constantTimeEqual } from '../bytes.js';
import { asDtlsError, DtlsError, HandshakeTimeoutError, IllegalParameterError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { EpochKeys } from '../record/epoch-keys.js';
import { ContentType } from '../record/content-type.js';
import type { ReadRecord, RecordLayer } from '../record/record-layer.js';
import { decodeHandshakeFragments, type HandshakeFragment } from './handshake-header.js';
import { HandshakeType } from './handshake-type.js';
import { type FlightHandshakeMessage, type FlightMessage, serializeFlight } from './flight.js';
import { type FragmentSource, HandshakeReassembler } from './reassembler.js';
import { RetransmitTimer } from './retransmit-timer.js';
import { Transcript } from './transcript.js';

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
}

/**
 * What both roles share: reassembly, the transcript, message_seq, flights and the timer
 * machine of RFC 6347 4.2.4, the ChangeCipherSpec that opens the next read epoch, and
 * pausing while a credential lookup is pending. Subclasses hold one explicit state per
 * handshake step and must answer a message that does not fit the state with unexpected_message.
 */
export abstract class HandshakeEngine {
  protected readonly reassembler: HandshakeReassembler;
  protected readonly transcript = new Transcript();
  protected readonly timer: RetransmitTimer;
  /** message_seq of the next message we send (RFC 6347 4.2.2). */
  protected nextSendSeq = 0;
  private flight: readonly FlightMessage[] = [];
  /** The last message of the peer flight our current flight answers, and the epoch it came in. */
  private answeredPeer: { readonly message: HandshakeMessage; readonly epoch: number } | undefined;
  /** The last message the state machine handled (becomes answeredPeer when we send a flight). */
  private lastHandled: HandshakeMessage | undefined;
  private retransmittedInDatagram = false;
  private paused = false;
  private ready: (() => void) | undefined;
  private pendingReadKeys: EpochKeys | undefined;
  private earlyChangeCipherSpec = false;
  /** True once the peer's ChangeCipherSpec switched us to the new read epoch. */
  protected changeCipherSpecReceived = false;
  private deadline: number;
  complete = false;
  /** Retransmissions sent (timer or peer-triggered), for stats and tests. */
  retransmissions = 0;

  constructor(
    protected readonly host: HandshakeHost,
    protected readonly options: ResolvedOptions,
    startedAt: number,
  ) {
    this.reassembler = new HandshakeReassembler({ maxMessageLength: options.maxHandshakeMessageLength });
    this.timer = new RetransmitTimer(options.retransmit);
    this.deadline = startedAt + options.handshakeTimeoutMs;
  }

  /**
   * Counts the handshake deadline from `now`: a client's handshake starts at connect(), which
   * may come long after the connection object was made, on any clock origin.
   */
  startDeadline(now: number): void {
    this.deadline = now + this.options.handshakeTimeoutMs;
  }

  /** The state name, for tracing and errors. */
  abstract get state(): string;

  /** The message by which the peer would ask to renegotiate (HelloRequest or ClientHello). */
  protected abstract readonly renegotiationRequest: HandshakeType;

  /** Handles one whole message in order; throws DtlsError to end the connection. */
  protected abstract handle(message: HandshakeMessage): void;

  /** Called before each datagram: at most one peer-triggered retransmission per datagram. */
  beginDatagram(): void {
    this.retransmittedInDatagram = false;
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
    }
  }

  /** A handshake record (any epoch we can read). */
  onHandshakeRecord(record: ReadRecord): void {
    // RFC 5746 4 / RFC 5246 7.4.1: after the handshake, a HelloRequest (to a client) or a
    // ClientHello (to a server) under the new keys asks to renegotiate, whatever its
    // message_seq (RFC 6347 4.2.2 restarts it at 0, so the reassembler would take it for an
    // old retransmission). We never renegotiate: refused with a warning, the connection goes on.
    if (this.complete && record.epoch > 0 && record.epoch === this.host.records.readEpoch && carriesMessage(record, this.renegotiationRequest)) {
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
    for (const f of fragments) {
      const taken = record.epoch === this.host.records.readEpoch || this.acceptsPreviousEpoch(f, record.epoch);
      if (f.messageSeq >= this.reassembler.nextSeq && !taken) {
        // New messages come only in the current read epoch: a Finished sent in the clear, or
        // an old-epoch record posing as the next message, is never processed.
        continue;
      }
      if (taken && f.length > this.options.maxHandshakeMessageLength) {
        // A message over our limit (a Certificate chain, say) ends the handshake with a reason
        // rather than a timeout: RFC 5246 7.2.2 illegal_parameter ("a field in the handshake was
        // out of range"), the alert OpenSSL sends for an excessive message size. A stale record
        // of an earlier epoch is only dropped.
        throw new IllegalParameterError(
          `handshake message ${f.messageSeq} (type ${f.msgType}) of ${f.length} bytes exceeds maxHandshakeMessageLength (${this.options.maxHandshakeMessageLength})`,
        );
      }
      let result: string;
      try {
        result = this.reassembler.add(f, source);
      } catch {
        continue; // contradictory or malformed fragment: dropped, nothing allocated
      }
      if (result === 'old') this.onPeerRetransmission(f, record);
    }
  }

  /**
   * Exceptions to "new messages only in the current read epoch", for a subclass that knows a
   * message of the peer's flight was sent before its ChangeCipherSpec (and may arrive after it).
   */
  protected acceptsPreviousEpoch(_fragment: HandshakeFragment, _epoch: number): boolean {
    return false;
  }

  /**
   * RFC 6347 4.2.4: a peer that retransmits the flight we already answered lost our answer,
   * so we send it again — once per datagram, and only for the last message of that flight,
   * so a replayed flight cannot make us send more than it costs the sender.
   */
  private onPeerRetransmission(f: HandshakeFragment, record: ReadRecord): void {
    if (this.flight.length === 0 || !this.isRetransmissionOfAnswered(f, record.epoch)) return;
    // Its bytes are the peer's own: an exact copy of this record is now a replay.
    if (!record.authenticated) this.host.records.acceptUnauthenticated(record.epoch, record.sequenceNumber);
    if (this.retransmittedInDatagram) return;
    this.retransmittedInDatagram = true;
    this.retransmit();
    // RFC 6347 4.2.4: WAITING --read retransmit--> SENDING --set retransmit timer--> WAITING.
    // Re-arming (at the current value, not doubled) keeps our own timer from sending the
    // same flight again a moment later when both sides' timers fire close together.
    if (this.timer.deadline !== undefined) this.timer.start(this.host.now, false);
  }

  /**
   * Whether a fragment is a piece of the very message our flight answered: same epoch, type and
   * length, and the same bytes. A retransmission repeats the message (RFC 6347 4.2.4); a
   * fragment that only names its message_seq is a spoofer's (an off-path attacker sees neither
   * the ClientHello's random and cookie nor the Finished, which only ever travels under the new
   * keys, RFC 5246 7.4.9). Without this, 25 spoofed bytes bought a whole certificate flight 4.
   */
  private isRetransmissionOfAnswered(f: HandshakeFragment, epoch: number): boolean {
    const answered = this.answeredPeer;
    if (!answered) return false;
    const m = answered.message;
    if (f.messageSeq !== m.messageSeq || f.msgType !== m.msgType || f.length !== m.body.length || epoch !== answered.epoch) return false;
    if (f.body.length === 0 && m.body.length > 0) return false;
    return constantTimeEqual(f.body, m.body.subarray(f.fragmentOffset, f.fragmentOffset + f.body.length));
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

  /** The keys of the peer's next epoch: active once its ChangeCipherSpec arrives (RFC 5246 7.1). */
  protected expectChangeCipherSpec(keys: EpochKeys): void {
    this.pendingReadKeys = keys;
    if (this.earlyChangeCipherSpec) this.activateReadKeys(keys);
  }

  private activateReadKeys(keys: EpochKeys): void {
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
    // 4.2.4), not WAITING, so our previous flight is not retransmitted while the lookup runs
    // (a slow database would otherwise make both sides resend flights every few seconds).
    // The handshake deadline still applies; sendFlight arms the timer again.
    this.timer.stop();
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

  /** Builds the next outgoing message with its message_seq. */
  protected message(msgType: number, body: Uint8Array, epoch = this.host.records.writeEpoch): FlightHandshakeMessage {
    return { kind: 'handshake', msgType, messageSeq: this.nextSendSeq++, body, epoch };
  }

  /**
   * Sends a new flight and arms the timer (RFC 6347 4.2.4 SENDING → WAITING), or, for the
   * last flight of the handshake, keeps it only to answer retransmissions (FINISHED).
   */
  protected sendFlight(messages: readonly FlightMessage[], last: boolean): void {
    this.flight = messages;
    // The peer's messages arrive in the read epoch current when we answer them (epoch 0 up to the
    // ChangeCipherSpec; the Finished in the next one).
    const answered = this.lastHandled;
    this.answeredPeer =
      answered && answered.messageSeq === this.reassembler.nextSeq - 1 ? { message: answered, epoch: this.host.records.readEpoch } : undefined;
    this.host.transmit(serializeFlight(messages, this.sealer(), this.options.mtu));
    if (last) this.timer.stop();
    else this.timer.start(this.host.now, true);
  }

  private retransmit(): void {
    this.retransmissions++;
    this.host.transmit(serializeFlight(this.flight, this.sealer(), this.options.mtu));
  }

  private sealer(): { seal: (type: number, payload: Uint8Array, epoch: number) => Uint8Array; recordOverhead: (epoch: number) => number } {
    const records = this.host.records;
    return {
      seal: (type, payload, epoch) => records.seal(type, payload, epoch),
      recordOverhead: (epoch) => this.host.recordOverhead(epoch),
    };
  }

  /** The handshake is over: no more timers; the last flight stays for retransmission if we sent it. */
  protected finish(keepFlight: boolean): void {
    this.complete = true;
    this.timer.stop();
    if (!keepFlight) this.flight = [];
    this.host.onEstablished();
  }

  nextTimeout(): number | undefined {
    if (this.ready) return this.host.now;
    if (this.complete) return undefined;
    const t = this.timer.deadline;
    return t === undefined ? this.deadline : Math.min(t, this.deadline);
  }

  /** Fires the retransmission timer (RFC 6347 4.2.4.1) or the handshake deadline. */
  handleTimeout(now: number): void {
    if (this.complete) return;
    if (now >= this.deadline) throw new HandshakeTimeoutError(this.options.handshakeTimeoutMs);
    if (this.timer.expired(now) && this.flight.length > 0) {
      this.retransmit();
      this.timer.backoff(now);
    }
  }

  /**
   * RFC 5246 7.4.9: the Finished comes after the ChangeCipherSpec, the first message under the
   * new keys. One that came before the ChangeCipherSpec, or with any byte from a plaintext record
   * (epoch 0: it may have been buffered before the read epoch moved on), was not the peer's.
   */
  protected checkFinishedUnderNewKeys(m: HandshakeMessage): void {
    if (!this.changeCipherSpecReceived || m.sources.length > 0) throw this.unexpected(m);
  }

  /** unexpected_message for a message that does not belong in the current state. */
  protected unexpected(m: HandshakeMessage): DtlsError {
    return new DtlsError(AlertDescription.unexpected_message, `handshake message type ${m.msgType} not expected in state ${this.state}`);
  }
}
