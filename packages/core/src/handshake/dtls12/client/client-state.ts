import type { ReadRecord } from '../../../record/record-layer.js';
import type { ConnectionIdUpdates13 } from '../../dtls13/connection-id-updates-13.js';
import type { AlertDescription } from '../../../alert.js';
import type { ResolvedClientOptions } from '../../../options.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { StateContext } from '../../common/state-context.js';
import type { ClientResumption } from '../../../session/client-resumption.js';

/** The client's steps of RFC 6347 4.2.4 Figure 1 (full handshake), by what each waits for. */
export type ClientStateName =
  | 'start'
  | 'wait_server_hello' // flight 1/3 sent: HelloVerifyRequest or ServerHello next
  | 'wait_certificate' // certificate suites: the server's chain
  | 'wait_server_key_exchange' // ServerKeyExchange (optional for plain PSK without a hint)
  | 'wait_server_hello_done' // (CertificateRequest allowed first in certificate suites)
  | 'wait_psk' // the PSK lookup for the server's hint is pending
  | 'wait_signature' // our CertificateVerify signature is pending
  | 'wait_finished' // flight 5 sent: [NewSessionTicket], ChangeCipherSpec then Finished
  | 'wait_resumed_finished' // abbreviated handshake (RFC 5246 7.3): the server resumed; [NewSessionTicket], its ChangeCipherSpec and Finished
  | 'wait_encrypted_extensions' // DTLS 1.3 (RFC 8446 2): the ServerHello is in, the server's epoch-2 flight next
  | 'wait_certificate_or_request' // DTLS 1.3 certificate authentication: [CertificateRequest], Certificate
  | 'wait_certificate_verify' // DTLS 1.3: the server's CertificateVerify
  | 'established';

/** What a client state may do with the handshake that runs it. */
export interface ClientContext extends StateContext<ResolvedClientOptions, ClientState> {
  /** The session offered, the server's answer to it, and the session this handshake leaves. */
  readonly resumption: ClientResumption;
}

/**
 * One state of the client: it owns exactly the data valid in it, and handle() returns the next
 * state (or throws a DtlsError that ends the connection).
 */
export interface ClientState {
  readonly name: ClientStateName;
  handle(m: HandshakeMessage, cx: ClientContext): ClientState;
  /** A DTLS 1.3 ACK (RFC 9147 7) in this state; absent: nothing waits for one. */
  onAck?(record: ReadRecord, cx: ClientContext): ClientState;
  /** See Handshake.updateKeys (DTLS 1.3, established only). */
  updateKeys?(cx: ClientContext): ClientState;
  /** The DTLS 1.3 CID state after the handshake (RFC 9147 9), when CIDs were negotiated. */
  connectionIdUpdates?(cx: ClientContext): ConnectionIdUpdates13 | undefined;
  /** What a fatal alert from the server means in this state (see Handshake.peerAlertHint). */
  peerAlertHint?(description: AlertDescription): string | undefined;
  /** What the server's silence until the handshake deadline means in this state. */
  timeoutHint?(): string | undefined;
  /** See Handshake.keyShareAhead (absent: false). */
  readonly keyShareAhead?: boolean;
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
