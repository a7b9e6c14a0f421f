import { DecodeError } from '../../errors.js';

/** RFC 5246 7.4.5: struct { } ServerHelloDone; */
export function encodeServerHelloDone(): Uint8Array {
  return new Uint8Array(0);
}

/** Throws DecodeError unless the body is empty. */
export function decodeServerHelloDone(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError(`ServerHelloDone: body must be empty, has ${body.length} bytes`);
}
