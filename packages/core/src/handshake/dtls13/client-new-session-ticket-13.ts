import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import type { ClientContext } from '../dtls12/client/client-state.js';
import type { ApplicationSecrets13 } from './client-established.js';
import { sessionFromTicket13 } from './client-session-ticket-13.js';

/**
 * A NewSessionTicket on an established DTLS 1.3 connection (RFC 8446 4.6.1): it must come under
 * the application keys (RFC 9147 5: post-handshake messages are protected); RFC 9147 5.8/7: the
 * record that carried it is acknowledged at once by the client's flights (client-flights-13.ts
 * acknowledges every post-handshake record, and again when the server resends it), and the
 * ticket becomes the connection's session (getSession(), the 'session' event).
 */
export function onNewSessionTicket13(m: HandshakeMessage, secrets: ApplicationSecrets13, cx: ClientContext): void {
  if (m.sources.length > 0) throw new DtlsError(AlertDescription.unexpected_message, 'a NewSessionTicket must come under the application keys (RFC 9147 5)');
  const rms = secrets.resumptionMasterSecret;
  if (rms === undefined) return;
  const session = sessionFromTicket13(m.body, { kdf: secrets.kdf, suite: secrets.suite, resumptionMasterSecret: rms, label: cx.config.ticketPskLabel }, cx.negotiated, cx.wallNow);
  if (session !== undefined) cx.newSession(session);
}
