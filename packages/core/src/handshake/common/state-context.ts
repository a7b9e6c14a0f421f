import type { RecordNumber } from '../../record/ack.js';
import type { AlertDescription } from '../../alert.js';
import type { DtlsError } from '../../errors.js';
import type { ResolvedOptions } from '../../options.js';
import type { RecordKeys } from '../../record/epoch-keys.js';
import type { ReadRecord, RecordLayer } from '../../record/record-layer.js';
import type { FlightHandshakeMessage, FlightMessage } from './flight.js';
import type { AwaitValue } from '../key-exchange/key-exchange.js';
import type { Transcript } from './transcript.js';
import type { HandshakeMessage } from './handshake-engine.js';
import type { NegotiatedParameters } from './negotiated-parameters.js';

/** What a handshake state (of role options C, state type S) may do with the handshake that runs it. */
export interface StateContext<C extends ResolvedOptions, S> {
  readonly config: C;
  /** What the connection exposes; filled in as the handshake learns it. */
  readonly negotiated: NegotiatedParameters;
  readonly transcript: Transcript;
  readonly records: RecordLayer;
  /** Wall-clock ms since 1970 (from the runtime), for session ages. */
  readonly wallNow: number;
  /** The next outgoing message, with its message_seq (RFC 6347 4.2.2). */
  message(msgType: number, body: Uint8Array): FlightHandshakeMessage;
  sendFlight(messages: readonly FlightMessage[], last: boolean): void;
  /** The peer's keys, active once its ChangeCipherSpec arrives (RFC 5246 7.1). */
  expectChangeCipherSpec(keys: RecordKeys): void;
  /** RFC 5246 7.4.9: throws unless the Finished came wholly under the new keys. */
  checkFinishedUnderNewKeys(m: HandshakeMessage): void;
  /** unexpected_message naming the current state. */
  unexpected(m: HandshakeMessage): DtlsError;
  finish(keepFlight: boolean): void;
  /** Records released by a new read epoch's keys (DTLS 1.3: held until then), processed as if just received. */
  deliver(records: readonly ReadRecord[]): void;
  /** The (epoch, sequence number) of the last authenticated handshake record read: what a DTLS 1.3 ACK names (RFC 9147 7). */
  readonly lastRecordNumber: RecordNumber | undefined;
  /** Seals one record of `type` in the current write epoch and sends it at once (a DTLS 1.3 ACK, RFC 9147 7). */
  sendRecord(type: number, content: Uint8Array): void;
  sendWarning(description: AlertDescription): void;
  /**
   * awaitValue for a step whose next state depends on a value that may be pending: the step
   * returns `waiting` meanwhile, and the handshake moves on when the value arrives.
   */
  wait(waiting: S): AwaitValue<S>;
}
