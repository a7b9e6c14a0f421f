/**
 * HKDF-Expand-Label and Derive-Secret (RFC 8446 7.1), with the label prefix as a parameter:
 * "tls13 " in TLS 1.3 (and in the RFC 8448 traces that test this code), "dtls13" in DTLS 1.3
 * (RFC 9147 5.9: the same schedule, only the prefix differs, so keys of one protocol can never
 * serve the other).
 */

import { fromHex } from '../bytes.js';
import type { CryptoProvider, HashAlgorithm } from './provider.js';
import { HASH_LENGTH, hkdfExpand } from './hkdf.js';

/** RFC 8446 7.1 ("tls13 ") and RFC 9147 5.9 ("dtls13", no trailing space): both six bytes. */
export type LabelPrefix = 'tls13 ' | 'dtls13';

export const TLS13_LABEL_PREFIX: LabelPrefix = 'tls13 ';
export const DTLS13_LABEL_PREFIX: LabelPrefix = 'dtls13';

/** What every step of the schedule needs: the crypto, the suite's hash, and the protocol's prefix. */
export interface LabelledHkdf {
  readonly provider: CryptoProvider;
  /** The cipher suite's hash (RFC 8446 B.4: SHA-256 or SHA-384). */
  readonly hash: HashAlgorithm;
  readonly labelPrefix: LabelPrefix;
}

/**
 * The HkdfLabel structure of RFC 8446 7.1:
 *   struct { uint16 length; opaque label<7..255> = prefix + Label; opaque context<0..255>; }
 * Throws TypeError for a non-ASCII label and RangeError for a label or context too long for
 * its one-byte length, or an output length above 2^16-1.
 */
export function hkdfLabel(labelPrefix: LabelPrefix, label: string, context: Uint8Array, length: number): Uint8Array {
  const fullLength = labelPrefix.length + label.length;
  if (fullLength > 255) throw new RangeError(`HKDF label must be at most 255 bytes, got ${fullLength}`);
  if (context.length > 255) throw new RangeError(`HKDF label context must be at most 255 bytes, got ${context.length}`);
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffff) {
    throw new RangeError(`HKDF-Expand-Label length must be an integer in 0..65535, got ${length}`);
  }
  const out = new Uint8Array(2 + 1 + fullLength + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = fullLength;
  const text = labelPrefix + label;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new TypeError(`HKDF label must be ASCII: ${JSON.stringify(label)}`);
    out[3 + i] = c;
  }
  out[3 + fullLength] = context.length;
  out.set(context, 4 + fullLength);
  return out;
}

/** RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length). */
export function hkdfExpandLabel(kdf: LabelledHkdf, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  return hkdfExpand(kdf.provider, kdf.hash, secret, hkdfLabel(kdf.labelPrefix, label, context, length), length);
}

/**
 * RFC 8446 7.1: Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
 * Transcript-Hash(Messages), Hash.length). Takes the transcript hash, not the messages: the
 * transcript is hashed as it grows (see Transcript13).
 */
export function deriveSecret(kdf: LabelledHkdf, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(kdf, secret, label, transcriptHash, HASH_LENGTH[kdf.hash]);
}

/**
 * Hash("") of each hash (FIPS 180-4; the SHA-256 and SHA-384 digests of the empty message): a
 * constant, so the schedule's three or four uses per handshake cost no hash each.
 */
const EMPTY_HASH: Readonly<Record<HashAlgorithm, Uint8Array>> = Object.freeze({
  sha256: fromHex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
  sha384: fromHex('38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b'),
});

/** Transcript-Hash of no messages, Hash(""): the context of "derived", the binder keys and the exporter. */
export function emptyHash(kdf: LabelledHkdf): Uint8Array {
  // A copy: the caller owns what it is given (the constant stays whole).
  return EMPTY_HASH[kdf.hash].slice();
}
