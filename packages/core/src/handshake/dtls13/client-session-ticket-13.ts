import { DTLS13_LABEL_PREFIX, TLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import { resumptionPsk } from '../../crypto/resumption-psk.js';
import { type ClientSession13, encodeClientSession13 } from '../../session/client-session-13.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import type { NegotiatedParameters } from '../common/negotiated-parameters.js';
import { decodeNewSessionTicket13 } from '../messages/new-session-ticket-13.js';

/** What turns a NewSessionTicket into a session (RFC 8446 4.6.1): the connection's resumption_master_secret and suite. */
export interface TicketContext13 {
  readonly kdf: LabelledHkdf;
  readonly suite: Tls13CipherSuite;
  readonly resumptionMasterSecret: Uint8Array;
  /** ClientOptions.ticketPskLabel: 'tls13' for a wolfSSL 5.5.4 server. */
  readonly label: 'dtls13' | 'tls13';
}

/**
 * RFC 8446 4.6.1 on the client: a NewSessionTicket becomes a session to resume with, its PSK
 * HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length), kept
 * with the ticket, ticket_age_add, the lifetime and when it came (`wallNow`), and what a resumed
 * handshake will not show again (the server's certificates, ALPN, SNI). A lifetime of 0 ("the
 * ticket should be discarded immediately") gives no session. DecodeError for a malformed message.
 */
export function sessionFromTicket13(body: Uint8Array, cx: TicketContext13, n: NegotiatedParameters, wallNow: number): Uint8Array | undefined {
  const t = decodeNewSessionTicket13(body);
  if (t.lifetime === 0) return undefined;
  const session: ClientSession13 = {
    suiteId: cx.suite.id,
    psk: resumptionPsk({ ...cx.kdf, labelPrefix: cx.label === 'tls13' ? TLS13_LABEL_PREFIX : DTLS13_LABEL_PREFIX }, cx.resumptionMasterSecret, t.nonce),
    ticket: t.ticket,
    ageAdd: t.ageAdd,
    lifetime: t.lifetime,
    receivedAt: Math.max(0, Math.floor(wallNow)),
    alpnProtocol: n.alpnProtocol,
    servername: n.servername,
    peerCertificates: n.peerCertificates,
    pskIdentity: n.pskIdentity,
  };
  return encodeClientSession13(session);
}

/**
 * The server selected our ticket (RFC 8446 2.2): isSessionReused(), and the server's certificates
 * as the full handshake checked them (node:tls reports them on a resumed connection too; a
 * resumed DTLS 1.2 session does the same, resumed.ts).
 */
export function resumedWithTicket13(n: NegotiatedParameters, session: ClientSession13): void {
  n.sessionReused = true;
  n.peerCertificates = session.peerCertificates;
  // The external PSK's identity of the full handshake (RFC 8446 4.2.11), as a resumed 1.2 session reports it.
  n.pskIdentity = session.pskIdentity;
  n.authorized = session.peerCertificates.length > 0;
}
