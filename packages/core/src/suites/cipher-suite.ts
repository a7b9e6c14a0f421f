import type { AeadAlgorithm, CbcAlgorithm, HashAlgorithm } from '../crypto/provider.js';

/** How the premaster secret is agreed and who proves what (RFC 4279, 5489, 8422). */
export type KeyExchangeAlgorithm = 'psk' | 'ecdhe_psk' | 'ecdhe_ecdsa' | 'ecdhe_rsa';

/**
 * The record protection of a CBC suite (RFC 5246 6.2.3.2): a block cipher in CBC mode and an
 * HMAC, MAC-then-encrypt, or encrypt-then-MAC when both sides negotiate RFC 7366.
 */
export interface CbcProtection {
  readonly cipher: CbcAlgorithm;
  /** The HMAC hash (RFC 5246 6.2.3.1): SHA-256 or SHA-384 for the suites we carry. */
  readonly macHash: HashAlgorithm;
  /** mac_length and mac_key_length (RFC 5246 6.2.3.1): the hash's output length. */
  readonly macLength: number;
}

export interface CipherSuite {
  /** IANA TLS Cipher Suite value. */
  readonly id: number;
  /** IANA name, e.g. TLS_PSK_WITH_AES_128_CCM_8. */
  readonly name: string;
  /** OpenSSL's name, e.g. PSK-AES128-CCM8. */
  readonly opensslName: string;
  readonly keyExchange: KeyExchangeAlgorithm;
  /** The AEAD of an AEAD suite; undefined for a CBC suite (see cbc). */
  readonly aead: AeadAlgorithm | undefined;
  /** The block cipher and MAC of a CBC suite (RFC 5246 6.2.3.2); undefined for an AEAD suite. */
  readonly cbc: CbcProtection | undefined;
  /** The PRF hash (RFC 5246 5), also the Finished and transcript hash. */
  readonly prfHash: HashAlgorithm;
  /** enc_key_length. */
  readonly keyLength: number;
  /** mac_key_length (RFC 5246 6.3): 0 for AEAD suites. */
  readonly macKeyLength: number;
  /**
   * fixed_iv_length: 4 for GCM/CCM (RFC 5288 3, RFC 6655 3), 12 for ChaCha20-Poly1305 (RFC 7905 2),
   * 0 for CBC (RFC 5246 6.3: IVs come from the key block only for implicit nonces).
   */
  readonly fixedIvLength: number;
  /**
   * record_iv_length: the explicit nonce carried in each record (8, or 0 for ChaCha20-Poly1305),
   * or the CBC IV (16, RFC 5246 6.2.3.2).
   */
  readonly recordIvLength: number;
  /**
   * Bytes the protection adds after the record IV, at most: the AEAD tag, or for CBC the MAC and
   * up to one block of padding (padding_length byte included).
   */
  readonly tagLength: number;
}
