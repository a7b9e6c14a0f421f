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

/** The ciphers of DTLS 1.3 record number encryption (RFC 9147 4.2.3). */
export type NativeMaskCipher = 'aes-128' | 'aes-256' | 'chacha20';

declare const nativeMaskContext: unique symbol;
/** An OpenSSL EVP_CIPHER_CTX keyed once with an epoch's sn_key (a type-tagged external, freed when collected). */
export interface NativeMaskContext {
  readonly [nativeMaskContext]: NativeMaskCipher;
}

/** Keys a record number mask context; throws RangeError for an unknown cipher or a wrong key length (16 for aes-128, 32 otherwise). */
export function createMaskContext(cipher: NativeMaskCipher, key: Uint8Array): NativeMaskContext;

/**
 * RFC 9147 4.2.3: writes the 16-byte mask of a record whose ciphertext starts with `sample` (16
 * bytes) into `out` (16 bytes): AES-ECB(sn_key, sample), or the ChaCha20 key stream with the sample
 * as counter (little-endian) || nonce. Throws RangeError for other lengths or an overlap.
 */
export function mask(context: NativeMaskContext, sample: Uint8Array, out: Uint8Array): void;

/** The OpenSSL version running (the node binary's). */
export const openssl: string;
export const TAG_LENGTH: 16;
export const NONCE_LENGTH: 12;

// Only what is declared `export` above is exported (nativeAeadContext and nativeMaskContext are type-only brands).
export {};
