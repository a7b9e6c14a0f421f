import { TLS13_LABEL_PREFIX, type LabelledHkdf } from '../../crypto/hkdf-label.js';
import { resumptionPsk } from '../../crypto/resumption-psk.js';
import type { ResolvedServerOptions } from '../../options.js';
import { encodeTicketState13 } from '../../session/ticket-state-13.js';
import type { Tls13CipherSuite } from '../../suites/tls13-cipher-suites.js';
import type { NegotiatedParameters } from '../common/negotiated-parameters.js';
import { encodeNewSessionTicket13, MAX_TICKET_LIFETIME } from '../messages/new-session-ticket-13.js';

/**
 * The NewSessionTicket our DTLS 1.3 server sends once the handshake is done (RFC 8446 4.6.1), or
 * undefined when tickets are off (`sessionTickets: false`). One ticket per connection, so one
 * nonce (a single zero byte) is unique "for all tickets issued on this connection"; its PSK is
 * HKDF-Expand-Label(resumption_master_secret, "resumption", nonce). The ticket itself is the
 * state of ticket-state-13.ts sealed under the server's ticket keys (the same `ticketKeys` as
 * DTLS 1.2's, shared by a blocking server's workers). ticket_lifetime is the session lifetime,
 * at most 7 days; ticket_age_add is fresh random (4.6.1: "MUST generate a fresh value for each
 * ticket"). A ticket too large for its 16-bit field (a huge client chain) is not sent.
 */
export function newSessionTicket13(
  config: ResolvedServerOptions,
  kdf: LabelledHkdf,
  suite: Tls13CipherSuite,
  resumptionMasterSecret: Uint8Array,
  n: NegotiatedParameters,
  wallNow: number,
): Uint8Array | undefined {
  const keys = config.ticketKeys;
  if (keys === undefined) return undefined;
  const nonce = new Uint8Array(1);
  const random = config.provider.randomBytes(4);
  const ageAdd = (((random[0] ?? 0) << 24) | ((random[1] ?? 0) << 16) | ((random[2] ?? 0) << 8) | (random[3] ?? 0)) >>> 0;
  const lifetime = Math.min(MAX_TICKET_LIFETIME, Math.ceil(config.sessionLifetimeMs / 1000));
  const ticket = keys.seal(
    encodeTicketState13({
      suiteId: suite.id,
      psk: resumptionPsk(kdf, resumptionMasterSecret, nonce),
      tls13LabelPsk: resumptionPsk({ ...kdf, labelPrefix: TLS13_LABEL_PREFIX }, resumptionMasterSecret, nonce),
      ageAdd,
      issuedAt: Math.max(0, Math.floor(wallNow)),
      lifetime,
      alpnProtocol: n.alpnProtocol,
      servername: n.servername,
      pskIdentity: n.pskIdentity,
      peerCertificates: n.peerCertificates,
      authorized: n.authorized,
    }),
  );
  if (ticket.length > 0xffff) return undefined;
  return encodeNewSessionTicket13({ lifetime, ageAdd, nonce, ticket, extensions: [] });
}
