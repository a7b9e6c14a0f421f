/**
 * The TLS 1.2 pseudorandom function, RFC 5246 5:
 *
 *   PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 *   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 *
 * The hash is the cipher suite's PRF hash (SHA-256 for every suite here but the SHA-384 ones).
 */

import type { CryptoProvider, HashAlgorithm } from './provider.js';

/** Output length of each hash, in bytes: the length of A(i) and of each P_hash block. */
const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48 };

/**
 * Writes a label as TLS encodes it (ASCII bytes, no length, no terminating NUL: RFC 5246 5)
 * into `out` at `offset`. Throws TypeError for a non-ASCII label.
 */
function writeAsciiLabel(label: string, out: Uint8Array, offset: number): void {
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c > 0x7f) throw new TypeError(`PRF label must be ASCII: ${JSON.stringify(label)}`);
    out[offset + i] = c;
  }
}

export function prf(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`PRF output length must be a non-negative integer, got ${length}`);
  const hashLength = HASH_LENGTH[hash];
  // One buffer for every HMAC input: A(i) || label || seed. The label and seed are written once;
  // each round overwrites A(i) in front of them. A(0) = label + seed is the tail on its own.
  const input = new Uint8Array(hashLength + label.length + seed.length);
  writeAsciiLabel(label, input, hashLength);
  input.set(seed, hashLength + label.length);

  const out = new Uint8Array(length);
  let a: Uint8Array = input.subarray(hashLength); // A(0)
  let filled = 0;
  while (filled < length) {
    a = provider.hmac(hash, secret, a); // A(i)
    input.set(a);
    const block = provider.hmac(hash, secret, input); // HMAC(secret, A(i) + label + seed)
    const take = Math.min(block.length, length - filled);
    out.set(take === block.length ? block : block.subarray(0, take), filled);
    filled += take;
  }
  return out;
}
