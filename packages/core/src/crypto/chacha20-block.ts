/**
 * The ChaCha20 block function of RFC 8439 2.3, serialized (2.3: the 16 state words little-endian).
 * Pure JS, for the one input @noble/ciphers refuses: a block counter of 2^32-1, which its stream
 * API rejects so as never to wrap (its counter policy), while a DTLS 1.3 record number mask is
 * exactly one block at whatever counter the ciphertext's first 4 bytes give (RFC 9147 4.2.3).
 */
function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  // RFC 8439 2.1: a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12; ... 8; ... 7
  let va = s[a] ?? 0;
  let vb = s[b] ?? 0;
  let vc = s[c] ?? 0;
  let vd = s[d] ?? 0;
  va = (va + vb) >>> 0; vd ^= va; vd = ((vd << 16) | (vd >>> 16)) >>> 0;
  vc = (vc + vd) >>> 0; vb ^= vc; vb = ((vb << 12) | (vb >>> 20)) >>> 0;
  va = (va + vb) >>> 0; vd ^= va; vd = ((vd << 8) | (vd >>> 24)) >>> 0;
  vc = (vc + vd) >>> 0; vb ^= vc; vb = ((vb << 7) | (vb >>> 25)) >>> 0;
  s[a] = va;
  s[b] = vb;
  s[c] = vc;
  s[d] = vd;
}

function le32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0;
}

/** The 64-byte block for a 32-byte key, a 32-bit counter and a 12-byte nonce (RFC 8439 2.3). */
export function chacha20Block(key: Uint8Array, counter: number, nonce: Uint8Array): Uint8Array {
  if (key.length !== 32 || nonce.length !== 12 || !Number.isInteger(counter) || counter < 0 || counter > 0xffff_ffff) {
    throw new RangeError('ChaCha20 block: a 32-byte key, a 32-bit counter and a 12-byte nonce');
  }
  const state = new Uint32Array(16);
  // RFC 8439 2.3: the constants "expand 32-byte k", the key, the counter, the nonce.
  state[0] = 0x61707865;
  state[1] = 0x3320646e;
  state[2] = 0x79622d32;
  state[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) state[4 + i] = le32(key, i * 4);
  state[12] = counter >>> 0;
  for (let i = 0; i < 3; i++) state[13 + i] = le32(nonce, i * 4);
  const working = state.slice();
  for (let round = 0; round < 10; round++) {
    quarterRound(working, 0, 4, 8, 12);
    quarterRound(working, 1, 5, 9, 13);
    quarterRound(working, 2, 6, 10, 14);
    quarterRound(working, 3, 7, 11, 15);
    quarterRound(working, 0, 5, 10, 15);
    quarterRound(working, 1, 6, 11, 12);
    quarterRound(working, 2, 7, 8, 13);
    quarterRound(working, 3, 4, 9, 14);
  }
  const out = new Uint8Array(64);
  for (let i = 0; i < 16; i++) {
    const w = ((working[i] ?? 0) + (state[i] ?? 0)) >>> 0;
    out[i * 4] = w & 0xff;
    out[i * 4 + 1] = (w >>> 8) & 0xff;
    out[i * 4 + 2] = (w >>> 16) & 0xff;
    out[i * 4 + 3] = (w >>> 24) & 0xff;
  }
  return out;
}
