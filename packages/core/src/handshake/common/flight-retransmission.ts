import { type RetransmitOptions, RetransmitTimer } from './retransmit-timer.js';

/**
 * RFC 6347 4.2.4 (and RFC 9147 5.8.1, which keeps them): "the protocol is always in one of four
 * states: PREPARING, SENDING, WAITING, or FINISHED". SENDING lasts only while a flight is written
 * out; the retransmission timer runs only in WAITING.
 */
export type FlightState = 'preparing' | 'sending' | 'waiting' | 'finished';

/**
 * What every version's flight sender shares: the state, the retransmission timer, and at most
 * one retransmission triggered by the peer per datagram (so a replayed datagram cannot make us
 * send more than it costs its sender). The version decides what a (re)transmission carries:
 * DTLS 1.2 the whole flight (FlightTransmitter), DTLS 1.3 what is not acknowledged (AckedFlightTransmitter).
 */
export abstract class FlightRetransmission {
  protected current: FlightState = 'preparing';
  protected readonly timer: RetransmitTimer;
  protected readonly mtu: number;
  private retransmittedInDatagram = false;
  /**
   * Retransmissions and what they put on the wire, made at the first one: an idle server holds
   * thousands of these, most of which never retransmit (established-memory.test.ts counts the bytes).
   */
  private resent: { count: number; bytes: number; datagrams: number } | undefined;

  /** Retransmissions sent (timer, peer-triggered or, in DTLS 1.3, after a partial ACK), for stats and tests. */
  get retransmissions(): number {
    return this.resent?.count ?? 0;
  }

  set retransmissions(count: number) {
    if (count === 0 && this.resent === undefined) return;
    (this.resent ??= { count: 0, bytes: 0, datagrams: 0 }).count = count;
  }

  /** Bytes and datagrams the retransmissions put on the wire (the loss simulator compares versions by them). */
  get retransmittedBytes(): number {
    return this.resent?.bytes ?? 0;
  }

  get retransmittedDatagrams(): number {
    return this.resent?.datagrams ?? 0;
  }

  constructor(options: { readonly retransmit: RetransmitOptions; readonly mtu: number }) {
    this.timer = new RetransmitTimer(options.retransmit);
    this.mtu = options.mtu;
  }

  get state(): FlightState {
    return this.current;
  }

  /** When the retransmission timer fires: only while WAITING. */
  get deadline(): number | undefined {
    return this.current === 'waiting' ? this.timer.deadline : undefined;
  }

  /** A new datagram from the peer: at most one peer-triggered retransmission per datagram. */
  beginDatagram(): void {
    this.retransmittedInDatagram = false;
  }

  /** Whether the peer may still trigger a retransmission with the current datagram (and take it if so). */
  protected takeDatagramRetransmission(): boolean {
    if (this.retransmittedInDatagram) return false;
    this.retransmittedInDatagram = true;
    return true;
  }

  /** SENDING the flight again (what it carries is the version's), then back to the state we were in. */
  protected retransmit(): void {
    const state = this.current;
    this.current = 'sending';
    const sent = this.transmit();
    // Nothing due (DTLS 1.3: all that is unacknowledged may still be on its way) is no retransmission.
    if (sent.length > 0) {
      const resent = (this.resent ??= { count: 0, bytes: 0, datagrams: 0 });
      resent.count++;
      resent.datagrams += sent.length;
      for (const d of sent) resent.bytes += d.length;
    }
    this.current = state;
  }

  /** Seals and sends the flight (or what of it is still due); returns the datagrams it sent. */
  protected abstract transmit(): readonly Uint8Array[];
}
