import { AlertDescription } from '../../alert.js';
import type { ResolvedOptions } from '../../options.js';
import { HandshakeType } from '../handshake-type.js';
import { HandshakeEngine, type HandshakeHost, type HandshakeMessage } from './handshake-engine.js';
import type { FinishedHandshakeState } from './finished-handshake-state.js';
import type { NegotiatedParameters } from './negotiated-parameters.js';

/**
 * The handshake of a connection taken up after it completed elsewhere (another thread:
 * DtlsConnection.importEstablished): nothing is left to negotiate, but what a completed DTLS 1.2
 * handshake still does is done here as the original would — the last flight answers a peer that
 * retransmits its final flight (RFC 6347 4.2.4), a renegotiation request is refused with a
 * warning (RFC 5746 4, RFC 5246 7.4.1), any other new message is an unexpected_message.
 */
export class EstablishedHandshake extends HandshakeEngine {
  readonly role: 'client' | 'server';
  /** The state name the role's own handshake has once complete. */
  readonly state = 'established';
  readonly keyShareAhead = false;
  protected readonly renegotiationRequest: HandshakeType;

  constructor(
    host: HandshakeHost,
    config: ResolvedOptions,
    now: number,
    readonly negotiated: NegotiatedParameters,
    finished: FinishedHandshakeState,
  ) {
    super(host, config, now);
    this.role = finished.role;
    // RFC 5246 7.4.1.1 / 7.4.1.2: a server is asked with a ClientHello, a client with a HelloRequest.
    this.renegotiationRequest = finished.role === 'server' ? HandshakeType.client_hello : HandshakeType.hello_request;
    this.restoreFinished(finished);
  }

  /** Nothing to start: the handshake completed where it ran. */
  start(_now: number): void {}

  protected handle(m: HandshakeMessage): void {
    if (m.msgType === this.renegotiationRequest) {
      this.host.sendWarning(AlertDescription.no_renegotiation);
      return;
    }
    throw this.unexpected(m);
  }

  /** No state follows: the handshake is over. */
  protected advance(_next: unknown): void {}
}
