import { constantTimeEqual, viewOf } from '../bytes.js';
import { AES_BLOCK_LENGTH } from '../crypto/aes-cbc-spec.js';
import type { CbcCipher, CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import type { RecordFormat } from './record-format.js';
import type { RecordHeader } from './record-header.js';
import { SEALED_RECORDS } from './record-slab.js';

/**
 * The keys of one epoch in one direction of a CBC suite (RFC 5246 6.2.3.2): the block cipher keyed
 * with client/server_write_key, the HMAC with client/server_write_MAC_key, and whether the
 * connection negotiated encrypt-then-MAC (RFC 7366).
 */
export interface CbcEpochKeys {
  readonly cbc: CbcCipher;
  /** Never set: tells CBC keys from AEAD keys (EpochKeys). */
  readonly aead?: undefined;
  readonly macKey: Uint8Array;
  readonly macHash: HashAlgorithm;
  /** mac_length (RFC 5246 6.2.3.1). */
  readonly macLength: number;
  /** RFC 7366 3: the MAC covers IV || ciphertext instead of the plaintext. */
  readonly encryptThenMac: boolean;
  /** record_iv_length: one block, a fresh IV per record (RFC 5246 6.2.3.2). */
  readonly recordIvLength: number;
  /** HMAC and the IVs' randomness. */
  readonly provider: Pick<CryptoProvider, 'hmac' | 'randomBytes'>;
}

/** Bytes a CBC record adds after its IV at most: the MAC and 1..16 bytes of padding (padding_length included). */
export function cbcRecordExpansion(keys: CbcEpochKeys): number {
  return keys.macLength + AES_BLOCK_LENGTH;
}

/**
 * RFC 5246 6.2.3.2: content || [MAC] || padding || padding_length, a multiple of the block; each
 * padding byte (and padding_length) holds the padding length. The shortest padding is used.
 */
function padded(content: Uint8Array, mac: Uint8Array | undefined): Uint8Array {
  const macLength = mac === undefined ? 0 : mac.length;
  const unpadded = content.length + macLength + 1;
  const pad = (AES_BLOCK_LENGTH - (unpadded % AES_BLOCK_LENGTH)) % AES_BLOCK_LENGTH;
  const out = new Uint8Array(unpadded + pad);
  out.set(content, 0);
  if (mac !== undefined) out.set(mac, content.length);
  out.fill(pad, content.length + macLength);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + (c === undefined ? 0 : c.length));
  out.set(a, 0);
  out.set(b, a.length);
  if (c !== undefined) out.set(c, a.length + b.length);
  return out;
}

/**
 * Seals one CBC record (RFC 5246 6.2.3.2) with the header `format` writes, into memory of its own
 * from SEALED_RECORDS:
 * - MAC-then-encrypt: IV || ENC(content || MAC(seq_num || type || version || length || content) || padding);
 * - encrypt-then-MAC (RFC 7366 3): IV || ENC(content || padding) || MAC(seq_num || type || version ||
 *   length of IV and ciphertext || IV || ciphertext).
 * seq_num is DTLS's epoch || sequence_number (RFC 6347 4.1.2.1, RFC 7366 4); with a connection ID,
 * the format's MAC header (RFC 9146 5.1, 5.2). `header` gives type (as on the wire), version, epoch
 * and sequence number; its length is set here. `aadScratch` as RecordFormat.additionalData takes it.
 */
