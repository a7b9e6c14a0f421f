/**
 * PSK binders (RFC 8446 4.2.11.2): each PSK the ClientHello offers is bound to the hello by an
 * HMAC over the transcript up to the ClientHello truncated just before its binders list, under a
 * key derived from the PSK. DTLS 1.3 hashes the truncated hello in its TLS form (RFC 9147 5.2).
 */

import { AlertDescription } from '../alert.js';
import { constantTimeEqual } from '../bytes.js';
import { DecodeError, DtlsError } from '../errors.js';
import { finishedVerifyData13 } from './finished-13.js';
import type { LabelledHkdf } from './hkdf-label.js';

/** RFC 8446 4.2.11: PskBinderEntry is opaque<32..255>. */
const MIN_BINDER_LENGTH = 32;
const MAX_BINDER_LENGTH = 255;

/**
 * The bytes the binders list takes at the end of the ClientHello: its uint16 length, then each
 * binder with its one-byte length (RFC 8446 4.2.11: PskBinderEntry binders<33..2^16-1>).
 */
export function bindersListLength(binderLengths: readonly number[]): number {
  if (binderLengths.length === 0) throw new RangeError('a pre_shared_key extension has at least one binder');
  let total = 2;
  for (const n of binderLengths) {
    if (!Number.isInteger(n) || n < MIN_BINDER_LENGTH || n > MAX_BINDER_LENGTH) {
      throw new RangeError(`a PSK binder is 32..255 bytes, got ${n}`);
    }
    total += 1 + n;
  }
  return total;
}

/**
 * RFC 8446 4.2.11.2: Truncate(ClientHello): the hello "up to and including the
 * PreSharedKeyExtension.identities field", that is all but the binders list, which is the last
 * thing in the hello (pre_shared_key is the last extension, RFC 8446 4.2.11). `clientHello` is
 * in transcript form (4-byte header; see transcriptFormOfDtlsMessage) and its length field keeps
 * counting the binders, as the RFC requires. DecodeError when the hello is too short or the list's
 * own length field does not say `bindersLength - 2`.
 */
export function truncateClientHello(clientHello: Uint8Array, bindersLength: number): Uint8Array {
  const cut = clientHello.length - bindersLength;
  if (bindersLength < 2 || cut < 4) {
    throw new DecodeError(`ClientHello of ${clientHello.length} bytes cannot end in a ${bindersLength}-byte binders list`);
  }
  const declared = ((clientHello[cut] ?? 0) << 8) | (clientHello[cut + 1] ?? 0);
  if (declared !== bindersLength - 2) {
    throw new DecodeError(`binders list length field says ${declared}, expected ${bindersLength - 2}`);
  }
  return clientHello.subarray(0, cut);
}

/**
 * RFC 8446 4.2.11.2: binder = HMAC(finished_key of binder_key, Transcript-Hash(Truncate(ClientHello1)))
 * computed as a Finished is (4.4.4). `transcriptHash` covers the truncated hello (and, after a
 * HelloRetryRequest, message_hash and the HelloRetryRequest before it: Transcript13.hashWith).
 */
export function pskBinder(kdf: LabelledHkdf, binderKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return finishedVerifyData13(kdf, binderKey, transcriptHash);
}

/**
 * The server's check of one binder, in constant time: decrypt_error when it does not match (RFC
 * 8446 6.2: failing to "validate a Finished message or a PSK binder"), also for a wrong length,
 * which can only come from a binder made with another hash.
 */
export function checkPskBinder(kdf: LabelledHkdf, binderKey: Uint8Array, transcriptHash: Uint8Array, received: Uint8Array): void {
  if (!constantTimeEqual(received, pskBinder(kdf, binderKey, transcriptHash))) {
    throw new DtlsError(AlertDescription.decrypt_error, 'PSK binder does not verify');
  }
}
