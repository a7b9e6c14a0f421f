import { constantTimeEqual } from '../../bytes.js';
import { packBytes } from '../../packed-bytes.js';
import { type FlightMessage, type FlightSealer, serializeFlight } from './flight.js';
import type { HandshakeFragment } from '../handshake-header.js';
import { FlightRetransmission } from './flight-retransmission.js';
import type { RetransmitOptions } from './retransmit-timer.js';

export type { FlightState } from './flight-retransmission.js';

/**
 * The peer message our current flight answers (its type, message_seq and body: what a
 * retransmission of it repeats), and the read epoch it came in. One flat object: the server keeps
 * it with its last flight for as long as the connection may need to answer the client's Finished.
 */
export interface AnsweredMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
  readonly epoch: number;
}

const NO_FLIGHT: readonly FlightMessage[] = [];
const NO_BODY = new Uint8Array(0);

/**
 * Where the transmitter's datagrams go and what seals their records: the handshake's host (the
 * connection) fits as it is, so no adapter object is made per handshake.
 */
export interface FlightOutput {
  transmit(datagrams: readonly Uint8Array[]): void;
  /** See FlightSealer.recordOverhead. */
  recordOverhead(epoch: number): number;
  readonly records: { seal(type: number, payload: Uint8Array, epoch: number): Uint8Array; readonly sendPlaintextLimit?: number };
}

/**
 * Our side of the flight exchange of RFC 6347 4.2.4: the last flight we sent, the
 * retransmission timer (4.2.4.1) and the answer to a peer that retransmits the flight our
 * flight answered. The flight is kept as messages, so each retransmission is sealed afresh.
 */
export class FlightTransmitter extends FlightRetransmission implements FlightSealer {
  private flight: readonly FlightMessage[] = NO_FLIGHT;
  private answered: AnsweredMessage | undefined;

  constructor(
    options: { readonly retransmit: RetransmitOptions; readonly mtu: number },
    private readonly output: FlightOutput,
  ) {
    super(options);
  }

  /**
   * The peer's flight has arrived and ours is being computed (a credential lookup may take a
   * while): PREPARING, with the timer stopped, so our previous flight is not retransmitted
   * meanwhile (a slow database would otherwise make both sides resend flights every few seconds).
   */
  prepare(): void {
    this.timer.stop();
    this.current = 'preparing';
  }

  /**
   * PREPARING → SENDING → WAITING (timer armed at its initial value), or → FINISHED for the last
   * flight of the handshake, which is kept only to answer retransmissions.
   */
  send(messages: readonly FlightMessage[], last: boolean, answered: AnsweredMessage | undefined, now: number): void {
    // A copy of exactly its length: the caller's array may have grown with spare capacity, and
    // the flight is kept for the whole wait (every half-open handshake holds one).
    this.flight = messages.slice();
    this.answered = answered;
    this.current = 'sending';
    this.transmit();
    if (last) {
      this.timer.stop();
      this.current = 'finished';
    } else {
      this.timer.start(now, true);
      this.current = 'waiting';
    }
  }

  /**
   * Whether a fragment is a piece of the very message our flight answered: same epoch, type and
   * length, and the same bytes. A retransmission repeats the message (RFC 6347 4.2.4); a
   * fragment that only names its message_seq is a spoofer's (an off-path attacker sees neither
   * the ClientHello's random and cookie nor the Finished, which only ever travels under the new
   * keys, RFC 5246 7.4.9). Without this, 25 spoofed bytes bought a whole certificate flight 4.
   */
  isRetransmissionOfAnswered(f: HandshakeFragment, epoch: number): boolean {
    if (this.flight.length === 0) return false;
    const answered = this.answered;
    if (!answered) return false;
    const m = answered;
    if (f.messageSeq !== m.messageSeq || f.msgType !== m.msgType || f.length !== m.body.length || epoch !== answered.epoch) return false;
    if (f.body.length === 0 && m.body.length > 0) return false;
    return constantTimeEqual(f.body, m.body.subarray(f.fragmentOffset, f.fragmentOffset + f.body.length));
  }

