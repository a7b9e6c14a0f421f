import { DecodeError } from '../../errors.js';

/*
 * RFC 8449 4: "The ExtensionData of the "record_size_limit" extension is RecordSizeLimit:
 *   uint16 RecordSizeLimit;"
 * the largest protected record plaintext, in octets, that its sender is willing to receive.
 * The range checks (64 .. 2^14 for DTLS 1.2) are the negotiation's (record-size-negotiation.ts):
 * the codec only frames the value.
 */

export function encodeRecordSizeLimit(limit: number): Uint8Array {
  return new Uint8Array([(limit >>> 8) & 0xff, limit & 0xff]);
}

/** Throws DecodeError unless the extension_data is exactly one uint16. */
export function decodeRecordSizeLimit(data: Uint8Array): number {
  if (data.length !== 2) throw new DecodeError(`record_size_limit: extension_data must be 2 bytes, has ${data.length}`);
  return ((data[0] ?? 0) << 8) | (data[1] ?? 0);
}
