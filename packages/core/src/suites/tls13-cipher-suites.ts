import type { AeadAlgorithm, HashAlgorithm } from '../crypto/provider.js';

/**
 * A TLS 1.3 cipher suite (RFC 8446 B.4): only the record protection AEAD and the HKDF hash; key
 * exchange and authentication are negotiated by extensions, not by the suite. DTLS 1.3 uses the
 * same values (RFC 9147 5), the AEAD key also keying the record number mask (RFC 9147 4.2.3).
 */
export interface Tls13CipherSuite {
  /** IANA TLS Cipher Suite value (0x13xx). */
  readonly id: number;
  /** IANA name, e.g. TLS_AES_128_GCM_SHA256 (OpenSSL and wolfSSL print these too). */
  readonly name: string;
  /** wolfSSL's name for its `-l` option, e.g. TLS13-AES128-GCM-SHA256. */
  readonly wolfsslName: string;
  readonly aead: AeadAlgorithm;
  /** The HKDF and transcript hash. */
  readonly hash: HashAlgorithm;
  /** key_length of the AEAD, also the sn_key length (RFC 9147 4.2.3). */
  readonly keyLength: number;
  /** iv_length (RFC 8446 5.3): 12 for every suite here. */
  readonly ivLength: number;
}

/** RFC 8446 B.4 (and RFC 9147 5: all five allowed in DTLS 1.3), in our order of preference. */
export const TLS13_CIPHER_SUITES: readonly Tls13CipherSuite[] = Object.freeze([
  { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', wolfsslName: 'TLS13-AES128-GCM-SHA256', aead: 'aes-128-gcm', hash: 'sha256', keyLength: 16, ivLength: 12 },
  { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', wolfsslName: 'TLS13-AES256-GCM-SHA384', aead: 'aes-256-gcm', hash: 'sha384', keyLength: 32, ivLength: 12 },
  { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', wolfsslName: 'TLS13-CHACHA20-POLY1305-SHA256', aead: 'chacha20-poly1305', hash: 'sha256', keyLength: 32, ivLength: 12 },
  { id: 0x1304, name: 'TLS_AES_128_CCM_SHA256', wolfsslName: 'TLS13-AES128-CCM-SHA256', aead: 'aes-128-ccm', hash: 'sha256', keyLength: 16, ivLength: 12 },
  { id: 0x1305, name: 'TLS_AES_128_CCM_8_SHA256', wolfsslName: 'TLS13-AES128-CCM-8-SHA256', aead: 'aes-128-ccm-8', hash: 'sha256', keyLength: 16, ivLength: 12 },
] satisfies Tls13CipherSuite[]);

export function tls13CipherSuiteById(id: number): Tls13CipherSuite | undefined {
  return TLS13_CIPHER_SUITES.find((s) => s.id === id);
}

export function tls13CipherSuiteByName(name: string): Tls13CipherSuite | undefined {
  return TLS13_CIPHER_SUITES.find((s) => s.name === name || s.wolfsslName === name);
}
