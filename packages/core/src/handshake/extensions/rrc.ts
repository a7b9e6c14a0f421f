import { DecodeError } from '../../errors.js';

/*
 * RFC 9853 3: "the extension_data field of this extension is empty". A client that wants the
 * return routability check sends it with connection_id; the server answers it only then.
 */

export function encodeRrc(): Uint8Array {
  return new Uint8Array(0);
}

/** Throws DecodeError unless the extension_data is empty. */
export function decodeRrc(data: Uint8Array): void {
  if (data.length !== 0) throw new DecodeError(`rrc: extension_data must be empty, has ${data.length} bytes`);
}
