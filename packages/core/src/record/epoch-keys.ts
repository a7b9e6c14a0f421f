import { AlertDescription } from '../alert.js';
import type { Aead } from '../crypto/provider.js';
import { DtlsError } from '../errors.js';
import { AES_BLOCK_LENGTH } from '../crypto/aes-cbc-spec.js';
import { AEAD_NONCE_LENGTH, EXPLICIT_NONCE_LENGTH } from './aead-nonce.js';
import type { CbcEpochKeys } from './cbc-record.js';

/**
 * The keys of one epoch in one direction (RFC 5246 6.3 key_block, split per direction): an AEAD
 * suite's (EpochKeys), or a CBC suite's (CbcEpochKeys), told apart by their `cbc`.
 */
export type RecordKeys = EpochKeys | CbcEpochKeys;

/**
 * An AEAD suite's keys of one epoch in one direction: the AEAD keyed with client/server_write_key
 * and the client/server_write_IV.
 */
export interface EpochKeys {
  aead: Aead;
  /** Never set: tells AEAD keys from CBC keys. */
  readonly cbc?: undefined;
  /** client/server_write_IV: 4 bytes for AES-GCM/CCM (the salt), 12 for ChaCha20-Poly1305. */
  fixedIv: Uint8Array;
  /** record_iv_length: 8 (explicit nonce in each record, AES-GCM/CCM) or 0 (ChaCha20-Poly1305). */
  recordIvLength: number;
}

/**
 * Checks that the IV lengths describe one of the two nonce constructions we implement:
 * 4-byte salt + 8-byte explicit nonce (RFC 5288 3, RFC 6655 3) or a 12-byte IV with no
 * explicit nonce (RFC 7905 2). Anything else is our own bug: internal_error.
 */
export function assertValidEpochKeys(keys: RecordKeys): void {
  if (keys.cbc !== undefined) {
    // RFC 5246 6.2.3.2: an IV of one block per record; the MAC key as long as the MAC (6.2.3.1).
    if (keys.recordIvLength !== AES_BLOCK_LENGTH || keys.macKey.length !== keys.macLength) {
      throw new DtlsError(AlertDescription.internal_error, `unsupported CBC keys: record IV ${keys.recordIvLength} bytes, MAC key ${keys.macKey.length} bytes`);
    }
    return;
  }
  const { fixedIv, recordIvLength } = keys;
  const explicit = recordIvLength === EXPLICIT_NONCE_LENGTH && fixedIv.length === AEAD_NONCE_LENGTH - EXPLICIT_NONCE_LENGTH;
  const implicit = recordIvLength === 0 && fixedIv.length === AEAD_NONCE_LENGTH;
  if (!explicit && !implicit) {
    throw new DtlsError(
      AlertDescription.internal_error,
      `unsupported record nonce layout: fixed IV ${fixedIv.length} bytes, record IV ${recordIvLength} bytes`,
    );
  }
}
