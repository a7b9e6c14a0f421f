import type { FlightHandshakeMessage } from './flight.js';
import { packBytes } from '../../packed-bytes.js';
import { FlightRetransmission } from './flight-retransmission.js';
import type { RetransmitOptions } from './retransmit-timer.js';
import { type AckOutcome, type RecordNumber, SentFlightLedger } from './sent-flight-ledger.js';
import { type NumberedSealer, serializeUnacked } from './unacked-flight.js';

/** Where a DTLS 1.3 flight's datagrams go, and what seals and numbers its records. */
export interface AckedFlightOutput {
  transmit(datagrams: readonly Uint8Array[]): void;
  readonly sealer: NumberedSealer;
  /** The peer's record size limit (RFC 8449), if it set one. */
  readonly sendPlaintextLimit?: number;
}

const NO_FLIGHT: readonly FlightHandshakeMessage[] = [];
/**
 * The ledger of no flight, shared: with no message nothing is ever recorded in it (records are
 * recorded only as a flight's fragments go out), so it never changes. A ledger of its own would
 * keep a Map and arrays (~400 bytes) for each idle connection's life.
 */
const NO_LEDGER = new SentFlightLedger([]);

/**
 * Our side of the DTLS 1.3 flight exchange (RFC 9147 5.8.1, figure 10): the RFC 6347 states,
 * with ACKs. A flight is kept as messages and each (re)transmission seals only the byte ranges
 * the peer has not acknowledged (7.3), in fresh records whose numbers the ledger remembers.
 *
 * - timer expiry: the unacknowledged part again, timer doubled (5.8.2);
 * - an ACK that leaves part of the flight unacknowledged: that part again at once, timer re-armed
 *   at its current value ("SHOULD retransmit the unacknowledged messages or fragments", 7.3), but
 *   only what was sent before the newest record the ACK names: what went out after it may still
 *   be on its way (SentFlightLedger.presumedLost), and the timer resends it if it is lost too;
 * - an ACK for the whole flight: no more retransmission ("MUST cancel all retransmissions"),
 *   and FINISHED if it was a flight that ends an exchange;
 * - the peer's next flight: an implicit acknowledgement of the whole flight (7.3);
 * - the peer retransmitting what our flight answers: the unacknowledged part again, once per datagram.
 */
export class AckedFlightTransmitter extends FlightRetransmission {
  private flight: readonly FlightHandshakeMessage[] = NO_FLIGHT;
  private ledger = NO_LEDGER;
  /** The flight ends an exchange: its ACK (not a next flight) completes it (the client's final flight, post-handshake messages). */
  private final = false;
  /** Whether the current flight had to be sent more than once (5.8.2: the timer keeps its value then). */
  private flightRetransmitted = false;
  /** The retransmission under way answers a partial ACK: what it shows lost only (SentFlightLedger.presumedLost). */
  private onlyLost = false;

  constructor(
    options: { readonly retransmit: RetransmitOptions; readonly mtu: number },
    private readonly output: AckedFlightOutput,
  ) {
    super(options);
  }

  /** The current retransmission timeout (the ACK timer of 7.1 is a quarter of it). */
  get timeoutMs(): number {
    return this.timer.currentTimeoutMs;
  }

  /** Whether the whole current flight has been acknowledged (explicitly or by the peer's next flight). */
  get acknowledged(): boolean {
    return this.flight.length === 0 || this.ledger.complete;
  }

  /**
   * PREPARING -> SENDING -> WAITING. `final`: the flight is answered by an ACK only (the client's
   * last flight of the handshake, a NewSessionTicket, KeyUpdate, NewConnectionId, ...), so an
   * ACK for all of it moves us to FINISHED.
   */
  send(messages: readonly FlightHandshakeMessage[], final: boolean, now: number): void {
    // 5.8.2: "retain the current timer value until a message is transmitted and acknowledged
    // without having to be retransmitted, at which time the value may be reset".
    const fresh = !this.flightRetransmitted;
    // The bodies in one buffer (packed-bytes.ts): a server's flight waits here for the client's
    // answer, each half-open handshake holding one.
    const bodies = messages.length > 1 ? packBytes(messages.map((m) => m.body)) : [];
    this.flight = messages.map((m, i) => ({ ...m, body: bodies[i] ?? m.body }));
    this.ledger = new SentFlightLedger(this.flight.map((m) => m.body.length));
    this.final = final;
    this.flightRetransmitted = false;
    this.current = 'sending';
    this.transmit();
    this.timer.start(now, fresh);
    this.current = 'waiting';
  }

  /** RFC 9147 7.3: an ACK from the peer. */
  onAck(numbers: readonly RecordNumber[], now: number): AckOutcome {
    if (this.flight.length === 0) return 'nothing-new';
    const outcome = this.ledger.acknowledge(numbers);
    if (outcome === 'complete') {
      this.timer.stop();
      // Nothing of it is sent again ("MUST cancel all retransmissions"): its messages and ledger go.
      this.flight = NO_FLIGHT;
      this.ledger = NO_LEDGER;
      if (this.final) this.finishFlight();
    } else if (outcome === 'progress' && this.current === 'waiting') {
      // Only what the ACK shows lost; records sent after the newest one it names may still arrive.
      this.onlyLost = true;
      this.retransmit();
      this.onlyLost = false;
      this.timer.start(now, false);
    }
    return outcome;
  }

  /** RFC 9147 7.3: "the receipt of any record responding to a given flight MUST be taken as an implicit acknowledgement for the entire flight". */
  acknowledgeImplicitly(): void {
    this.timer.stop();
    this.flight = NO_FLIGHT;
    this.ledger = NO_LEDGER;
    this.current = 'preparing';
  }

  /**
   * RFC 9147 5.8.1 (WAITING, "read retransmit"): the peer sent again what our flight answers, so
   * part of ours was lost: the unacknowledged part again, once per datagram, timer re-armed at its value.
   */
  onPeerRetransmission(now: number): void {
    if (this.acknowledged || !this.takeDatagramRetransmission()) return;
    this.retransmit();
    if (this.current === 'waiting') this.timer.start(now, false);
  }

  /** RFC 9147 5.8.2: the timer expired in WAITING: the unacknowledged part again, the timer doubled. */
  onTimer(now: number): void {
    if (this.current !== 'waiting' || !this.timer.expired(now) || this.acknowledged) return;
    this.retransmit();
    this.timer.backoff(now);
  }

  private finishFlight(): void {
    this.timer.stop();
    this.flight = NO_FLIGHT;
    this.ledger = NO_LEDGER;
    this.current = 'finished';
  }

  protected override retransmit(): void {
    this.flightRetransmitted = true;
    super.retransmit();
  }

  protected transmit(): readonly Uint8Array[] {
    const datagrams = serializeUnacked(this.flight, this.ledger, this.output.sealer, this.mtu, this.output.sendPlaintextLimit, this.onlyLost ? 'lost' : 'missing');
    this.output.transmit(datagrams);
    return datagrams;
  }
}
