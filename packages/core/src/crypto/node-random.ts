/**
 * randomBytes() for the node:crypto provider. A handshake asks for a few short values (the
 * client and server randoms, RFC 5246 7.4.1.2; connection IDs; cookie secrets), and every
 * randomFillSync() call has a fixed cost of a few µs, more than an HMAC of the PRF. Short
 * requests are therefore served from a pool that OpenSSL's CSPRNG refills 4 KiB at a time, as
 * Node itself does for randomUUID(). The bytes handed out are wiped from the pool at once, so
 * the pool only ever holds random bytes nobody has been given yet.
 */

import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
/** Longer requests are filled directly: the pool is for the many short ones. */
const POOLED_MAX = 64;

const pool = new Uint8Array(POOL_SIZE);
/** Where the unused bytes start; POOL_SIZE when the pool is empty (as it starts). */
let next = POOL_SIZE;

export function nodeRandomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`randomBytes length must be a non-negative integer, got ${length}`);
  if (length > POOLED_MAX) return randomFillSync(new Uint8Array(length));
  if (next + length > POOL_SIZE) {
    randomFillSync(pool);
    next = 0;
  }
  const out = pool.slice(next, next + length);
  pool.fill(0, next, next + length);
  next += length;
  return out;
}
