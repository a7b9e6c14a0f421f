/**
 * AES-CCM (Counter with CBC-MAC), NIST SP 800-38C and RFC 3610, over any 128-bit block
 * encryption function. @noble/ciphers has no CCM, so the pure-JS provider builds it here
 * on noble's AES block; TLS uses it with a 12-byte nonce and a 16- or 8-byte tag
 * (RFC 6655 3, the "CCM" and "CCM_8" suites).
 */

import { constantTimeEqual } from '../bytes.js';

/**
 * Encrypts one 16-byte block under a fixed key. It may encrypt its argument in place and
 * return it (as noble's `unsafe.encryptBlock` does) or return a new array: this module copies
 * what it needs and never relies on the argument being left untouched.
 */
export type BlockEncrypt = (block: Uint8Array) => Uint8Array;

const BLOCK = 16;

/** RFC 3610 2: nonce length 15 - L for L = 2..8, i.e. 7..13 bytes. */
function validNonceLength(n: number): boolean {
  return Number.isInteger(n) && n >= 7 && n <= 13;
}

/** RFC 3610 2 / SP 800-38C A.1: M (the tag length) is one of 4, 6, 8, 10, 12, 14, 16. */
function validTagLength(t: number): boolean {
  return Number.isInteger(t) && t >= 4 && t <= 16 && t % 2 === 0;
}

/** The message length must fit in the L-byte length field of B0 (RFC 3610 2.1). */
function fitsLengthField(messageLength: number, lengthFieldSize: number): boolean {
  // Lengths in JS are below 2^53, so L >= 7 always fits; 2^(8L) is exact for L <= 6.
  return lengthFieldSize >= 7 || messageLength < 2 ** (8 * lengthFieldSize);
}

/** Encrypts `block` and leaves the result in `block`, whatever the block function does. */
function encryptInto(encryptBlock: BlockEncrypt, block: Uint8Array): void {
  const out = encryptBlock(block);
  if (out !== block) {
    if (out.length !== BLOCK) throw new RangeError('block encryption must return 16 bytes');
    block.set(out);
  }
}

