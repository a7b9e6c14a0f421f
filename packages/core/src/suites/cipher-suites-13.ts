import type { AeadAlgorithm, HashAlgorithm } from '../crypto/provider.js';

/**
 * A TLS 1.3 cipher suite (RFC 8446 B.4): only the AEAD and the HKDF hash; the key exchange and
 * authentication are negotiated apart (key_share, pre_shared_key, signature_algorithms).
 */
export interface CipherSuite13 {
  /** IANA TLS Cipher Suite value (0x13xx). */
  readonly id: number;
  /** IANA name, e.g. TLS_AES_128_GCM_SHA256. */
  readonly name: string;
  readonly aead: AeadAlgorithm;
  /** The HKDF and transcript hash (RFC 8446 7.1). */
  readonly hash: HashAlgorithm;
  /** The traffic key length (RFC 8446 7.3); the IV is 12 bytes for every suite here. */
  readonly keyLength: number;
}

/** RFC 8446 B.4 and RFC 9147 (which forbids none of them), in our default server preference order. */
export const CIPHER_SUITES_13: readonly CipherSuite13[] = Object.freeze([
  { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 },
  { id: 0x1304, name: 'TLS_AES_128_CCM_SHA256', aead: 'aes-128-ccm', hash: 'sha256', keyLength: 16 },
  { id: 0x1305, name: 'TLS_AES_128_CCM_8_SHA256', aead: 'aes-128-ccm-8', hash: 'sha256', keyLength: 16 },
]);

export function cipherSuite13ById(id: number): CipherSuite13 | undefined {
  return CIPHER_SUITES_13.find((s) => s.id === id);
}
