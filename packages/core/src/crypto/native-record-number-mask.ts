import { checkRecordNumberKey, checkRecordNumberSample, RECORD_NUMBER_SAMPLE_LENGTH } from './record-number-mask.js';
import type { RecordNumberCipher, RecordNumberMasker } from './record-number-mask.js';

/** What the masker calls in @dtls-kit/native-aead (its index.d.cts; repeated here: the package is optional). */
export interface NativeMaskBinding {
  /** An EVP context keyed once with the sn_key (an opaque, type-tagged external). */
  createMaskContext(cipher: RecordNumberCipher, key: Uint8Array): unknown;
  /** Writes the 16-byte mask of `sample` (16 bytes) into `out` (16 bytes); throws RangeError on malformed arguments. */
  mask(context: unknown, sample: Uint8Array, out: Uint8Array): void;
}

/** Whether the loaded addon has the record number mask (an addon built before it has not). */
export function hasNativeMask(module: object): module is NativeMaskBinding {
  return typeof Reflect.get(module, 'createMaskContext') === 'function' && typeof Reflect.get(module, 'mask') === 'function';
}

/**
 * RFC 9147 4.2.3 through the addon: one OpenSSL context per epoch and direction, keyed once; a
 * mask is one N-API call. node:crypto's ECB Cipher makes a Buffer per 16-byte update and costs
 * more than the AES-GCM of a whole 1,200-byte record through the addon (each record is masked
 * once when sealed and once when opened).
 */
class NativeRecordNumberMasker implements RecordNumberMasker {
  readonly #binding: NativeMaskBinding;
  readonly #context: unknown;

  constructor(
    binding: NativeMaskBinding,
    readonly cipher: RecordNumberCipher,
    key: Uint8Array,
  ) {
    checkRecordNumberKey(cipher, key);
    this.#binding = binding;
    this.#context = binding.createMaskContext(cipher, key);
  }

  mask(sample: Uint8Array): Uint8Array {
    checkRecordNumberSample(sample);
    // A new array per mask, as the RecordNumberMasker contract gives it (16 bytes: on V8's heap, no backing store).
    const out = new Uint8Array(RECORD_NUMBER_SAMPLE_LENGTH);
    this.#binding.mask(this.#context, sample, out);
    return out;
  }
}

/** Keys the record number mask through the addon; RangeError when the key length does not fit. */
export function nativeRecordNumberMasker(binding: NativeMaskBinding, cipher: RecordNumberCipher, key: Uint8Array): RecordNumberMasker {
  return new NativeRecordNumberMasker(binding, cipher, key);
}
