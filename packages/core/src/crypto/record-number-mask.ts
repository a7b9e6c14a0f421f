import type { AeadAlgorithm } from './provider.js';

/**
 * The ciphers of DTLS 1.3 record number encryption (RFC 9147 4.2.3): the block or stream cipher
 * under the record's AEAD, keyed with the epoch's sn_key.
 */
export type RecordNumberCipher = 'aes-128' | 'aes-256' | 'chacha20';

/** Bytes of ciphertext the mask is computed from, and of the mask: RFC 9147 4.2.3 "Ciphertext[0..15]". */
export const RECORD_NUMBER_SAMPLE_LENGTH = 16;

/**
 * The record number mask of one epoch and direction, keyed once with the sn_key
 * (`[sender]_sn_key = HKDF-Expand-Label(Secret, "sn", "", key_length)`, RFC 9147 4.2.3):
 *
 *   AES:      Mask = AES-ECB(sn_key, Ciphertext[0..15])
 *   ChaCha20: Mask = ChaCha20(sn_key, Ciphertext[0..3], Ciphertext[4..15])
 *             (the first 4 bytes are the block counter, little-endian as in RFC 8439 2.3, the next
 *             12 the nonce; the mask is the key stream, i.e. ChaCha20 over zeros)
 */
export interface RecordNumberMasker {
  readonly cipher: RecordNumberCipher;
  /** The 16-byte mask for a record whose ciphertext starts with `sample` (exactly 16 bytes; RangeError otherwise). */
  mask(sample: Uint8Array): Uint8Array;
}

/** The cipher under an AEAD (RFC 9147 4.2.3: "When the AEAD is based on AES ... based on ChaCha20 ..."). */
export function recordNumberCipherFor(aead: AeadAlgorithm): RecordNumberCipher {
  switch (aead) {
    case 'aes-128-gcm':
    case 'aes-128-ccm':
    case 'aes-128-ccm-8':
      return 'aes-128';
    case 'aes-256-gcm':
      return 'aes-256';
    case 'chacha20-poly1305':
      return 'chacha20';
    default:
      throw new RangeError(`no record number encryption is defined for ${String(aead)}`);
  }
}

/** Key length of each cipher: the sn_key is key_length bytes, as the AEAD key (RFC 9147 4.2.3). */
export const RECORD_NUMBER_KEY_LENGTHS: Readonly<Record<RecordNumberCipher, number>> = Object.freeze({
  'aes-128': 16,
  'aes-256': 32,
  chacha20: 32,
});

/** Checks the sn_key length; RangeError when it does not fit (provider contract). */
export function checkRecordNumberKey(cipher: RecordNumberCipher, key: Uint8Array): void {
  const expected: number | undefined = RECORD_NUMBER_KEY_LENGTHS[cipher];
  if (expected === undefined) throw new RangeError(`unknown record number cipher: ${String(cipher)}`);
  if (key.length !== expected) throw new RangeError(`${cipher} record number encryption needs a ${expected}-byte sn_key, got ${key.length}`);
}

/** Checks the sample length; RangeError otherwise (the record layer drops shorter records before asking). */
export function checkRecordNumberSample(sample: Uint8Array): void {
  if (sample.length !== RECORD_NUMBER_SAMPLE_LENGTH) {
    throw new RangeError(`the record number mask is computed over ${RECORD_NUMBER_SAMPLE_LENGTH} bytes of ciphertext, got ${sample.length}`);
  }
}
