/**
 * Per-record AEAD nonce and additional data for DTLS 1.2.
 *
 * - AES-GCM (RFC 5288 3) and AES-CCM (RFC 6655 3): nonce = salt || nonce_explicit, where the
 *   salt is the 4-byte client/server_write_IV and nonce_explicit is 8 bytes carried in the
 *   record ahead of the ciphertext. We send the 64-bit DTLS epoch || sequence_number as
 *   nonce_explicit (unique per key, as RFC 5288 3 requires); on receipt the explicit nonce is
 *   taken from the record as the peer chose it.
 * - ChaCha20-Poly1305 (RFC 7905 2): nonce = write_IV (12 bytes) XOR (0x00000000 ||
 *   epoch || sequence_number); nothing explicit is sent.
 * - additional_data (RFC 5246 6.2.3.3 as amended by RFC 6347 4.1.2.1):
 *   epoch(2) || sequence_number(6) || type(1) || version(2) || length(2), where length is
 *   that of the plaintext.
 */

/** Length of the additional data: 8 + 1 + 2 + 2. */
export const AEAD_ADDITIONAL_DATA_LENGTH = 13;
/** Length of the explicit nonce of AES-GCM and AES-CCM (RFC 5288 3, RFC 6655 3). */
export const EXPLICIT_NONCE_LENGTH = 8;
/** Length of every AEAD nonce we use (RFC 5116 3.2: N_MIN = N_MAX = 12 for our algorithms). */
export const AEAD_NONCE_LENGTH = 12;

/** Writes the 64-bit epoch(2) || sequence_number(6) at `offset` (RFC 6347 4.1.2.1). */
export function writeEpochAndSequence(epoch: number, sequenceNumber: number, out: Uint8Array, offset: number): void {
  const seqHi = Math.floor(sequenceNumber / 0x1_0000_0000);
  const seqLo = sequenceNumber % 0x1_0000_0000;
  out[offset] = (epoch >>> 8) & 0xff;
  out[offset + 1] = epoch & 0xff;
  out[offset + 2] = (seqHi >>> 8) & 0xff;
  out[offset + 3] = seqHi & 0xff;
  out[offset + 4] = (seqLo >>> 24) & 0xff;
  out[offset + 5] = (seqLo >>> 16) & 0xff;
  out[offset + 6] = (seqLo >>> 8) & 0xff;
  out[offset + 7] = seqLo & 0xff;
}

/** The 8-byte explicit nonce we send with AES-GCM/CCM records: epoch || sequence_number. */
export function explicitNonceFor(epoch: number, sequenceNumber: number): Uint8Array {
  const out = new Uint8Array(EXPLICIT_NONCE_LENGTH);
  writeEpochAndSequence(epoch, sequenceNumber, out, 0);
  return out;
}

/**
 * AES-GCM / AES-CCM nonce: fixed_iv (salt, 4 bytes) || explicit nonce (8 bytes) (RFC 5288 3, RFC 6655 3),
 * written into `out` (the record layer passes a scratch buffer it reuses for every record). The
 * explicit nonce is the first `length` bytes of `explicitNonce`: the record layer passes the
 * record's fragment as it came, which starts with it, rather than a view per record.
 */
export function explicitAeadNonce(
  fixedIv: Uint8Array,
  explicitNonce: Uint8Array,
  out: Uint8Array = new Uint8Array(fixedIv.length + explicitNonce.length),
  length: number = explicitNonce.length,
): Uint8Array {
  out.set(fixedIv, 0);
  for (let i = 0; i < length; i++) out[fixedIv.length + i] = explicitNonce[i] ?? 0;
  return out;
}

/** ChaCha20-Poly1305 nonce: write_IV XOR (0^32 || epoch || sequence_number) (RFC 7905 2), written into `out`. */
export function xorAeadNonce(
  writeIv: Uint8Array,
  epoch: number,
  sequenceNumber: number,
  out: Uint8Array = new Uint8Array(writeIv.length),
): Uint8Array {
  const at = writeIv.length - EXPLICIT_NONCE_LENGTH;
  // `out` may hold the last record's nonce: every byte is written. (A loop, not fill(): for a few
  // bytes per record, a call into the runtime costs more than the bytes.)
  for (let i = 0; i < at; i++) out[i] = writeIv[i] ?? 0;
  writeEpochAndSequence(epoch, sequenceNumber, out, at);
  for (let i = at; i < writeIv.length; i++) out[i] = (out[i] ?? 0) ^ (writeIv[i] ?? 0);
  return out;
}

/**
 * additional_data = epoch || sequence_number || type || version || length (RFC 6347 4.1.2.1,
 * RFC 5246 6.2.3.3), written at the start of `out`; returns the 13 bytes.
 */
export function aeadAdditionalData(
  epoch: number,
  sequenceNumber: number,
  type: number,
  version: number,
  plaintextLength: number,
  out: Uint8Array = new Uint8Array(AEAD_ADDITIONAL_DATA_LENGTH),
): Uint8Array {
  writeEpochAndSequence(epoch, sequenceNumber, out, 0);
  out[8] = type & 0xff;
  out[9] = (version >>> 8) & 0xff;
  out[10] = version & 0xff;
  out[11] = (plaintextLength >>> 8) & 0xff;
  out[12] = plaintextLength & 0xff;
  return out.length === AEAD_ADDITIONAL_DATA_LENGTH ? out : out.subarray(0, AEAD_ADDITIONAL_DATA_LENGTH);
}
