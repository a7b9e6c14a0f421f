import type { ServerCredentials } from '../../../config.js';
import type { ResolvedServerOptions } from '../../../options.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { StateContext } from '../../common/state-context.js';
import type { SessionIssue } from '../../../session/session-issue.js';

/** The server's steps of RFC 6347 4.2.4 Figure 1 (after the cookie exchange), by what each waits for. */
export type ServerStateName =
  | 'wait_client_hello' // the ClientHello that carried a valid cookie
  | 'wait_sni' // SNICallback has not yet answered with the credentials for the client's server_name
  | 'wait_session' // the session store has not yet answered for the session ID the client offers
  | 'wait_resumed_finished' // abbreviated handshake (RFC 5246 7.3): our flight is out, the client's ChangeCipherSpec and Finished next
  | 'wait_signature' // our ServerKeyExchange signature is pending (certificate suites)
  | 'wait_client_certificate' // flight 4 sent with a CertificateRequest
  | 'wait_client_key_exchange' // flight 4 sent
  | 'wait_psk' // the PSK lookup for the client's identity is pending
  | 'wait_certificate_verify' // the client sent a certificate: proof it holds the key
  | 'wait_finished' // ChangeCipherSpec then Finished
  | 'established';

/** What a server state may do with the handshake that runs it. */
export interface ServerContext extends StateContext<ResolvedServerOptions, ServerState> {
  /** The client's ClientKeyExchange (the first message of its flight 5) had this message_seq. */
  clientKeyExchangeAt(messageSeq: number): void;
  /** The rest of the handshake runs with these credentials (SNICallback's answer) instead of the defaults. */
  useCredentials(credentials: ServerCredentials): void;
  /** How the full handshake's session will be kept (decided with the ServerHello, used after the client's Finished). */
  sessionIssue: SessionIssue | undefined;
}

/**
 * One state of the server: it owns exactly the data valid in it, and handle() returns the next
 * state (or throws a DtlsError that ends the connection).
 */
export interface ServerState {
  readonly name: ServerStateName;
  handle(m: HandshakeMessage, cx: ServerContext): ServerState;
}

/** A state in which no message is expected: a lookup or a signature is pending (the engine then reads nothing). */
export function idle(name: 'wait_sni' | 'wait_session' | 'wait_psk' | 'wait_signature'): ServerState {
  return {
    name,
    handle: (m, cx) => {
      throw cx.unexpected(m);
    },
  };
}