/** Writes `value` big-endian into `out[offset .. offset + size)`. Safe for values below 2^53. */
function writeLength(out: Uint8Array, offset: number, size: number, value: number): void {
  let v = value;
  for (let i = offset + size - 1; i >= offset; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/**
 * CBC-MAC of RFC 3610 2.2 over B0, the length-prefixed AAD and the payload, both zero-padded
 * to whole blocks. Returns the full 16-byte MAC state (the caller truncates to M bytes).
 */
function cbcMac(encryptBlock: BlockEncrypt, nonce: Uint8Array, aad: Uint8Array, payload: Uint8Array, tagLength: number): Uint8Array {
  const lengthFieldSize = 15 - nonce.length;
  const x = new Uint8Array(BLOCK);

  // B0: Flags = 64*Adata + 8*M' + L', with M' = (M-2)/2 and L' = L-1; then the nonce; then l(m).
  x[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (lengthFieldSize - 1);
  x.set(nonce, 1);
  writeLength(x, 1 + nonce.length, lengthFieldSize, payload.length);
  encryptInto(encryptBlock, x);

  if (aad.length > 0) {
    // RFC 3610 2.2 / SP 800-38C A.2.2: l(a) as 2 bytes below 2^16 - 2^8, else 0xFFFE || 4 bytes,
    // else 0xFFFF || 8 bytes; the encoded length and the AAD together are padded to a block.
    let header: Uint8Array;
    if (aad.length < 0xff00) {
      header = new Uint8Array([aad.length >>> 8, aad.length & 0xff]);
    } else if (aad.length <= 0xffff_ffff) {
      header = new Uint8Array(6);
      header[0] = 0xff;
      header[1] = 0xfe;
      writeLength(header, 2, 4, aad.length);
    } else {
      header = new Uint8Array(10);
      header[0] = 0xff;
      header[1] = 0xff;
      writeLength(header, 2, 8, aad.length);
    }
    // Stream header || aad through the MAC without building the concatenation.
    const total = header.length + aad.length;
    let pos = 0;
    while (pos < total) {
      for (let i = 0; i < BLOCK && pos < total; i++, pos++) {
        const byte = pos < header.length ? header[pos] : aad[pos - header.length];
        x[i] = (x[i] ?? 0) ^ (byte ?? 0);
      }
      encryptInto(encryptBlock, x);
    }
  }

  for (let off = 0; off < payload.length; off += BLOCK) {
    const end = Math.min(off + BLOCK, payload.length);
    for (let i = off; i < end; i++) x[i - off] = (x[i - off] ?? 0) ^ (payload[i] ?? 0);
    encryptInto(encryptBlock, x);
  }
  return x;
}

/**
 * CTR mode of RFC 3610 2.3: A_i = Flags(L-1) || nonce || i. XORs `input` with S_1, S_2, ...
 * into `output`, and returns S_0 (the block that masks the tag).
 */
function ctrCrypt(encryptBlock: BlockEncrypt, nonce: Uint8Array, input: Uint8Array, output: Uint8Array): Uint8Array {
  const lengthFieldSize = 15 - nonce.length;
  const counter = new Uint8Array(BLOCK);
  counter[0] = lengthFieldSize - 1;
  counter.set(nonce, 1);
  const ks = new Uint8Array(BLOCK);

  // S_0 first: counter field is already zero.
  const s0 = new Uint8Array(BLOCK);
  s0.set(counter);
  encryptInto(encryptBlock, s0);

  let i = 0;
  for (let off = 0; off < input.length; off += BLOCK) {
    i++;
    writeLength(counter, 1 + nonce.length, lengthFieldSize, i);
    ks.set(counter);
    encryptInto(encryptBlock, ks);
    const end = Math.min(off + BLOCK, input.length);
    for (let j = off; j < end; j++) output[j] = (input[j] ?? 0) ^ (ks[j - off] ?? 0);
  }
  return s0;
}

/**
 * Seals `plaintext`: returns ciphertext || tag (tag of `tagLength` bytes).
 * Throws RangeError for a nonce length outside 7..13, a tag length not in 4, 6, ..., 16, or a
 * plaintext too long for the length field (these are programming errors, not peer input).
 */
export function ccmSeal(
  encryptBlock: BlockEncrypt,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  tagLength: number,
): Uint8Array {
  if (!validNonceLength(nonce.length)) throw new RangeError(`CCM nonce must be 7..13 bytes, got ${nonce.length}`);
  if (!validTagLength(tagLength)) throw new RangeError(`CCM tag length must be one of 4, 6, ..., 16, got ${tagLength}`);
  if (!fitsLengthField(plaintext.length, 15 - nonce.length)) throw new RangeError('CCM plaintext too long for this nonce length');

  const out = new Uint8Array(plaintext.length + tagLength);
  const mac = cbcMac(encryptBlock, nonce, aad, plaintext, tagLength);
  const s0 = ctrCrypt(encryptBlock, nonce, plaintext, out);
  // RFC 3610 2.3: U = T XOR first-M-bytes(S_0).
  for (let i = 0; i < tagLength; i++) out[plaintext.length + i] = (mac[i] ?? 0) ^ (s0[i] ?? 0);
  return out;
}

/**
 * Opens ciphertext || tag. Returns the plaintext, or null when the tag does not verify or the
 * input cannot be valid (bad nonce or tag length, input shorter than the tag). Never throws for
 * bad input; the tag comparison takes time independent of where the tags differ.
 */
export function ccmOpen(
  encryptBlock: BlockEncrypt,
  nonce: Uint8Array,
  ciphertextAndTag: Uint8Array,
  aad: Uint8Array,
  tagLength: number,
): Uint8Array | null {
  if (!validNonceLength(nonce.length) || !validTagLength(tagLength)) return null;
  if (ciphertextAndTag.length < tagLength) return null;
  const ctLength = ciphertextAndTag.length - tagLength;
  if (!fitsLengthField(ctLength, 15 - nonce.length)) return null;

  const ciphertext = ciphertextAndTag.subarray(0, ctLength);
  const receivedTag = ciphertextAndTag.subarray(ctLength);
  const plaintext = new Uint8Array(ctLength);
  const s0 = ctrCrypt(encryptBlock, nonce, ciphertext, plaintext);
  const mac = cbcMac(encryptBlock, nonce, aad, plaintext, tagLength);
  const expectedTag = new Uint8Array(tagLength);
  for (let i = 0; i < tagLength; i++) expectedTag[i] = (mac[i] ?? 0) ^ (s0[i] ?? 0);

  if (!constantTimeEqual(expectedTag, receivedTag)) {
    // RFC 3610 2.5: reveal nothing of the decrypted data when the tag is wrong.
    plaintext.fill(0);
    return null;
  }
  return plaintext;
}
