import { binderKey, earlySecret } from '../../crypto/key-schedule-13.js';
import { checkPskBinder } from '../../crypto/psk-binder.js';
import { tlsHandshakeMessage } from '../../crypto/transcript-13.js';
import { DecodeError, DtlsError } from '../../errors.js';
import type { ResolvedServerOptions } from '../../options.js';
import { decodeTicketState13, type TicketState13 } from '../../session/ticket-state-13.js';
import { tls13CipherSuiteById } from '../../suites/tls13-cipher-suites.js';
import type { NegotiatedParameters } from '../common/negotiated-parameters.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { bindersLength } from '../extensions/pre-shared-key.js';
import { decodeServerName } from '../extensions/server-name.js';
import type { ClientHello } from '../messages/client-hello.js';
import { HandshakeType } from '../handshake-type.js';
import { MAX_TICKET_LIFETIME } from '../messages/new-session-ticket-13.js';
import type { ClientHello2 } from './server-client-hello-2.js';
import type { PskOffer13 } from './server-psk-13.js';

/**
 * How far the age the client reports (RFC 8446 4.2.11.1) may be from the age we count from our
 * own issue time: the round trip that carried the ticket, and clock rate differences. RFC 8446
 * 8.3 asks for such a window for 0-RTT; without 0-RTT a ticket outside it is only not resumed.
 */
export const TICKET_AGE_WINDOW_MS = 10_000;

/** Offered identities tried as tickets of ours, at most (each costs an AEAD open). */
const MAX_TICKETS_TRIED = 8;

/** A ticket of ours the client offered, opened and checked: the PSK to run the handshake with. */
export interface AcceptedTicket13 {
  /** Its place among the offered identities (ServerHello selected_identity, RFC 8446 4.2.11). */
  readonly index: number;
  readonly state: TicketState13;
  /** The PSK whose binder verified: state.psk, or state.tls13LabelPsk for a wolfSSL 5.5.4 client. */
  readonly key: Uint8Array;
}

/**
 * Whether `state` may be resumed by this ClientHello: the suite the HelloRetryRequest chose has
 * the ticket's hash (RFC 8446 4.2.11: "Any ticket MUST only be resumed with a cipher suite that
 * has the same KDF hash algorithm as that used to establish the original connection"), the ticket
 * is within its lifetime (4.6.1), the client's obfuscated age undoes to our own count within
 * TICKET_AGE_WINDOW_MS (4.2.11.1, 8.3), and the server_name is the one it was issued for (4.6.1:
 * a PSK is tied to the SNI of the original connection).
 */
function resumable(ch: ClientHello2, state: TicketState13, obfuscatedAge: number, wallNow: number, servername: string | undefined): boolean {
  const suite = tls13CipherSuiteById(state.suiteId);
  if (suite === undefined || suite.hash !== ch.suite.hash) return false;
  const age = wallNow - state.issuedAt;
  if (age < -60_000 || age >= Math.min(state.lifetime, MAX_TICKET_LIFETIME) * 1000) return false;
  const reported = (obfuscatedAge - state.ageAdd + 0x1_0000_0000) % 0x1_0000_0000;
  if (Math.abs(reported - Math.max(0, age)) > TICKET_AGE_WINDOW_MS) return false;
  return state.servername === servername;
}

/**
 * RFC 8446 2.2 / 4.2.11 on the server: the first offered identity that is a ticket we sealed
 * (config.ticketKeys) and can still resume; its binder, made with binder_key "res binder" of the
 * ticket's PSK over the truncated ClientHello (4.2.11.2), MUST then verify: decrypt_error if not.
 * Identities that are not our tickets (an external PSK, a ticket of other keys or of DTLS 1.2)
 * are passed over; undefined when none is ours (a full handshake or the external PSK follows).
 */
export function acceptTicket13(ch: ClientHello2, offer: PskOffer13, config: ResolvedServerOptions, wallNow: number, servername: string | undefined): AcceptedTicket13 | undefined {
  const keys = config.ticketKeys;
  if (keys === undefined) return undefined;
  for (const [index, identity] of offer.offered.identities.entries()) {
    // Bounded work per ClientHello, whatever the number of identities it lists.
    if (index >= MAX_TICKETS_TRIED) break;
    const opened = keys.open(identity.identity);
    if (opened === undefined) continue;
    let state: TicketState13;
    try {
      state = decodeTicketState13(opened);
    } catch (err) {
      if (err instanceof DecodeError) continue; // a DTLS 1.2 ticket under the same keys
      throw err;
    }
    if (!resumable(ch, state, identity.obfuscatedTicketAge, wallNow, servername)) continue;
    const binder = offer.offered.binders[index];
    if (binder === undefined) continue;
    const truncated = tlsHandshakeMessage(HandshakeType.client_hello, ch.body).subarray(0, 4 + ch.body.length - bindersLength(offer.offered.binders));
    const hash = ch.transcript.hashWith(ch.kdf.provider, ch.kdf.hash, truncated);
    const check = (key: Uint8Array): void => checkPskBinder(ch.kdf, binderKey(ch.kdf, earlySecret(ch.kdf, key), 'resumption'), hash, binder);
    try {
      check(state.psk);
      return { index, state, key: state.psk };
    } catch (err) {
      if (!(err instanceof DtlsError)) throw err;
    }
    // wolfSSL 5.5.4's label ("tls13 resumption"); neither verifying is decrypt_error (RFC 8446 4.2.11).
    check(state.tls13LabelPsk);
    return { index, state, key: state.tls13LabelPsk };
  }
  return undefined;
}

/** The server_name of the ClientHello (RFC 6066 3), which a ticket is tied to. */
export function clientServername13(hello: ClientHello): string | undefined {
  const sni = findExtension(hello.extensions, ExtensionType.server_name);
  return sni === undefined ? undefined : decodeServerName(sni.data);
}

/**
 * What a resumed connection reports (node:tls): isSessionReused(), and from the ticket what the
 * full handshake established that this one does not show again (the client's certificates and
 * whether they were authorized, the external PSK identity).
 */
export function resumedFromTicket13(n: NegotiatedParameters, state: TicketState13): void {
  n.sessionReused = true;
  n.peerCertificates = state.peerCertificates;
  n.authorized = state.authorized;
  n.pskIdentity = state.pskIdentity;
}
