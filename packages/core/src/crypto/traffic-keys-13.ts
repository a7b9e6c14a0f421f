/**
 * What a traffic secret turns into: the record protection key and IV (RFC 8446 7.3), the DTLS
 * 1.3 record-number encryption key (RFC 9147 4.2.3), and the next generation of an application
 * traffic secret after a KeyUpdate (RFC 8446 7.2).
 */

import { HASH_LENGTH } from './hkdf.js';
import { type LabelledHkdf, hkdfExpandLabel } from './hkdf-label.js';

const EMPTY = new Uint8Array(0);

/** The keys of one epoch and direction. */
export interface TrafficKeys13 {
  /** write_key = HKDF-Expand-Label(Secret, "key", "", key_length) (RFC 8446 7.3). */
  readonly key: Uint8Array;
  /** write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length) (RFC 8446 7.3): 12 bytes for every 1.3 AEAD. */
  readonly iv: Uint8Array;
  /**
   * sn_key = HKDF-Expand-Label(Secret, "sn", "", key_length) (RFC 9147 4.2.3): the key that masks
   * DTLS 1.3 record numbers. Derived whatever the prefix; TLS never uses it.
   */
  readonly snKey: Uint8Array;
}

/**
 * RFC 8446 7.3 and RFC 9147 4.2.3: the key, IV and record-number key of a traffic secret.
 * `keyLength` is the AEAD's key length (16 or 32), `ivLength` its nonce length (12, RFC 8446 5.3).
 */
export function trafficKeys13(kdf: LabelledHkdf, secret: Uint8Array, keyLength: number, ivLength: number): TrafficKeys13 {
  return {
    key: hkdfExpandLabel(kdf, secret, 'key', EMPTY, keyLength),
    iv: hkdfExpandLabel(kdf, secret, 'iv', EMPTY, ivLength),
    snKey: hkdfExpandLabel(kdf, secret, 'sn', EMPTY, keyLength),
  };
}

/**
 * RFC 8446 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N,
 * "traffic upd", "", Hash.length). DTLS 1.3 runs it on each KeyUpdate (RFC 9147 8), with its prefix.
 */
export function nextApplicationTrafficSecret(kdf: LabelledHkdf, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(kdf, secret, 'traffic upd', EMPTY, HASH_LENGTH[kdf.hash]);
}
