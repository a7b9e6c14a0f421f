import type { Aead, AeadAlgorithm } from './provider.js';

/** Key, nonce and tag lengths of each AEAD as TLS 1.2 uses it. */
export interface AeadSpec {
  readonly keyLength: number;
  /** Every TLS 1.2 AEAD nonce is 12 bytes: 4 fixed + 8 explicit (RFC 5288 3, RFC 6655 3) or 12 (RFC 7905 2). */
  readonly nonceLength: number;
  readonly tagLength: number;
}

export const AEAD_SPECS: Readonly<Record<AeadAlgorithm, AeadSpec>> = Object.freeze({
  'aes-128-gcm': { keyLength: 16, nonceLength: 12, tagLength: 16 },
  'aes-256-gcm': { keyLength: 32, nonceLength: 12, tagLength: 16 },
  'chacha20-poly1305': { keyLength: 32, nonceLength: 12, tagLength: 16 },
  // RFC 6655 3: CCM with a 16-byte tag; RFC 6655 4 / RFC 7251: CCM_8 with an 8-byte tag.
  'aes-128-ccm': { keyLength: 16, nonceLength: 12, tagLength: 16 },
  'aes-128-ccm-8': { keyLength: 16, nonceLength: 12, tagLength: 8 },
});

/** Looks up the spec and checks the key length; RangeError when it does not fit (provider contract). */
export function aeadSpecForKey(algorithm: AeadAlgorithm, key: Uint8Array): AeadSpec {
  const spec: AeadSpec | undefined = AEAD_SPECS[algorithm];
  if (spec === undefined) throw new RangeError(`unknown AEAD algorithm: ${String(algorithm)}`);
  if (key.length !== spec.keyLength) {
    throw new RangeError(`${algorithm} needs a ${spec.keyLength}-byte key, got ${key.length}`);
  }
  return spec;
}

/** seal() with a nonce of the wrong length is a programming error. */
export function checkSealNonce(algorithm: AeadAlgorithm, spec: AeadSpec, nonce: Uint8Array): void {
  if (nonce.length !== spec.nonceLength) {
    throw new RangeError(`${algorithm} needs a ${spec.nonceLength}-byte nonce, got ${nonce.length}`);
  }
}

/** seal() of an AEAD that seals in place: ciphertext || tag sealed into an array of their exact size. */
export function sealToNewArray(aead: Required<Pick<Aead, 'tagLength' | 'sealInto'>>, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + aead.tagLength);
  aead.sealInto(nonce, plaintext, aad, out, 0);
  return out;
}
