/** The AEADs the addon serves (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305); CCM is node:crypto's. */
export type NativeAeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** Which way a context works: a context seals, or opens, never both. */
export type NativeAeadDirection = 'seal' | 'open';

declare const nativeAeadContext: unique symbol;
/** An OpenSSL EVP_CIPHER_CTX keyed once (a type-tagged external, freed when collected). */
export interface NativeAeadContext {
  readonly [nativeAeadContext]: NativeAeadDirection;
}

/** Keys a context; throws RangeError for an unknown algorithm, a wrong key length or direction. */
export function createContext(algorithm: NativeAeadAlgorithm, key: Uint8Array, direction: NativeAeadDirection): NativeAeadContext;

/**
 * Writes ciphertext || tag (plaintext.length + 16 bytes) into `out` at `offset`. Throws RangeError
 * for a nonce that is not 12 bytes, an output too small, or an output overlapping an input.
 */
export function seal(context: NativeAeadContext, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void;

/**
 * Verifies the tag and writes the plaintext (ciphertextAndTag.length - 16 bytes) into `out`, which
 * may be a view starting where the ciphertext does (decryption in place). False when the tag does
 * not verify: `out` is then zeroed. Throws RangeError for malformed arguments.
 */
export function open(context: NativeAeadContext, nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array): boolean;

/** The OpenSSL version running (the node binary's). */
export const openssl: string;
export const TAG_LENGTH: 16;
export const NONCE_LENGTH: 12;

// Only what is declared `export` above is exported (nativeAeadContext is a type-only brand).
export {};
