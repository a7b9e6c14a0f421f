import { ecb } from '@noble/ciphers/aes.js';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { chacha20Block } from './chacha20-block.js';
import { checkRecordNumberKey, checkRecordNumberSample, RECORD_NUMBER_SAMPLE_LENGTH } from './record-number-mask.js';
import type { RecordNumberCipher, RecordNumberMasker } from './record-number-mask.js';

/**
 * RFC 9147 4.2.3 on @noble/ciphers. AES: one ECB block, padding off. ChaCha20 (RFC 8439 2.3/2.4):
 * the block counter is Ciphertext[0..3] read little-endian, the nonce Ciphertext[4..15]; the mask
 * is the key stream over 16 zeros.
 */
class NobleRecordNumberMasker implements RecordNumberMasker {
  readonly #key: Uint8Array;

  constructor(
    readonly cipher: RecordNumberCipher,
    key: Uint8Array,
  ) {
    checkRecordNumberKey(cipher, key);
    this.#key = Uint8Array.from(key);
  }

  mask(sample: Uint8Array): Uint8Array {
    checkRecordNumberSample(sample);
    if (this.cipher === 'chacha20') {
      const counter = ((sample[0] ?? 0) | ((sample[1] ?? 0) << 8) | ((sample[2] ?? 0) << 16) | ((sample[3] ?? 0) << 24)) >>> 0;
      const nonce = sample.slice(4, RECORD_NUMBER_SAMPLE_LENGTH);
      // noble never starts a stream at counter 2^32-1 (it would wrap after one block); one block is all we need.
      if (counter === 0xffff_ffff) return chacha20Block(this.#key, counter, nonce).slice(0, RECORD_NUMBER_SAMPLE_LENGTH);
      return chacha20(this.#key, nonce, new Uint8Array(RECORD_NUMBER_SAMPLE_LENGTH), undefined, counter);
    }
    return ecb(this.#key, { disablePadding: true }).encrypt(sample);
  }
}

/** Keys the record number mask on @noble/ciphers; RangeError when the key length does not fit. */
export function nobleRecordNumberMasker(cipher: RecordNumberCipher, key: Uint8Array): RecordNumberMasker {
  return new NobleRecordNumberMasker(cipher, key);
}
