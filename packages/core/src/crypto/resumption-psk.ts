/**
 * The PSK a NewSessionTicket stands for (RFC 8446 4.6.1): each ticket's nonce gives it its own
 * PSK from the one resumption_master_secret of the connection.
 */

import { HASH_LENGTH } from './hkdf.js';
import { type LabelledHkdf, hkdfExpandLabel } from './hkdf-label.js';

/**
 * PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)
 * (RFC 8446 4.6.1). The nonce is opaque<0..255> on the wire; a longer one is a RangeError.
 */
export function resumptionPsk(kdf: LabelledHkdf, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(kdf, resumptionMasterSecret, 'resumption', ticketNonce, HASH_LENGTH[kdf.hash]);
}
