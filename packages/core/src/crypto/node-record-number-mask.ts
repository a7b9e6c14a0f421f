import { createCipheriv } from 'node:crypto';
import type { Cipher } from 'node:crypto';
import { checkRecordNumberKey, checkRecordNumberSample, RECORD_NUMBER_SAMPLE_LENGTH } from './record-number-mask.js';
import type { RecordNumberCipher, RecordNumberMasker } from './record-number-mask.js';

const ZEROS = new Uint8Array(RECORD_NUMBER_SAMPLE_LENGTH);
const NO_KEY = new Uint8Array(0);

/**
 * RFC 9147 4.2.3 over node:crypto (OpenSSL). AES: one ECB block, padding off. ChaCha20: OpenSSL's
 * "chacha20" takes a 16-byte IV that is exactly counter (4 bytes, little-endian) || nonce (12
 * bytes), the layout RFC 9147 gives the sample, so the sample is the IV and the mask is the key
 * stream over 16 zeros.
 */
class NodeRecordNumberMasker implements RecordNumberMasker {
  /** ChaCha20 only (each mask is a fresh cipher): AES's key lives in #ecb, and a copy here would cost each epoch ~180 bytes of heap. */
  readonly #key: Uint8Array;
  /** AES: one ECB cipher for the epoch. ECB chains nothing, so each 16-byte update is one block's encryption. */
  readonly #ecb: Cipher | undefined;

  constructor(
    readonly cipher: RecordNumberCipher,
    key: Uint8Array,
  ) {
    checkRecordNumberKey(cipher, key);
    this.#key = cipher === 'chacha20' ? Uint8Array.from(key) : NO_KEY;
    this.#ecb = cipher === 'chacha20' ? undefined : createCipheriv(cipher === 'aes-128' ? 'aes-128-ecb' : 'aes-256-ecb', key, null).setAutoPadding(false);
  }

  mask(sample: Uint8Array): Uint8Array {
    checkRecordNumberSample(sample);
    if (this.#ecb === undefined) return new Uint8Array(createCipheriv('chacha20', this.#key, sample).update(ZEROS));
    return new Uint8Array(this.#ecb.update(sample));
  }
}

/** Keys the record number mask over node:crypto; RangeError when the key length does not fit. */
export function nodeRecordNumberMasker(cipher: RecordNumberCipher, key: Uint8Array): RecordNumberMasker {
  return new NodeRecordNumberMasker(cipher, key);
}
