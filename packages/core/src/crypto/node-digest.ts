/**
 * SHA-2 hashes and HMAC (RFC 2104) for the node:crypto provider, on node's one-shot
 * `crypto.hash()`. A handshake takes a dozen HMACs (four PRF runs, RFC 5246 5) and a few
 * transcript hashes; with `createHmac`/`createHash` each of those builds a stream object, a
 * native handle and an off-heap Buffer, and that fixed cost (~2 µs per HMAC) is most of the
 * PRF's time. One-shot digests returned as latin1 strings (one character per byte, on the V8
 * heap) cost ~0.4 µs each and allocate nothing off-heap.
 */

import { hash as oneShotHash } from 'node:crypto';
import type { HashAlgorithm } from './provider.js';

/** FIPS 180-4 1: block size B and output length L, in bytes. */
const BLOCK_LENGTH: Readonly<Record<HashAlgorithm, number>> = { sha256: 64, sha384: 128 };
const DIGEST_LENGTH: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48 };

/** RFC 2104 2: the inner and outer pad bytes. */
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * Messages up to this size are HMACed in a module-level scratch buffer; longer ones (a cookie
 * over a ClientHello with thousands of cipher suites) get a buffer of their own, so a peer
 * cannot make the scratch grow for good.
 */
const SCRATCH_MESSAGE_LIMIT = 1024;

/**
 * (K ^ ipad) || message, and (K ^ opad) || inner digest (one per hash, sized exactly, so that
 * it is hashed whole). Safe to share: the engine calls these synchronously, and nothing in
 * nodeHmac() can re-enter it. Both are wiped after each use, so no key material stays in them.
 */
const innerScratch = new Uint8Array(128 + SCRATCH_MESSAGE_LIMIT);
const outerScratch: Readonly<Record<HashAlgorithm, Uint8Array>> = {
  sha256: new Uint8Array(BLOCK_LENGTH.sha256 + DIGEST_LENGTH.sha256),
  sha384: new Uint8Array(BLOCK_LENGTH.sha384 + DIGEST_LENGTH.sha384),
};

/** Writes the digest of `data` into `out` at `offset`. */
function digestInto(algorithm: HashAlgorithm, data: Uint8Array, out: Uint8Array, offset: number): void {
  // 'binary' (latin1) maps each byte to one UTF-16 code unit below 0x100, so charCodeAt gives
  // the bytes back.
  const digest = oneShotHash(algorithm, data, 'binary');
  for (let i = 0; i < digest.length; i++) out[offset + i] = digest.charCodeAt(i);
}

export function nodeHash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(DIGEST_LENGTH[algorithm]);
  digestInto(algorithm, data, out, 0);
  return out;
}

/** RFC 2104 2: HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), K' = K zero-padded to B bytes. */
export function nodeHmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  const b = BLOCK_LENGTH[algorithm];
  const l = DIGEST_LENGTH[algorithm];
  // RFC 2104 3: a key longer than the block is replaced by its hash.
  const k = key.length > b ? nodeHash(algorithm, key) : key;
  const inner = data.length <= SCRATCH_MESSAGE_LIMIT ? innerScratch : new Uint8Array(b + data.length);
  const outer = outerScratch[algorithm];
  for (let i = 0; i < k.length; i++) {
    const byte = k[i] ?? 0;
    inner[i] = byte ^ IPAD;
    outer[i] = byte ^ OPAD;
  }
  // K's zero padding, XORed with the pads.
  inner.fill(IPAD, k.length, b);
  outer.fill(OPAD, k.length, b);
  inner.set(data, b);
  const out = new Uint8Array(l);
  try {
    digestInto(algorithm, inner.subarray(0, b + data.length), outer, b);
    digestInto(algorithm, outer, out, 0);
  } finally {
    inner.fill(0, 0, b + data.length);
    outer.fill(0);
  }
  return out;
}
