import { cbc } from '@noble/ciphers/aes.js';
import { checkCbcInput, checkCbcKey } from './aes-cbc-spec.js';
import type { CbcAlgorithm, CbcCipher } from './provider.js';

/** AES-CBC on @noble/ciphers, padding off: the record layer pads and checks the padding (RFC 5246 6.2.3.2). */
class NobleAesCbc implements CbcCipher {
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
    return cbc(this.#key, iv, { disablePadding: true }).encrypt(data);
  }

  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkCbcInput(this.algorithm, iv, data);
    return cbc(this.#key, iv, { disablePadding: true }).decrypt(data);
  }
}

/** Keys AES-CBC on @noble/ciphers; RangeError when the key length does not fit. */
export function nobleAesCbc(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher {
  return new NobleAesCbc(algorithm, key);
}
