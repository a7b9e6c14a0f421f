import type { FlightMessage } from './flight.js';
import type { AnsweredMessage } from './flight-transmitter.js';

/**
 * What a completed DTLS 1.2 handshake must still do, as plain data (structured-clone friendly):
 * the message_seq counters, and the last flight kept with the peer message it answers, so that a
 * peer that retransmits its final flight is answered again (RFC 6347 4.2.4: "the server ... MUST
 * retransmit its last flight" when the client's retransmission arrives). No flight when the peer
 * has shown it has ours, or when the peer sent the last flight.
 */
export interface FinishedHandshakeState {
  readonly role: 'client' | 'server';
  /** message_seq of the next message the peer may send (a renegotiation attempt, refused). */
  readonly nextReceiveSeq: number;
  /** message_seq of our next message. */
  readonly nextSendSeq: number;
  /** Retransmissions sent so far (stats). */
  readonly retransmissions: number;
  readonly lastFlight: { readonly flight: readonly FlightMessage[]; readonly answered: AnsweredMessage | undefined } | undefined;
}

/** A flight message with its own bytes: a view into a larger buffer would carry that whole buffer through postMessage. */
export function ownFlightMessage(m: FlightMessage): FlightMessage {
  return m.kind === 'change_cipher_spec' ? { kind: m.kind, epoch: m.epoch } : { kind: m.kind, msgType: m.msgType, messageSeq: m.messageSeq, body: m.body.slice(), epoch: m.epoch };
}
