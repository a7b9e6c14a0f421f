import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concatBytes } from '../bytes.js';
import { checkCbcInput, checkCbcKey } from './aes-cbc-spec.js';
import type { CbcAlgorithm, CbcCipher } from './provider.js';

/**
 * AES-CBC over node:crypto (OpenSSL), padding off: the record layer pads and checks the padding
 * (RFC 5246 6.2.3.2). The key is copied once; node keys a cipher per call (an IV per record).
 */
class NodeAesCbc implements CbcCipher {
  readonly #key: Uint8Array;

  constructor(
    readonly algorithm: CbcAlgorithm,
    key: Uint8Array,
  ) {
    checkCbcKey(algorithm, key);
    this.#key = Uint8Array.from(key);
  }

  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.algorithm, iv, data);
    const cipher = createCipheriv(this.algorithm, this.#key, iv).setAutoPadding(false);
    return concatBytes(cipher.update(data), cipher.final());
  }

  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.algorithm, iv, data);
    const decipher = createDecipheriv(this.algorithm, this.#key, iv).setAutoPadding(false);
    return concatBytes(decipher.update(data), decipher.final());
  }
}

/** Keys AES-CBC over node:crypto; RangeError when the key length does not fit. */
export function nodeAesCbc(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher {
  return new NodeAesCbc(algorithm, key);
}
