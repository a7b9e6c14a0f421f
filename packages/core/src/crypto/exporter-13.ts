/**
 * The TLS 1.3 keying-material exporter (RFC 8446 7.5), which DTLS 1.3 keeps with its own label
 * prefix (RFC 9147 5.9). Unlike RFC 5705 for 1.2, an absent context is the same as an empty one.
 */

import { HASH_LENGTH } from './hkdf.js';
import { type LabelledHkdf, deriveSecret, emptyHash, hkdfExpandLabel } from './hkdf-label.js';

/**
 * TLS-Exporter(label, context_value, key_length) = HKDF-Expand-Label(Derive-Secret(Secret, label,
 * ""), "exporter", Hash(context_value), key_length), where Secret is the exporter_master_secret
 * (or the early_exporter_master_secret for 0-RTT). Throws TypeError for a non-ASCII label and
 * RangeError for a label too long for the HkdfLabel (RFC 8446 7.1) or a length above 2^16-1.
 */
export function exportKeyingMaterial13(
  kdf: LabelledHkdf,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (exporterSecret.length !== HASH_LENGTH[kdf.hash]) {
    throw new RangeError(`exporter secret must be ${HASH_LENGTH[kdf.hash]} bytes, got ${exporterSecret.length}`);
  }
  const derived = deriveSecret(kdf, exporterSecret, label, emptyHash(kdf));
  const contextHash = kdf.provider.hash(kdf.hash, context ?? new Uint8Array(0));
  return hkdfExpandLabel(kdf, derived, 'exporter', contextHash, length);
}
