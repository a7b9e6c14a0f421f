import type { AlertDescription, AlertLevel } from '../alert.js';
import { DTLS_1_2 } from '../handshake/protocol-version.js';
import { ContentType } from '../record/content-type.js';
import { encodeRecord } from '../record/record-header.js';

/**
 * An alert record in epoch 0 (plaintext), for a peer that has no connection to send it: a server
 * that refuses or evicts a verified ClientHello, or shuts down with one still queued. RFC 5246
 * 7.2.2: a handshake failure is told with a fatal alert; before the keys exist it is in clear.
 * RFC 6347 4.2.1: the server's records continue from the ClientHello's record sequence number, so
 * that number is the alert's.
 */
export function plaintextAlert(recordSeq: number, level: AlertLevel, description: AlertDescription): Uint8Array {
  return encodeRecord({ type: ContentType.alert, version: DTLS_1_2, epoch: 0, sequenceNumber: recordSeq }, new Uint8Array([level, description]));
}
