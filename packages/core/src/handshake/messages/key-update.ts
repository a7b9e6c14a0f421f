import { Reader } from '../../codec/reader.js';
import { IllegalParameterError } from '../../errors.js';

/*
 * RFC 8446 4.6.3:
 *   enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
 *   struct { KeyUpdateRequest request_update; } KeyUpdate;
 * "If an implementation receives any other value, it MUST terminate the connection with an
 * "illegal_parameter" alert." In DTLS 1.3 a KeyUpdate must be acknowledged (RFC 9147 8).
 */
export enum KeyUpdateRequest {
  update_not_requested = 0,
  update_requested = 1,
}

export function encodeKeyUpdate(request: KeyUpdateRequest): Uint8Array {
  return Uint8Array.of(request);
}

/** DecodeError on a body that is not one byte; illegal_parameter on a value other than 0 or 1. */
export function decodeKeyUpdate(body: Uint8Array): KeyUpdateRequest {
  const r = new Reader(body, 'KeyUpdate');
  const v = r.u8('request_update');
  r.end();
  if (v === 0) return KeyUpdateRequest.update_not_requested;
  if (v === 1) return KeyUpdateRequest.update_requested;
  throw new IllegalParameterError(`KeyUpdate: request_update ${v} is neither 0 nor 1`);
}
