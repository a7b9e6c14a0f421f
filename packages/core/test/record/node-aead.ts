/**
 * A test-only Aead on node:crypto, standing in until src/crypto/node-provider.ts exists.
 * Kept deliberately plain so the record tests do not depend on the provider under construction.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { CipherCCMTypes, CipherChaCha20Poly1305Types, CipherGCMTypes } from 'node:crypto';
import type { Aead, AeadAlgorithm } from '../../src/crypto/provider.js';
import type { EpochKeys } from '../../src/record/epoch-keys.js';

type NodeCipher =
  | { kind: 'gcm'; name: CipherGCMTypes }
  | { kind: 'ccm'; name: CipherCCMTypes }
  | { kind: 'chacha'; name: CipherChaCha20Poly1305Types };

const PARAMS: Record<AeadAlgorithm, { cipher: NodeCipher; keyLength: number; tagLength: number }> = {
  'aes-128-gcm': { cipher: { kind: 'gcm', name: 'aes-128-gcm' }, keyLength: 16, tagLength: 16 },
  'aes-256-gcm': { cipher: { kind: 'gcm', name: 'aes-256-gcm' }, keyLength: 32, tagLength: 16 },
  'aes-128-ccm': { cipher: { kind: 'ccm', name: 'aes-128-ccm' }, keyLength: 16, tagLength: 16 },
  'aes-128-ccm-8': { cipher: { kind: 'ccm', name: 'aes-128-ccm' }, keyLength: 16, tagLength: 8 },
  'chacha20-poly1305': { cipher: { kind: 'chacha', name: 'chacha20-poly1305' }, keyLength: 32, tagLength: 16 },
};

export function keyLengthOf(algorithm: AeadAlgorithm): number {
  return PARAMS[algorithm].keyLength;
}

export function tagLengthOf(algorithm: AeadAlgorithm): number {
  return PARAMS[algorithm].tagLength;
}

function toBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** One-shot AEAD encryption with node:crypto: returns ciphertext || tag. */
export function nodeSeal(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  const { cipher, tagLength } = PARAMS[algorithm];
  const authTagLength = tagLength;
  switch (cipher.kind) {
    case 'ccm': {
      const c = createCipheriv(cipher.name, key, nonce, { authTagLength });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      return toBytes(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
    }
    case 'gcm': {
      const c = createCipheriv(cipher.name, key, nonce, { authTagLength });
      c.setAAD(aad);
      return toBytes(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
    }
    case 'chacha': {
      const c = createCipheriv(cipher.name, key, nonce, { authTagLength });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      return toBytes(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
    }
  }
}

/** One-shot AEAD decryption with node:crypto: null when the tag does not verify. */
export function nodeOpen(
  algorithm: AeadAlgorithm,
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertextAndTag: Uint8Array,
  aad: Uint8Array,
): Uint8Array | null {
  const { cipher, tagLength } = PARAMS[algorithm];
  const authTagLength = tagLength;
  if (ciphertextAndTag.length < tagLength) return null;
  const ctLength = ciphertextAndTag.length - tagLength;
  const ct = ciphertextAndTag.subarray(0, ctLength);
  const tag = ciphertextAndTag.subarray(ctLength);
  try {
    switch (cipher.kind) {
      case 'ccm': {
        const d = createDecipheriv(cipher.name, key, nonce, { authTagLength });
        d.setAuthTag(tag);
        d.setAAD(aad, { plaintextLength: ctLength });
        return toBytes(Buffer.concat([d.update(ct), d.final()]));
      }
      case 'gcm': {
        const d = createDecipheriv(cipher.name, key, nonce, { authTagLength });
        d.setAuthTag(tag);
        d.setAAD(aad);
        return toBytes(Buffer.concat([d.update(ct), d.final()]));
      }
      case 'chacha': {
        const d = createDecipheriv(cipher.name, key, nonce, { authTagLength });
        d.setAuthTag(tag);
        d.setAAD(aad, { plaintextLength: ctLength });
        return toBytes(Buffer.concat([d.update(ct), d.final()]));
      }
    }
  } catch {
    return null;
  }
}

export function nodeAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  return {
    algorithm,
    tagLength: PARAMS[algorithm].tagLength,
    seal: (nonce, plaintext, aad) => nodeSeal(algorithm, key, nonce, plaintext, aad),
    open: (nonce, ciphertextAndTag, aad) => nodeOpen(algorithm, key, nonce, ciphertextAndTag, aad),
  };
}

/** EpochKeys for an algorithm with the suite's IV layout (RFC 5288 3, RFC 6655 3, RFC 7905 2). */
export function nodeEpochKeys(algorithm: AeadAlgorithm, key: Uint8Array, fixedIv: Uint8Array): EpochKeys {
  return { aead: nodeAead(algorithm, key), fixedIv, recordIvLength: algorithm === 'chacha20-poly1305' ? 0 : 8 };
}

/** Deterministic key material for tests: bytes seed, seed+1, ... */
export function testBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i * 7) & 0xff;
  return out;
}
