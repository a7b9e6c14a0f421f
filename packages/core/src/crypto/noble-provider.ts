/**
 * The pure-JS crypto provider, on @noble/ciphers, @noble/curves and @noble/hashes: runs
 * wherever JavaScript runs (browsers, Deno, Bun, edge workers) and cross-checks the node:crypto
 * provider in tests. Same contract and same peer-input validation as `nodeCryptoProvider`.
 */

import { gcm, unsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { nobleAesCbc } from './noble-aes-cbc.js';
import { nobleRecordNumberMasker } from './noble-record-number-mask.js';
import { ccmOpen, ccmSeal, type BlockEncrypt } from './aes-ccm.js';
import { aeadSpecForKey, checkSealNonce, type AeadSpec } from './aead-spec.js';
import { checkNonZeroSecret, checkPeerPublicKey, invalidPeerPoint } from './peer-key.js';
import type { Aead, AeadAlgorithm, CryptoProvider, HashAlgorithm, KeyShare, NamedGroupName } from './provider.js';

const HASHES = { sha256, sha384 } as const;

// ---------------------------------------------------------------------------------------------
// AEADs
// ---------------------------------------------------------------------------------------------

class NobleGcmOrChaCha implements Aead {
  readonly tagLength: number;
  readonly #key: Uint8Array;
  readonly #spec: AeadSpec;

  constructor(
    readonly algorithm: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305',
    key: Uint8Array,
  ) {
    this.#spec = aeadSpecForKey(algorithm, key);
    this.tagLength = this.#spec.tagLength;
    this.#key = Uint8Array.from(key);
  }

  #cipher(nonce: Uint8Array, aad: Uint8Array): { encrypt(data: Uint8Array): Uint8Array; decrypt(data: Uint8Array): Uint8Array } {
    return this.algorithm === 'chacha20-poly1305' ? chacha20poly1305(this.#key, nonce, aad) : gcm(this.#key, nonce, aad);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    checkSealNonce(this.algorithm, this.#spec, nonce);
    return this.#cipher(nonce, aad).encrypt(plaintext);
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength || ciphertextAndTag.length < this.tagLength) return null;
    try {
      return this.#cipher(nonce, aad).decrypt(ciphertextAndTag); // throws when the tag does not verify
    } catch {
      return null;
    }
  }
}

/** AES-CCM / CCM_8 (RFC 6655) on noble's AES block: the key is expanded once per epoch. */
class NobleCcm implements Aead {
  readonly tagLength: number;
  readonly #spec: AeadSpec;
  readonly #encryptBlock: BlockEncrypt;

  constructor(
    readonly algorithm: 'aes-128-ccm' | 'aes-128-ccm-8',
    key: Uint8Array,
  ) {
    this.#spec = aeadSpecForKey(algorithm, key);
    this.tagLength = this.#spec.tagLength;
    const roundKeys = unsafe.expandKeyLE(key);
    // Encrypts in place; aes-ccm.ts passes its own 16-byte, 4-aligned scratch blocks.
    this.#encryptBlock = (block: Uint8Array): Uint8Array => unsafe.encryptBlock(roundKeys, block);
  }

  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    checkSealNonce(this.algorithm, this.#spec, nonce);
    return ccmSeal(this.#encryptBlock, nonce, plaintext, aad, this.tagLength);
  }

  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (nonce.length !== this.#spec.nonceLength) return null;
    return ccmOpen(this.#encryptBlock, nonce, ciphertextAndTag, aad, this.tagLength);
  }
}

function nobleAead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
  switch (algorithm) {
    case 'aes-128-gcm':
    case 'aes-256-gcm':
    case 'chacha20-poly1305':
      return new NobleGcmOrChaCha(algorithm, key);
    case 'aes-128-ccm':
    case 'aes-128-ccm-8':
      return new NobleCcm(algorithm, key);
    default:
      throw new RangeError(`unknown AEAD algorithm: ${String(algorithm)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// ECDHE
// ---------------------------------------------------------------------------------------------

const NIST_CURVES = { secp256r1: p256, secp384r1: p384 } as const;

function nistKeyShare(group: 'secp256r1' | 'secp384r1', privateKey: Uint8Array | undefined): KeyShare {
  const curve = NIST_CURVES[group];
  const secretKey = privateKey === undefined ? curve.utils.randomSecretKey() : Uint8Array.from(privateKey);
  const publicKey = curve.getPublicKey(secretKey, false);
  return {
    group,
    publicKey,
    deriveSecret(peerPublicKey: Uint8Array): Uint8Array {
      checkPeerPublicKey(group, peerPublicKey);
      let shared: Uint8Array;
      try {
        // Point.fromBytes checks that the point is on the curve; the identity has no 0x04 encoding.
        shared = curve.getSharedSecret(secretKey, peerPublicKey, true);
      } catch (cause) {
        throw invalidPeerPoint(group, cause);
      }
      // Compressed encoding is 0x02/0x03 || X; RFC 8422 5.10 wants X alone.
      return shared.slice(1);
    },
  };
}

function x25519KeyShare(privateKey: Uint8Array | undefined): KeyShare {
  if (privateKey !== undefined && privateKey.length !== 32) throw new RangeError('an X25519 private key is 32 bytes');
  const secretKey = privateKey === undefined ? x25519.utils.randomSecretKey() : Uint8Array.from(privateKey);
  const publicKey = x25519.getPublicKey(secretKey);
  return {
    group: 'x25519',
    publicKey,
    deriveSecret(peerPublicKey: Uint8Array): Uint8Array {
      checkPeerPublicKey('x25519', peerPublicKey);
      let shared: Uint8Array;
      try {
        // noble rejects low-order peer points itself; the zero check below is belt and braces.
        shared = x25519.getSharedSecret(secretKey, peerPublicKey);
      } catch (cause) {
        throw invalidPeerPoint('x25519', cause);
      }
      checkNonZeroSecret('x25519', shared);
      return shared;
    },
  };
}

/**
 * Test-only: a key share with a fixed private key, so that published ECDH vectors (RFC 5903,
 * RFC 7748) can be checked. Never use it in a handshake: ECDHE keys must be ephemeral.
 * @internal
 */
export function _nobleKeyShareFromPrivate(group: NamedGroupName, privateKey: Uint8Array): KeyShare {
  return group === 'x25519' ? x25519KeyShare(privateKey) : nistKeyShare(group, privateKey);
}

function nobleGenerateKeyShare(group: NamedGroupName): KeyShare {
  switch (group) {
    case 'x25519':
      return x25519KeyShare(undefined);
    case 'secp256r1':
    case 'secp384r1':
      return nistKeyShare(group, undefined);
    default:
      throw new RangeError(`unknown named group: ${String(group)}`);
  }
}

// ---------------------------------------------------------------------------------------------

export const nobleCryptoProvider: CryptoProvider = Object.freeze({
  name: 'noble',
  randomBytes(length: number): Uint8Array {
    return randomBytes(length);
  },
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return HASHES[algorithm](data);
  },
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(HASHES[algorithm], key, data);
  },
  aead: nobleAead,
  cbc: nobleAesCbc,
  generateKeyShare: nobleGenerateKeyShare,
  recordNumberMasker: nobleRecordNumberMasker,
});
