import type { AeadAlgorithm, HashAlgorithm } from '../crypto/provider.js';

/** How the premaster secret is agreed and who proves what (RFC 4279, 5489, 8422). */
export type KeyExchangeAlgorithm = 'psk' | 'ecdhe_psk' | 'ecdhe_ecdsa' | 'ecdhe_rsa';

export interface CipherSuite {
  /** IANA TLS Cipher Suite value. */
  readonly id: number;
  /** IANA name, e.g. TLS_PSK_WITH_AES_128_CCM_8. */
  readonly name: string;
  /** OpenSSL's name, e.g. PSK-AES128-CCM8. */
  readonly opensslName: string;
  readonly keyExchange: KeyExchangeAlgorithm;
  readonly aead: AeadAlgorithm;
  /** The PRF hash (RFC 5246 5), also the Finished and transcript hash. */
  readonly prfHash: HashAlgorithm;
  /** enc_key_length. */
  readonly keyLength: number;
  /** fixed_iv_length: 4 for GCM/CCM (RFC 5288 3, RFC 6655 3), 12 for ChaCha20-Poly1305 (RFC 7905 2). */
  readonly fixedIvLength: number;
  /** record_iv_length: the explicit nonce carried in each record (8, or 0 for ChaCha20-Poly1305). */
  readonly recordIvLength: number;
  readonly tagLength: number;
}
