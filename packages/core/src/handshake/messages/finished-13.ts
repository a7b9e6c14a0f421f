import { DecodeError } from '../../errors.js';

/*
 * RFC 8446 4.4.4: struct { opaque verify_data[Hash.length]; } Finished;
 * The length is the suite's hash length (32 for SHA-256, 48 for SHA-384), so a body of any other
 * length cannot be a Finished; the caller compares the value in constant time and answers a wrong
 * one with decrypt_error.
 */
export function encodeFinished13(verifyData: Uint8Array): Uint8Array {
  return verifyData.slice();
}

export function decodeFinished13(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength) throw new DecodeError(`Finished: ${body.length} bytes, the suite's hash has ${hashLength}`);
  return body.slice();
}
