import { MAX_SEQUENCE_NUMBER } from './record-header.js';

/**
 * RFC 9147 4.2.2 — the full sequence number from the low 8 or 16 bits a unified header carries:
 * "the full sequence number which is numerically closest to one plus the sequence number of the
 * highest successfully deprotected record in the current epoch". `expected` is that "one plus"
 * (0 before any record of the epoch deprotected); the result is the value congruent to `bits`
 * modulo 2^(8*length) in (expected - 2^(n-1), expected + 2^(n-1)], moved into 0..2^48-1 when that
 * window reaches past either end (the same rule as QUIC's packet numbers, RFC 9000 A.3).
 */
export function reconstructSequenceNumber(expected: number, bits: number, sequenceNumberLength: 1 | 2): number {
  const win = sequenceNumberLength === 2 ? 0x1_0000 : 0x100;
  const half = win / 2;
  // Arithmetic, not bitwise: sequence numbers go past 2^32.
  let candidate = expected - (expected % win) + (bits % win);
  if (candidate + half <= expected && candidate + win <= MAX_SEQUENCE_NUMBER) candidate += win;
  else if (candidate > expected + half && candidate >= win) candidate -= win;
  return candidate;
}

/**
 * RFC 9147 4.2.2 — the full epoch from its two low bits: the current epoch when its bits match;
 * otherwise "the most recent past epoch which has matching bits"; during the handshake, when the
 * epoch of the next keys is already readable (e.g. 3 while 2 is the current one, RFC 9147 6.1),
 * the bits name it unambiguously, so the nearest newer epoch held that matches is taken. `held`
 * lists the epochs whose keys we have; undefined when none matches (the record is dropped).
 */
export function reconstructEpoch(epochBits: number, current: number, held: readonly number[]): number | undefined {
  const bits = epochBits & 3;
  if (current % 4 === bits && held.includes(current)) return current;
  let past: number | undefined;
  let future: number | undefined;
  for (const e of held) {
    if (e % 4 !== bits) continue;
    if (e < current) past = past === undefined || e > past ? e : past;
    else if (e > current) future = future === undefined || e < future ? e : future;
  }
  return past ?? future;
}
