import { AlertDescription } from '../alert.js';
import type { Aead, AeadAlgorithm, CryptoProvider } from '../crypto/provider.js';
import { recordNumberCipherFor } from '../crypto/record-number-mask.js';
import type { RecordNumberMasker } from '../crypto/record-number-mask.js';
import { DtlsError } from '../errors.js';

/**
 * The keys of one DTLS 1.3 epoch in one direction, from its traffic secret (RFC 8446 7.3, with the
 * "dtls13" label prefix of RFC 9147 5.9): the AEAD keyed with [sender]_write_key, the
 * [sender]_write_iv, and the record number mask keyed with [sender]_sn_key (RFC 9147 4.2.3).
 */
export interface Dtls13EpochKeys {
  readonly algorithm: AeadAlgorithm;
  readonly aead: Aead;
  /** [sender]_write_iv: iv_length bytes (12 for every AEAD of RFC 8446 B.4 and RFC 9147). */
  readonly iv: Uint8Array;
  readonly recordNumberMasker: RecordNumberMasker;
}

/** The raw key material of one epoch and direction, as the key schedule derives it. */
export interface Dtls13TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly snKey: Uint8Array;
}

/**
 * Keys an epoch with `provider`. internal_error when the provider cannot encrypt record numbers
 * (CryptoProvider.recordNumberMasker is optional) or the IV is not 12 bytes; RangeError from the
 * provider when a key length does not fit the algorithm.
 */
export function dtls13EpochKeys(provider: CryptoProvider, algorithm: AeadAlgorithm, traffic: Dtls13TrafficKeys): Dtls13EpochKeys {
  const masker = provider.recordNumberMasker;
  if (masker === undefined) {
    throw new DtlsError(AlertDescription.internal_error, `the ${provider.name} crypto provider cannot encrypt DTLS 1.3 record numbers (RFC 9147 4.2.3)`);
  }
  if (traffic.iv.length !== 12) throw new DtlsError(AlertDescription.internal_error, `a DTLS 1.3 write IV is 12 bytes, got ${traffic.iv.length}`);
  return {
    algorithm,
    aead: provider.aead(algorithm, traffic.key),
    iv: Uint8Array.from(traffic.iv),
    recordNumberMasker: masker(recordNumberCipherFor(algorithm), traffic.snKey),
  };
}