  /**
   * RFC 6347 4.2.4: the peer retransmitted the flight we answered, so it lost our answer: we send
   * it again — once per datagram, so a replayed flight cannot make us send more than it costs
   * the sender. WAITING --read retransmit--> SENDING --set retransmit timer--> WAITING: re-armed
   * at the current value, not doubled, which keeps our own timer from sending the same flight
   * again a moment later when both sides' timers fire close together. In FINISHED (our last
   * flight) and PREPARING the flight goes out and no timer is armed.
   */
  onPeerRetransmission(now: number): void {
    if (!this.takeDatagramRetransmission()) return;
    this.retransmit();
    if (this.current === 'waiting') this.timer.start(now, false);
  }

  /** RFC 6347 4.2.4.1: the timer expired in WAITING: SENDING the flight again, the timer doubled, WAITING. */
  onTimer(now: number): void {
    if (this.current !== 'waiting' || !this.timer.expired(now) || this.flight.length === 0) return;
    this.retransmit();
    this.timer.backoff(now);
  }

  /** The handshake is over: FINISHED, no timer; our last flight stays for retransmission if we sent it. */
  finish(keepFlight: boolean): void {
    this.timer.stop();
    this.current = 'finished';
    if (!keepFlight) {
      this.release();
      return;
    }
    // Kept maybe for the connection's life (until the peer shows it has the flight): the bodies
    // of its messages and of the message it answers, a few dozen bytes each, go into one buffer.
    const flight = this.flight;
    const answered = this.answered;
    const bodies = packBytes([...flight.map((m) => (m.kind === 'handshake' ? m.body : NO_BODY)), answered?.body ?? NO_BODY]);
    this.flight = flight.map((m, i) => (m.kind === 'handshake' ? { ...m, body: bodies[i] ?? m.body } : m));
    if (answered !== undefined) this.answered = { ...answered, body: bodies[flight.length] ?? answered.body };
  }

  /** Whether a flight is kept for retransmission. */
  get holdsFlight(): boolean {
    return this.flight.length > 0;
  }

  /** The last flight kept to answer the peer's retransmissions, and the message it answers (established-snapshot.ts). */
  keptFlight(): { readonly flight: readonly FlightMessage[]; readonly answered: AnsweredMessage | undefined } | undefined {
    return this.current === 'finished' && this.flight.length > 0 ? { flight: this.flight, answered: this.answered } : undefined;
  }

  /**
   * FINISHED with a last flight sent elsewhere (a connection moved to another thread): kept, as
   * keptFlight() gave it, to answer the peer's retransmissions (RFC 6347 4.2.4).
   */
  restoreFinished(flight: readonly FlightMessage[], answered: AnsweredMessage | undefined, retransmissions: number): void {
    this.timer.stop();
    this.current = 'finished';
    this.flight = flight.slice();
    this.answered = answered;
    this.retransmissions = retransmissions;
  }

  /** Forgets the flight and the message it answered: nothing will be retransmitted any more. */
  release(): void {
    this.flight = NO_FLIGHT;
    this.answered = undefined;
  }

  protected transmit(): readonly Uint8Array[] {
    const datagrams = serializeFlight(this.flight, this, this.mtu, this.output.records.sendPlaintextLimit);
    this.output.transmit(datagrams);
    return datagrams;
  }

  /** FlightSealer: a record of the flight, sealed by the output's record layer. */
  seal(type: number, payload: Uint8Array, epoch: number): Uint8Array {
    return this.output.records.seal(type, payload, epoch);
  }

  /** FlightSealer: what the output's record format and keys add to a record of this epoch. */
  recordOverhead(epoch: number): number {
    return this.output.recordOverhead(epoch);
  }
}
