import type { CbcAlgorithm } from './provider.js';

/** AES block size: the CBC IV length and the unit of padding (FIPS 197, RFC 5246 6.2.3.2). */
export const AES_BLOCK_LENGTH = 16;

/** Key length of each CBC cipher (FIPS 197: AES-128 and AES-256). */
export const CBC_KEY_LENGTHS: Readonly<Record<CbcAlgorithm, number>> = Object.freeze({
  'aes-128-cbc': 16,
  'aes-256-cbc': 32,
});

/** Checks the key length; RangeError when it does not fit (provider contract). */
export function checkCbcKey(algorithm: CbcAlgorithm, key: Uint8Array): void {
  const length: number | undefined = CBC_KEY_LENGTHS[algorithm];
  if (length === undefined) throw new RangeError(`unknown CBC algorithm: ${String(algorithm)}`);
  if (key.length !== length) throw new RangeError(`${algorithm} needs a ${length}-byte key, got ${key.length}`);
}

/** An IV of one block and data of whole blocks, or RangeError: the record layer pads, never the provider. */
export function checkCbcInput(algorithm: CbcAlgorithm, iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== AES_BLOCK_LENGTH) throw new RangeError(`${algorithm} needs a ${AES_BLOCK_LENGTH}-byte IV, got ${iv.length}`);
  if (data.length % AES_BLOCK_LENGTH !== 0) {
    throw new RangeError(`${algorithm} data must be whole ${AES_BLOCK_LENGTH}-byte blocks, got ${data.length} bytes`);
  }
}