export function sealCbcRecord(keys: CbcEpochKeys, format: RecordFormat, header: RecordHeader, content: Uint8Array, aadScratch: Uint8Array): Uint8Array {
  const { provider, macHash, macKey } = keys;
  // RFC 5246 6.2.3.2: the IV SHOULD be chosen at random, and MUST be unpredictable.
  const iv = provider.randomBytes(AES_BLOCK_LENGTH);
  let body: Uint8Array;
  let tag: Uint8Array | undefined;
  if (keys.encryptThenMac) {
    const ciphertext = keys.cbc.encrypt(iv, padded(content, undefined));
    const aad = format.additionalData(header, AES_BLOCK_LENGTH + ciphertext.length, aadScratch);
    tag = provider.hmac(macHash, macKey, concat(aad, iv, ciphertext));
    body = ciphertext;
  } else {
    const aad = format.additionalData(header, content.length, aadScratch);
    const mac = provider.hmac(macHash, macKey, concat(aad, content));
    body = keys.cbc.encrypt(iv, padded(content, mac));
  }
  header.length = AES_BLOCK_LENGTH + body.length + (tag === undefined ? 0 : tag.length);
  const out = SEALED_RECORDS.take(format.headerLength + header.length);
  format.encodeHeader(header, out, 0);
  out.set(iv, format.headerLength);
  out.set(body, format.headerLength + AES_BLOCK_LENGTH);
  if (tag !== undefined) out.set(tag, format.headerLength + AES_BLOCK_LENGTH + body.length);
  return out;
}

/**
 * Opens one CBC record: the protected plaintext (the content, or a format's inner plaintext), null
 * when the MAC or the padding is wrong (bad_record_mac: RFC 5246 6.2.3.2, RFC 7366 3), undefined
 * when the fragment's length cannot be a CBC record of these keys. Never throws on bad input.
 */
export function openCbcRecord(keys: CbcEpochKeys, format: RecordFormat, header: RecordHeader, fragment: Uint8Array, aadScratch: Uint8Array): Uint8Array | null | undefined {
  return keys.encryptThenMac ? openEncryptThenMac(keys, format, header, fragment, aadScratch) : openMacThenEncrypt(keys, format, header, fragment, aadScratch);
}

/**
 * RFC 7366 3: the MAC over IV || ciphertext is checked first, so nothing of an unauthenticated
 * record is decrypted and the padding check that follows tells an attacker nothing.
 */
function openEncryptThenMac(keys: CbcEpochKeys, format: RecordFormat, header: RecordHeader, fragment: Uint8Array, aadScratch: Uint8Array): Uint8Array | null | undefined {
  const macLength = keys.macLength;
  const sealedLength = fragment.length - macLength;
  const ciphertextLength = sealedLength - AES_BLOCK_LENGTH;
  if (ciphertextLength < AES_BLOCK_LENGTH || ciphertextLength % AES_BLOCK_LENGTH !== 0) return undefined;
  const aad = format.additionalData(header, sealedLength, aadScratch);
  const expected = keys.provider.hmac(keys.macHash, keys.macKey, concat(aad, viewOf(fragment, 0, sealedLength)));
  if (!constantTimeEqual(expected, viewOf(fragment, sealedLength))) return null;
  let plaintext: Uint8Array;
  try {
    plaintext = keys.cbc.decrypt(viewOf(fragment, 0, AES_BLOCK_LENGTH), viewOf(fragment, AES_BLOCK_LENGTH, sealedLength));
  } catch {
    return null;
  }
  const pad = plaintext[plaintext.length - 1] ?? 0;
  const contentLength = plaintext.length - pad - 1;
  if (contentLength < 0) return null;
  for (let i = contentLength; i < plaintext.length; i++) if (plaintext[i] !== pad) return null;
  return viewOf(plaintext, 0, contentLength);
}

/** The largest padding: padding_length is one byte (RFC 5246 6.2.3.2). */
const MAX_PADDING = 256;

/** Block length and length-field bytes of each hash (FIPS 180-4 5.1): what its padding adds. */
const HASH_BLOCK: Readonly<Record<HashAlgorithm, { block: number; lengthField: number }>> = {
  sha256: { block: 64, lengthField: 8 },
  sha384: { block: 128, lengthField: 16 },
};

/**
 * Compression-function calls of the inner hash of an HMAC over `length` bytes: the key block,
 * the message, the 0x80 byte and the length field, in whole blocks (RFC 2104 2, FIPS 180-4 5.1).
 * The outer hash costs the same for every message.
 */
