import type { AlertDescription } from '../../../alert.js';
import type { DtlsError } from '../../../errors.js';
import type { ResolvedClientOptions } from '../../../options.js';
import type { EpochKeys } from '../../../record/epoch-keys.js';
import type { RecordLayer } from '../../../record/record-layer.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { NegotiatedParameters } from '../../common/negotiated-parameters.js';
import type { FlightHandshakeMessage, FlightMessage } from '../../flight.js';
import type { AwaitValue } from '../../key-exchange/key-exchange.js';
import type { Transcript } from '../../transcript.js';

/** The client's steps of RFC 6347 4.2.4 Figure 1 (full handshake), by what each waits for. */
export type ClientStateName =
  | 'start'
  | 'wait_server_hello' // flight 1/3 sent: HelloVerifyRequest or ServerHello next
  | 'wait_certificate' // certificate suites: the server's chain
  | 'wait_server_key_exchange' // ServerKeyExchange (optional for plain PSK without a hint)
  | 'wait_server_hello_done' // (CertificateRequest allowed first in certificate suites)
  | 'wait_psk' // the PSK lookup for the server's hint is pending
  | 'wait_signature' // our CertificateVerify signature is pending
  | 'wait_finished' // flight 5 sent: ChangeCipherSpec then Finished
  | 'established';

/** What a client state may do with the handshake that runs it. */
export interface ClientContext {
  readonly config: ResolvedClientOptions;
  /** What the connection exposes; filled in as the handshake learns it. */
  readonly negotiated: NegotiatedParameters;
  readonly transcript: Transcript;
  readonly records: RecordLayer;
  /** The next outgoing message, with its message_seq (RFC 6347 4.2.2). */
  message(msgType: number, body: Uint8Array): FlightHandshakeMessage;
  sendFlight(messages: readonly FlightMessage[], last: boolean): void;
  /** The server's keys, active once its ChangeCipherSpec arrives (RFC 5246 7.1). */
  expectChangeCipherSpec(keys: EpochKeys): void;
  /** RFC 5246 7.4.9: throws unless the Finished came wholly under the new keys. */
  checkFinishedUnderNewKeys(m: HandshakeMessage): void;
  /** unexpected_message naming the current state. */
  unexpected(m: HandshakeMessage): DtlsError;
  finish(keepFlight: boolean): void;
  sendWarning(description: AlertDescription): void;
  /**
   * awaitValue for a step whose next state depends on a value that may be pending: the step
   * returns `waiting` meanwhile, and the handshake moves on when the value arrives.
   */
  wait(waiting: ClientState): AwaitValue<ClientState>;
}

/**
 * One state of the client: it owns exactly the data valid in it, and handle() returns the next
 * state (or throws a DtlsError that ends the connection).
 */
export interface ClientState {
  readonly name: ClientStateName;
  handle(m: HandshakeMessage, cx: ClientContext): ClientState;
}

/** A state in which no message is expected: before the first flight, or while a lookup is pending (the engine then reads nothing). */
export function idle(name: 'start' | 'wait_psk' | 'wait_signature'): ClientState {
  return {
    name,
    handle: (m, cx) => {
      throw cx.unexpected(m);
    },
  };
}
