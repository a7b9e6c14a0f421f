/**
 * HKDF (RFC 5869) over the provider's HMAC, with the hashes TLS 1.3 cipher suites name
 * (SHA-256 and SHA-384, RFC 8446 B.4). It is the only KDF of TLS 1.3 (RFC 8446 7.1) and so of
 * DTLS 1.3 (RFC 9147 5.9).
 */

import type { CryptoProvider, HashAlgorithm } from './provider.js';

/** Hash.length of RFC 8446 7.1: the output length of each hash, in bytes. */
export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = Object.freeze({ sha256: 32, sha384: 48 });

/**
 * RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM). An empty salt stands for HashLen zero bytes, which
 * gives the same HMAC key (RFC 2104 pads keys with zeros), so both spellings agree.
 */
export function hkdfExtract(provider: CryptoProvider, hash: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return provider.hmac(hash, salt.length === 0 ? new Uint8Array(HASH_LENGTH[hash]) : salt, ikm);
}

/**
 * RFC 5869 2.3: OKM = T(1) || T(2) || ... cut to `length`, where T(i) = HMAC-Hash(PRK, T(i-1) ||
 * info || i) and T(0) is empty. Throws RangeError for a length that is not an integer in
 * 0..255*HashLen (the RFC's bound: the counter is one octet).
 */
export function hkdfExpand(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const hashLength = HASH_LENGTH[hash];
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLength) {
    throw new RangeError(`HKDF-Expand length must be an integer in 0..${255 * hashLength}, got ${length}`);
  }
  const out = new Uint8Array(length);
  // One buffer for every HMAC input: T(i-1) || info || counter. T(0) is empty, so the first
  // round reads the buffer from offset hashLength on.
  const input = new Uint8Array(hashLength + info.length + 1);
  input.set(info, hashLength);
  let filled = 0;
  for (let counter = 1; filled < length; counter++) {
    input[input.length - 1] = counter;
    const block = provider.hmac(hash, prk, counter === 1 ? input.subarray(hashLength) : input);
    const take = Math.min(block.length, length - filled);
    out.set(take === block.length ? block : block.subarray(0, take), filled);
    filled += take;
    input.set(block);
  }
  return out;
}