export function hmacInnerBlocks(hash: HashAlgorithm, length: number): number {
  const { block, lengthField } = HASH_BLOCK[hash];
  return Math.floor((block + length + 1 + lengthField + block - 1) / block);
}

/** Zero bytes the equalizing HMAC runs over: at most one block per 64 bytes of padding, and one more. */
const DUMMY_MAC_INPUT = new Uint8Array(128 * (MAX_PADDING / 64 + 2));

/**
 * MAC-then-encrypt, in time that does not depend on the padding (Lucky Thirteen, RFC 7457 2.4):
 * RFC 5246 6.2.3.2 asks that a bad padding still be followed by a MAC check "as if there were a
 * zero-length pad", but a MAC over more bytes takes longer (one compression per hash block), and
 * that difference tells an attacker whether the padding was good. So the padding is checked
 * without a branch on its bytes, and every record of a given length costs the same number of
 * hash compressions: the MAC over the content the padding leaves, then a second, discarded HMAC
 * over as many blocks as the first was short of the longest possible content. The record is
 * dropped when either check fails, decided once at the end.
 */
function openMacThenEncrypt(keys: CbcEpochKeys, format: RecordFormat, header: RecordHeader, fragment: Uint8Array, aadScratch: Uint8Array): Uint8Array | null | undefined {
  const macLength = keys.macLength;
  const n = fragment.length - AES_BLOCK_LENGTH;
  // Public facts only: whole blocks, room for the MAC and padding_length.
  if (n < macLength + 1 || n % AES_BLOCK_LENGTH !== 0) return undefined;
  let plaintext: Uint8Array;
  try {
    plaintext = keys.cbc.decrypt(viewOf(fragment, 0, AES_BLOCK_LENGTH), viewOf(fragment, AES_BLOCK_LENGTH));
  } catch {
    return null;
  }
  const pad = plaintext[n - 1] ?? 0;
  // bad = 1 when padding_length + 1 + mac_length exceeds the record (the sign bit of the difference).
  let bad = (n - macLength - 1 - pad) >>> 31;
  // Every byte that could be padding is read, whatever padding_length says.
  const checked = Math.min(MAX_PADDING, n - macLength);
  for (let i = 0; i < checked; i++) {
    const inPadding = (i - pad - 1) >>> 31; // 1 when i <= pad
    const differs = -((plaintext[n - 1 - i] ?? 0) ^ pad) >>> 31; // 1 when the byte is not pad
    bad |= inPadding & differs;
  }
  // RFC 5246 6.2.3.2: with a bad padding, the MAC as if there were no padding.
  const padTotal = (pad + 1) & (bad - 1);
  const contentLength = n - macLength - padTotal;
  // One buffer of the same length for every record of this length: MAC header, then all the bytes
  // that may be content.
  const probe = format.additionalData(header, contentLength, aadScratch);
  const macInput = new Uint8Array(probe.length + n - macLength);
  macInput.set(probe, 0);
  macInput.set(viewOf(plaintext, 0, n - macLength), probe.length);
  const hash = keys.macHash;
  const macInputLength = probe.length + contentLength;
  const expected = keys.provider.hmac(hash, keys.macKey, viewOf(macInput, 0, macInputLength));
  // The blocks the MAC was short of the longest content, hashed and discarded: an HMAC over k
  // whole blocks costs k compressions more than one over nothing, so every record of this length
  // costs hmacInnerBlocks(longest) + hmacInnerBlocks(0) compressions in its inner hashes.
  const missing = hmacInnerBlocks(hash, probe.length + n - macLength) - hmacInnerBlocks(hash, macInputLength);
  keys.provider.hmac(hash, keys.macKey, viewOf(DUMMY_MAC_INPUT, 0, missing * HASH_BLOCK[hash].block));
  const macOk = constantTimeEqual(expected, viewOf(plaintext, contentLength, contentLength + macLength));
  if (bad !== 0 || !macOk) return null;
  return viewOf(plaintext, 0, contentLength);
}
