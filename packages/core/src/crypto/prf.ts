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

/** Encodes a label as TLS does: ASCII bytes, no length, no terminating NUL (RFC 5246 5). */
export function asciiLabel(label: string): Uint8Array {
  const out = new Uint8Array(label.length);
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c > 0x7f) throw new TypeError(`PRF label must be ASCII: ${JSON.stringify(label)}`);
    out[i] = c;
  }
  return out;
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
  const labelBytes = asciiLabel(label);
  const labelAndSeed = new Uint8Array(labelBytes.length + seed.length);
  labelAndSeed.set(labelBytes);
  labelAndSeed.set(seed, labelBytes.length);

  const out = new Uint8Array(length);
  let a: Uint8Array = labelAndSeed; // A(0)
  let filled = 0;
  let input: Uint8Array | undefined;
  while (filled < length) {
    a = provider.hmac(hash, secret, a); // A(i)
    // A(i) + seed, in one buffer reused across iterations (A(i) has the hash's fixed length).
    if (input === undefined || input.length !== a.length + labelAndSeed.length) input = new Uint8Array(a.length + labelAndSeed.length);
    input.set(a);
    input.set(labelAndSeed, a.length);
    const block = provider.hmac(hash, secret, input);
    const take = Math.min(block.length, length - filled);
    out.set(take === block.length ? block : block.subarray(0, take), filled);
    filled += take;
  }
  return out;
}
