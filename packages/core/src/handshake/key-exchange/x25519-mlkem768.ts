/**
 * The hybrid group X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, NamedGroup 0x11EC): ML-KEM-768
 * (FIPS 203, from @noble/post-quantum) and X25519 together, so the key stays secret if either
 * holds. The ML-KEM part comes first in every field (unlike the other hybrids of the draft):
 *   client key_exchange = ML-KEM-768 encapsulation key (1184) || X25519 public key (32)
 *   server key_exchange = ML-KEM-768 ciphertext (1088)         || X25519 public key (32)
 *   shared secret       = ML-KEM-768 shared secret (32)        || X25519 shared secret (32)
 * All randomness comes from the provider's CSPRNG (keygen seed and encapsulation message).
 */

import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { concatBytes } from '../../bytes.js';
import type { CryptoProvider, KeyShare } from '../../crypto/provider.js';
import { IllegalParameterError } from '../../errors.js';

export const X25519_MLKEM768_ID = 0x11ec;
export const MLKEM768_ENCAPSULATION_KEY_LENGTH = 1184;
export const MLKEM768_CIPHERTEXT_LENGTH = 1088;
const X25519_LENGTH = 32;
/** FIPS 203 ML-KEM.KeyGen randomness: d || z. */
const KEYGEN_SEED_LENGTH = 64;
/** FIPS 203 ML-KEM.Encaps randomness: m. */
const ENCAPS_RANDOM_LENGTH = 32;
export const X25519_MLKEM768_CLIENT_SHARE_LENGTH = MLKEM768_ENCAPSULATION_KEY_LENGTH + X25519_LENGTH;
export const X25519_MLKEM768_SERVER_SHARE_LENGTH = MLKEM768_CIPHERTEXT_LENGTH + X25519_LENGTH;

/** The client's half: what it sends, and how it finishes with the server's reply. */
export interface HybridClientShare {
  /** ek || X25519 public key (1216 bytes). */
  readonly keyExchange: Uint8Array;
  /** The 64-byte shared secret from the server's key_exchange; IllegalParameterError on a bad one. */
  complete(serverKeyExchange: Uint8Array): Uint8Array;
}

/** The server's half: what it sends back, and the shared secret it now holds. */
export interface HybridServerShare {
  /** ciphertext || X25519 public key (1120 bytes). */
  readonly keyExchange: Uint8Array;
  /** ML-KEM shared secret || X25519 shared secret (64 bytes). */
  readonly sharedSecret: Uint8Array;
}

/**
 * The client share from an X25519 key pair and the 64-byte ML-KEM.KeyGen seed (d || z): the
 * deterministic core of x25519MlKem768ClientShare, for known-answer tests.
 */
export function x25519MlKem768ClientShareFrom(x25519: KeyShare, keygenSeed: Uint8Array): HybridClientShare {
  if (x25519.group !== 'x25519') throw new TypeError(`X25519MLKEM768 needs an x25519 key pair, got ${x25519.group}`);
  if (keygenSeed.length !== KEYGEN_SEED_LENGTH) throw new RangeError(`ML-KEM.KeyGen seed must be ${KEYGEN_SEED_LENGTH} bytes, got ${keygenSeed.length}`);
  const { publicKey, secretKey } = ml_kem768.keygen(keygenSeed);
  return {
    keyExchange: concatBytes(publicKey, x25519.publicKey),
    complete(serverKeyExchange: Uint8Array): Uint8Array {
      if (serverKeyExchange.length !== X25519_MLKEM768_SERVER_SHARE_LENGTH) {
        throw new IllegalParameterError(`X25519MLKEM768 server key_exchange must be ${X25519_MLKEM768_SERVER_SHARE_LENGTH} bytes, got ${serverKeyExchange.length}`);
      }
      // FIPS 203 7.3: decapsulation of a well-sized ciphertext never fails (implicit rejection):
      // a forged ciphertext yields a key the server does not have, and Finished fails.
      const mlkemSecret = ml_kem768.decapsulate(serverKeyExchange.subarray(0, MLKEM768_CIPHERTEXT_LENGTH), secretKey);
      const x25519Secret = x25519.deriveSecret(serverKeyExchange.subarray(MLKEM768_CIPHERTEXT_LENGTH));
      return concatBytes(mlkemSecret, x25519Secret);
    },
  };
}

/** A fresh client share: ML-KEM-768 keys from the provider's CSPRNG and an ephemeral X25519 pair. */
export function x25519MlKem768ClientShare(provider: CryptoProvider, x25519?: KeyShare): HybridClientShare {
  return x25519MlKem768ClientShareFrom(x25519 ?? provider.generateKeyShare('x25519'), provider.randomBytes(KEYGEN_SEED_LENGTH));
}

/**
 * The server share from an X25519 key pair and the 32-byte ML-KEM.Encaps randomness m: the
 * deterministic core of x25519MlKem768ServerShare. The client's share is checked whole first:
 * its length, then FIPS 203 7.2's encapsulation-key check (every coefficient below q), then the
 * X25519 point (all-zero result refused): a bad one is illegal_parameter (draft-ietf-tls-ecdhe-mlkem,
 * RFC 8446 4.2.8).
 */
export function x25519MlKem768ServerShareFrom(x25519: KeyShare, encapsRandom: Uint8Array, clientKeyExchange: Uint8Array): HybridServerShare {
  if (x25519.group !== 'x25519') throw new TypeError(`X25519MLKEM768 needs an x25519 key pair, got ${x25519.group}`);
  if (encapsRandom.length !== ENCAPS_RANDOM_LENGTH) throw new RangeError(`ML-KEM.Encaps randomness must be ${ENCAPS_RANDOM_LENGTH} bytes, got ${encapsRandom.length}`);
  if (clientKeyExchange.length !== X25519_MLKEM768_CLIENT_SHARE_LENGTH) {
    throw new IllegalParameterError(`X25519MLKEM768 client key_exchange must be ${X25519_MLKEM768_CLIENT_SHARE_LENGTH} bytes, got ${clientKeyExchange.length}`);
  }
  const encapsulationKey = clientKeyExchange.subarray(0, MLKEM768_ENCAPSULATION_KEY_LENGTH);
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    encapsulated = ml_kem768.encapsulate(encapsulationKey, encapsRandom);
  } catch (cause) {
    const err = new IllegalParameterError('X25519MLKEM768 encapsulation key fails the FIPS 203 7.2 check');
    err.cause = cause;
    throw err;
  }
  const x25519Secret = x25519.deriveSecret(clientKeyExchange.subarray(MLKEM768_ENCAPSULATION_KEY_LENGTH));
  return {
    keyExchange: concatBytes(encapsulated.cipherText, x25519.publicKey),
    sharedSecret: concatBytes(encapsulated.sharedSecret, x25519Secret),
  };
}

/** A fresh server share for the client's key_exchange: randomness from the provider's CSPRNG. */
export function x25519MlKem768ServerShare(provider: CryptoProvider, clientKeyExchange: Uint8Array, x25519?: KeyShare): HybridServerShare {
  return x25519MlKem768ServerShareFrom(x25519 ?? provider.generateKeyShare('x25519'), provider.randomBytes(ENCAPS_RANDOM_LENGTH), clientKeyExchange);
}
