/**
 * The crypto provider interface: everything the engine needs from a crypto library, and
 * nothing more. Two implementations pass the same tests: `nodeCryptoProvider` (node:crypto,
 * the fast default) and `nobleCryptoProvider` (pure JS on @noble/*, runs anywhere).
 * All calls are synchronous: records are sealed and opened on the hot path.
 */

import type { RecordNumberCipher, RecordNumberMasker } from './record-number-mask.js';

export type HashAlgorithm = 'sha256' | 'sha384';

/** The AEAD ciphers of the first wave (RFC 5288, RFC 6655, RFC 7905). */
export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm' | 'aes-128-ccm-8';

/** The block ciphers of the CBC suites (RFC 5246 6.2.3.2, RFC 5487, RFC 5289, RFC 5489). */
export type CbcAlgorithm = 'aes-128-cbc' | 'aes-256-cbc';

/**
 * AES in CBC mode keyed once per epoch and direction, without padding: the record layer pads
 * (RFC 5246 6.2.3.2) and checks the padding itself, in constant time, so a provider never sees
 * or judges it. Inputs are whole 16-byte blocks; the IV is 16 bytes.
 */
export interface CbcCipher {
  readonly algorithm: CbcAlgorithm;
  /** Encrypts whole blocks; RangeError when the IV or the data length is not a block multiple. */
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** Decrypts whole blocks; RangeError when the IV or the data length is not a block multiple. */
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
}

/** RFC 8422 5.1.1 / RFC 7919 NamedGroup names we run ECDHE over. */
export type NamedGroupName = 'x25519' | 'secp256r1' | 'secp384r1';

/**
 * An AEAD keyed once per epoch and direction; reused for every record. The nonce, the additional
 * data and (for a tls12_cid record) the plaintext given to seal/sealInto/open are scratch memory
 * the record layer reuses for the next record: use them within the call, never keep them.
 */
export interface Aead {
  readonly algorithm: AeadAlgorithm;
  /** Length in bytes of the authentication tag appended by seal(). */
  readonly tagLength: number;
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Optional: writes ciphertext || tag (plaintext.length + tagLength bytes, as seal() returns
   * them) into `out` at `offset`, so the record layer seals straight into the record it sends
   * instead of allocating and copying the sealed bytes once more.
   */
  sealInto?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): void;
  /** Returns the plaintext, or null when the tag does not verify (never throws on bad input). */
  open(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /**
   * Optional: open() without memory of its own. Verifies the tag, then writes the plaintext over
   * the ciphertext at the start of `ciphertextAndTag` and returns a view of it there; null when
   * the tag does not verify (the bytes may then be anything). The record layer calls it only on
   * a datagram its caller handed over (see RecordLayer.open): a received record then costs no
   * allocation, and the plaintext handed on is the datagram's memory, never written again.
   */
  openInPlace?(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

/** An ephemeral (EC)DH key pair for one handshake. */
export interface KeyShare {
  readonly group: NamedGroupName;
  /** Public value as sent on the wire: uncompressed point (0x04||X||Y) for NIST curves, 32 bytes for X25519. */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with the peer's public value (RFC 8422 5.10: the X coordinate for NIST
   * curves; RFC 7748 output for X25519). Throws DtlsError(illegal_parameter) for a point that
   * is not on the curve, is the identity, or (X25519) gives the all-zero secret.
   */
  deriveSecret(peerPublicKey: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  readonly name: string;
  randomBytes(length: number): Uint8Array;
  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Keys an AEAD. Throws RangeError when the key length does not fit the algorithm. */
  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead;
  /**
   * Keys AES-CBC for the CBC suites; RangeError when the key length does not fit. Optional: a
   * provider without it cannot run a CBC suite (the handshake fails with internal_error when one
   * is negotiated; CBC suites are offered only when asked for).
   */
  cbc?(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher;
  generateKeyShare(group: NamedGroupName): KeyShare;
  /**
   * Keys DTLS 1.3 record number encryption (RFC 9147 4.2.3) with an epoch's sn_key; RangeError
   * when the key length does not fit. Optional: a provider without it cannot run DTLS 1.3.
   */
  recordNumberMasker?(cipher: RecordNumberCipher, snKey: Uint8Array): RecordNumberMasker;
}
