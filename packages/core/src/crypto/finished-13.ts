/**
 * The TLS 1.3 Finished computation (RFC 8446 4.4.4), which DTLS 1.3 keeps (RFC 9147 5): an HMAC
 * over the transcript hash under a key expanded from a traffic secret. The PSK binder is the
 * same computation under the binder key (RFC 8446 4.2.11.2), see psk-binder.ts.
 */

import { AlertDescription } from '../alert.js';
import { constantTimeEqual } from '../bytes.js';
import { DecodeError, DtlsError } from '../errors.js';
import { HASH_LENGTH } from './hkdf.js';
import { type LabelledHkdf, hkdfExpandLabel } from './hkdf-label.js';

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 4.4.4). */
export function finishedKey(kdf: LabelledHkdf, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(kdf, baseKey, 'finished', new Uint8Array(0), HASH_LENGTH[kdf.hash]);
}

/**
 * verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
 * CertificateVerify*)) (RFC 8446 4.4.4). `baseKey` is the sender's handshake traffic secret
 * (or, for a post-handshake Finished, its application traffic secret).
 */
export function finishedVerifyData13(kdf: LabelledHkdf, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return kdf.provider.hmac(kdf.hash, finishedKey(kdf, baseKey), transcriptHash);
}

/**
 * Checks a received verify_data in constant time (RFC 8446 4.4.4: "Recipients of Finished
 * messages MUST verify that the contents are correct"): decode_error when its length is not
 * Hash.length (the message is malformed), decrypt_error when it does not match.
 */
export function checkFinished13(kdf: LabelledHkdf, baseKey: Uint8Array, transcriptHash: Uint8Array, received: Uint8Array, sender: 'client' | 'server'): void {
  const expected = finishedVerifyData13(kdf, baseKey, transcriptHash);
  if (received.length !== expected.length) {
    throw new DecodeError(`${sender} Finished verify_data must be ${expected.length} bytes, got ${received.length}`);
  }
  if (!constantTimeEqual(received, expected)) {
    throw new DtlsError(AlertDescription.decrypt_error, `${sender} Finished does not verify`);
  }
}
