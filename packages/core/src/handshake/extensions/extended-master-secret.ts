import { DecodeError } from '../../errors.js';

/*
 * RFC 7627 5.1: "The "extension_data" field of this extension is empty." Its presence is
 * the whole message, in the ClientHello and in the ServerHello.
 */

export function encodeExtendedMasterSecret(): Uint8Array {
  return new Uint8Array(0);
}

/** Throws DecodeError unless the extension_data is empty. */
export function decodeExtendedMasterSecret(data: Uint8Array): void {
  if (data.length !== 0) {
    throw new DecodeError(`extended_master_secret: extension_data must be empty, has ${data.length} bytes`);
  }
}
