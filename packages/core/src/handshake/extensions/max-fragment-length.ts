import { DecodeError, IllegalParameterError } from '../../errors.js';

/*
 * RFC 6066 4:
 *   enum{ 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) } MaxFragmentLength;
 * "extension_data" holds one MaxFragmentLength; the server echoes the client's value.
 */

/** The lengths a client may request (RFC 6066 4), in bytes. */
export type MaxFragmentLength = 512 | 1024 | 2048 | 4096;

export const MAX_FRAGMENT_LENGTHS: readonly MaxFragmentLength[] = [512, 1024, 2048, 4096];

/** The code point of a length: 2^9 is 1, ..., 2^12 is 4. */
export function maxFragmentLengthCode(length: MaxFragmentLength): number {
  return MAX_FRAGMENT_LENGTHS.indexOf(length) + 1;
}

export function encodeMaxFragmentLength(length: MaxFragmentLength): Uint8Array {
  return new Uint8Array([maxFragmentLengthCode(length)]);
}

/**
 * The length requested (or echoed). Throws DecodeError unless the extension_data is one byte, and
 * RFC 6066 4: "a value other than the allowed values ... MUST abort the handshake with an
 * "illegal_parameter" alert" (IllegalParameterError).
 */
export function decodeMaxFragmentLength(data: Uint8Array): MaxFragmentLength {
  if (data.length !== 1) throw new DecodeError(`max_fragment_length: extension_data must be 1 byte, has ${data.length}`);
  const code = data[0] ?? 0;
  const length = MAX_FRAGMENT_LENGTHS[code - 1];
  if (length === undefined) throw new IllegalParameterError(`max_fragment_length: unknown value ${code} (RFC 6066 4 allows 1..4: 2^9..2^12)`);
  return length;
}
