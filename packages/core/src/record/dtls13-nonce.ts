import { MAX_SEQUENCE_NUMBER } from './record-header.js';

/**
 * RFC 8446 5.3, which RFC 9147 4 keeps for DTLS 1.3: "1. The 64-bit record sequence number is
 * encoded in network byte order and padded to the left with zeros to iv_length. 2. The padded
 * sequence number is XORed with either the static client_write_iv or server_write_iv".
 *
 * The record sequence number is the one of the record's epoch, without the epoch (RFC 9147 4:
 * "Sequence numbers are maintained separately for each epoch"; each epoch has keys of its own,
 * so the epoch needs no place in the nonce). wolfSSL 5.5.4 builds it the same way
 * (BuildTls13Nonce over the epoch's sequence number), unlike DTLS 1.2's epoch || sequence_number
 * (RFC 6347 4.1.2.1, RFC 7905 2).
 */
export function dtls13Nonce(iv: Uint8Array, sequenceNumber: number, out: Uint8Array = new Uint8Array(iv.length)): Uint8Array {
  if (iv.length < 8) throw new RangeError(`a TLS 1.3 nonce is at least 8 bytes (RFC 8446 5.3), got an IV of ${iv.length}`);
  if (!Number.isInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > MAX_SEQUENCE_NUMBER) {
    throw new RangeError(`sequence number out of range: ${sequenceNumber}`);
  }
  const hi = Math.floor(sequenceNumber / 0x1_0000_0000);
  const lo = sequenceNumber % 0x1_0000_0000;
  const at = iv.length - 8;
  out.set(iv);
  // The 48-bit number in the last 6 bytes (the first 2 of the 8 are zero): no array per record.
  out[at + 2] = (iv[at + 2] ?? 0) ^ ((hi >>> 8) & 0xff);
  out[at + 3] = (iv[at + 3] ?? 0) ^ (hi & 0xff);
  out[at + 4] = (iv[at + 4] ?? 0) ^ ((lo >>> 24) & 0xff);
  out[at + 5] = (iv[at + 5] ?? 0) ^ ((lo >>> 16) & 0xff);
  out[at + 6] = (iv[at + 6] ?? 0) ^ ((lo >>> 8) & 0xff);
  out[at + 7] = (iv[at + 7] ?? 0) ^ (lo & 0xff);
  return out;
}
