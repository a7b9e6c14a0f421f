import type { AeadAlgorithm } from '../crypto/provider.js';
import { MAX_SEQUENCE_NUMBER } from './record-header.js';

/**
 * RFC 9147 4.5.3 — how many records one key may protect (confidentiality) and how many records
 * that fail authentication one key may see (integrity) before it must be replaced:
 *
 * - confidentiality, RFC 8446 5.5: AES-GCM "up to 2^24.5 full-size records"; ChaCha20-Poly1305:
 *   "the record sequence number would wrap before the safety limit is reached", so the limit is
 *   the sequence number space (2^48 here: RFC 9147 4.2.1, implementations MUST rekey before the
 *   sequence number wraps); RFC 9147 4.5.3 / Appendix B.1: AES-CCM (and CCM_8, B.3: "the same as
 *   those for AEAD_AES_128_CCM") 2^23.
 * - integrity, RFC 9147 4.5.3: "For AEAD_AES_128_GCM, AEAD_AES_256_GCM, and AEAD_CHACHA20_POLY1305,
 *   the limit on the number of records that fail authentication is 2^36 ... For AEAD_AES_128_CCM
 *   ... 2^23.5". AEAD_AES_128_CCM_8 has no limit that both keeps the margins and resists denial of
 *   service; "Implementations MUST set usage limits for AEAD_AES_128_CCM_8 based on an
 *   understanding of any additional forgery protections that are used" — by default the margin
 *   of Appendix B.3, v <= 2^7, which the user may raise knowingly (Dtls13RecordLayerOptions).
 *
 * Fractional powers are rounded down: a limit is never exceeded by rounding.
 */
export interface AeadLimits {
  /** Records one key may protect. */
  readonly confidentiality: number;
  /** Records that fail authentication one key may see. */
  readonly integrity: number;
}

export const DTLS13_AEAD_LIMITS: Readonly<Record<AeadAlgorithm, AeadLimits>> = Object.freeze({
  'aes-128-gcm': { confidentiality: Math.floor(2 ** 24.5), integrity: 2 ** 36 },
  'aes-256-gcm': { confidentiality: Math.floor(2 ** 24.5), integrity: 2 ** 36 },
  'chacha20-poly1305': { confidentiality: MAX_SEQUENCE_NUMBER + 1, integrity: 2 ** 36 },
  'aes-128-ccm': { confidentiality: 2 ** 23, integrity: Math.floor(2 ** 23.5) },
  'aes-128-ccm-8': { confidentiality: 2 ** 23, integrity: 2 ** 7 },
});

/** The share of a limit past which a key update is asked for (RFC 9147 4.5.3: "before reaching this limit"). */
export const DEFAULT_KEY_UPDATE_FRACTION = 0.75;

/** What a usage counter says of its key. */
export type KeyUsageState = 'fresh' | 'update' | 'exhausted';

/**
 * One key's count against one limit: 'update' from `fraction` of the limit on (the handshake layer
 * sends a KeyUpdate, RFC 9147 8), 'exhausted' once the limit is reached (the key is used no more).
 */
export class KeyUsage {
  private used = 0;
  private readonly updateAt: number;

  constructor(
    readonly limit: number,
    fraction: number = DEFAULT_KEY_UPDATE_FRACTION,
    /** An absolute count past which an update is asked for, when sooner than `fraction` of the limit. */
    updateAfter?: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a usage limit is a positive integer, got ${limit}`);
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`the key update fraction is in (0, 1], got ${fraction}`);
    if (updateAfter !== undefined && (!Number.isInteger(updateAfter) || updateAfter < 1)) throw new RangeError(`a key update count is a positive integer, got ${updateAfter}`);
    this.updateAt = Math.max(1, Math.min(Math.floor(limit * fraction), updateAfter ?? Infinity));
  }

  /**
   * Whether this key may still protect application data: the last uses up to the limit are kept
   * for the KeyUpdate, its retransmissions and ACKs (RFC 9147 4.5.3: the limit itself is never
   * passed, and the update needs records of the old key to reach the peer), at most 64.
   */
  get roomForData(): boolean {
    return this.used < this.limit - Math.min(64, Math.floor(this.limit / 8));
  }

  get count(): number {
    return this.used;
  }

  get state(): KeyUsageState {
    if (this.used >= this.limit) return 'exhausted';
    return this.used >= this.updateAt ? 'update' : 'fresh';
  }

  /** Counts one use; returns the state after it. */
  add(): KeyUsageState {
    this.used++;
    return this.state;
  }
}
