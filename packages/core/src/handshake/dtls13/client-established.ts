import type { HandshakeMessage } from '../common/handshake-engine.js';
import { HandshakeType } from '../handshake-type.js';
import { decodeNewSessionTicket13 } from '../messages/new-session-ticket-13.js';
import type { ClientContext, ClientState } from '../dtls12/client/client-state.js';

/**
 * The DTLS 1.3 handshake is over (RFC 8446 4.6): a NewSessionTicket is read and let go (we do not
 * resume 1.3 sessions yet); any other handshake message is unexpected.
 */
export class Dtls13ClientEstablished implements ClientState {
  readonly name = 'established';

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.new_session_ticket) throw cx.unexpected(m);
    decodeNewSessionTicket13(m.body);
    return this;
  }
}
