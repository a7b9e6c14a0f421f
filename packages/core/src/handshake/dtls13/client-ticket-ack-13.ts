import { AlertDescription } from '../../alert.js';
import { DtlsError } from '../../errors.js';
import { ACK_CONTENT_TYPE, encodeAck } from '../../record/ack.js';
import type { ReadRecord } from '../../record/record-layer.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { decodeHandshakeFragments } from '../handshake-header.js';
import type { ClientContext } from '../dtls12/client/client-state.js';
import type { ApplicationSecrets13 } from './client-established.js';
import { sessionFromTicket13 } from './client-session-ticket-13.js';

/**
 * A NewSessionTicket on an established DTLS 1.3 connection (RFC 8446 4.6.1): it must come under
 * the application keys (RFC 9147 5: post-handshake messages are protected); RFC 9147 5.8/7: the
 * record that carried it is acknowledged at once (the server retransmits it until then), and the
 * ticket becomes the connection's session (getSession(), the 'session' event).
 */
export function onNewSessionTicket13(m: HandshakeMessage, secrets: ApplicationSecrets13, cx: ClientContext): void {
  if (m.sources.length > 0) throw new DtlsError(AlertDescription.unexpected_message, 'a NewSessionTicket must come under the application keys (RFC 9147 5)');
  const received = cx.lastRecordNumber;
  if (received !== undefined) cx.sendRecord(ACK_CONTENT_TYPE, encodeAck([received]));
  const rms = secrets.resumptionMasterSecret;
  if (rms === undefined) return;
  const session = sessionFromTicket13(m.body, { kdf: secrets.kdf, suite: secrets.suite, resumptionMasterSecret: rms, label: cx.config.ticketPskLabel }, cx.negotiated, cx.wallNow);
  if (session !== undefined) cx.newSession(session);
}

/**
 * RFC 9147 7.1: a post-handshake record that holds only messages we already processed (the
 * server resent its NewSessionTicket or KeyUpdate: our ACK was lost) is acknowledged again.
 */
export function onlyOldMessages(record: ReadRecord, nextSeq: number): boolean {
  let fragments;
  try {
    fragments = decodeHandshakeFragments(record.payload);
  } catch {
    return false;
  }
  return fragments.length > 0 && fragments.every((f) => f.messageSeq < nextSeq);
}
