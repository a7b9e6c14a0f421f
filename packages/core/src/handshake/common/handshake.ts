import type { AlertDescription } from '../../alert.js';
import type { ReadRecord } from '../../record/record-layer.js';
import type { NegotiatedParameters } from './negotiated-parameters.js';
import type { FinishedHandshakeState } from './finished-handshake-state.js';

/** No connection IDs: one shared empty list, so that a per-datagram question allocates nothing. */
export const NO_CONNECTION_IDS: readonly Uint8Array[] = Object.freeze([]);

/**
 * What the connection needs from a handshake, whatever the role and (later) the protocol
 * version: records of the handshake's content types go in, flights go out through the host,
 * and time drives the retransmission timer. The connection never asks which role it holds
 * beyond `role`.
 */
export interface Handshake {
  readonly role: 'client' | 'server';
  /** The state name (e.g. wait_server_hello), for tracing, tests and errors. */
  readonly state: string;
  readonly negotiated: NegotiatedParameters;
  /**
   * Whether an ephemeral key pair made now would serve a flight of ours still to come and not
   * depend on the peer's answer, in time the peer spends working: a client whose flight 3 (the
   * ClientHello with the cookie) is out (its ClientKeyExchange follows the server's flight 4), a
   * server whose flight 4 is out (for the next handshake's ServerKeyExchange). See
   * DtlsConnection.prepare.
   */
  readonly keyShareAhead: boolean;
  /** Retransmissions sent (timer or peer-triggered), for stats and tests. */
  readonly retransmissions: number;
  /** Bytes and datagrams those retransmissions put on the wire (absent: not counted). */
  readonly retransmitted?: { readonly bytes: number; readonly datagrams: number };
  /** DTLS 1.3: sends a KeyUpdate (RFC 9147 8), asking the peer to update too when `requestPeer` (absent: not supported). */
  keyUpdate?(requestPeer: boolean): void;
  /** DTLS 1.3 ACK records (RFC 9147 7) sent and received (absent: not counted). */
  readonly ackRecords?: { readonly sent: number; readonly received: number };
  /**
   * Starts the handshake at `now`: a client sends flight 1 (RFC 6347 4.2.4 Figure 1); a server
   * processes the ClientHello whose cookie the endpoint verified (RFC 6347 4.2.1).
   */
  start(now: number): void;
  /** Called before each datagram. */
  beginDatagram(): void;
  /**
   * Every record but application data, of any epoch the record layer could open: what a
   * handshake record, a ChangeCipherSpec or an alert means is the protocol version's to decide.
   */
  onRecord(record: ReadRecord): void;
  /** Handles every complete message that is ready. */
  processMessages(): void;
  /** Applies a finished asynchronous credential lookup, if any. */
  resume(): void;
  nextTimeout(): number | undefined;
  /**
   * What a fatal alert from the peer most likely means at this step of the handshake (e.g. the
   * server could not verify our Finished: a different PSK?), to follow the alert's name.
   */
  peerAlertHint?(description: AlertDescription): string | undefined;
  /**
   * DTLS 1.3 (RFC 9147 4.5.3, 8): our write key nears its AEAD limit: send a KeyUpdate of ours
   * unless one is already waiting for its ACK. Absent in DTLS 1.2.
   */
  updateKeys?(): void;
  /** DTLS 1.3 (RFC 9147 9): sends a RequestConnectionId for `count` CIDs; false when it may not now. */
  requestConnectionIds?(count: number): boolean;
  /** DTLS 1.3 (RFC 9147 9): our records use the peer's next spare CID; false when none is left. */
  useNextConnectionId?(): boolean;
  /** DTLS 1.3 (RFC 9147 9): every CID of ours the peer may write (the negotiated one and those we issued since). */
  receiveConnectionIds?(): readonly Uint8Array[];
  handleTimeout(now: number): void;
  /**
   * The peer sent, under the handshake's final keys, something other than a handshake message
   * (application data, an alert) after the handshake completed: it has our last flight (RFC 6347
   * 4.2.4: a peer only goes on once it has the flight it waited for). The flight kept to answer
   * its retransmissions, and the epoch-0 states kept for them, are freed.
   */
  peerConfirmed(): void;
  /**
   * What the completed handshake must still do (its last flight, message_seq counters), as plain
   * data for another thread (DtlsConnection.exportEstablished). Throws TypeError before completion.
   */
  exportFinished(): FinishedHandshakeState;
}
