import type { AeadAlgorithm } from '../crypto/provider.js';
import { DTLS13_AEAD_LIMITS, type AeadLimits } from './dtls13-aead-limits.js';
import type { Dtls13RecordLayerOptions } from './dtls13-record-layer.js';

/**
 * The `keyUpdate` option (DTLS 1.3, RFC 9147 4.5.3): when we update our write key ourselves. A key
 * may protect only so many records (per AEAD: AES-GCM 2^24.5, AES-CCM and CCM_8 2^23, ChaCha20
 * the sequence number space); "Implementations SHOULD initiate a key update before reaching this
 * limit", so we send a KeyUpdate (RFC 9147 8) once the key has protected `afterRecords` records
 * (default 3/4 of its limit), and switch to the next key when the peer acknowledges it. Past
 * `limit` less a small reserve for the KeyUpdate itself, application data waits for that
 * acknowledgement (send() refuses it).
 */
export interface KeyUpdateOptions {
  /** Records one write key protects before we send a KeyUpdate; default 3/4 of the AEAD's limit. */
  readonly afterRecords?: number;
  /**
   * A lower limit than RFC 9147 4.5.3's, records per write key, for every AEAD (a deployment that
   * rekeys sooner, or a test); it cannot raise the RFC's.
   */
  readonly limit?: number;
}

export interface ResolvedKeyUpdateOptions {
  readonly afterRecords: number | undefined;
  readonly limit: number | undefined;
}

const ALGORITHMS = Object.keys(DTLS13_AEAD_LIMITS).filter((a): a is AeadAlgorithm => a in DTLS13_AEAD_LIMITS);

/** Checks the option once, up front (RangeError). */
export function resolveKeyUpdateOptions(option: KeyUpdateOptions | undefined): ResolvedKeyUpdateOptions {
  const afterRecords = option?.afterRecords;
  const limit = option?.limit;
  if (afterRecords !== undefined && (!Number.isSafeInteger(afterRecords) || afterRecords < 1)) {
    throw new RangeError(`keyUpdate.afterRecords must be a positive integer (got ${String(afterRecords)})`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 2)) throw new RangeError(`keyUpdate.limit must be an integer >= 2 (got ${String(limit)})`);
  if (afterRecords !== undefined && limit !== undefined && afterRecords >= limit) {
    throw new RangeError(`keyUpdate.afterRecords (${afterRecords}) must be below keyUpdate.limit (${limit}): the KeyUpdate goes out before the limit`);
  }
  return { afterRecords, limit };
}

/** What the DTLS 1.3 record layer takes from the option. */
export function dtls13KeyUpdateRecordOptions(resolved: ResolvedKeyUpdateOptions): Dtls13RecordLayerOptions {
  const out: Dtls13RecordLayerOptions = {};
  if (resolved.afterRecords !== undefined) out.keyUpdateAfterRecords = resolved.afterRecords;
  const limit = resolved.limit;
  if (limit !== undefined) {
    const lower: Partial<Record<AeadAlgorithm, Partial<AeadLimits>>> = {};
    for (const a of ALGORITHMS) lower[a] = { confidentiality: Math.min(limit, DTLS13_AEAD_LIMITS[a].confidentiality) };
    out.aeadLimits = lower;
  }
  return out;
}
