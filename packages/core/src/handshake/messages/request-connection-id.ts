import { Reader } from '../../codec/reader.js';
import { checkUint } from '../vectors.js';

/*
 * RFC 9147 9: struct { uint8 num_cids; } RequestConnectionId;
 * "Endpoints SHOULD respond to RequestConnectionId by sending a NewConnectionId with usage
 * "cid_spare" containing num_cids CIDs as soon as possible." The one byte bounds the request.
 */
export function encodeRequestConnectionId(numCids: number): Uint8Array {
  return Uint8Array.of(checkUint('num_cids', numCids, 0xff));
}

/** DecodeError unless the body is exactly one byte. */
export function decodeRequestConnectionId(body: Uint8Array): number {
  const r = new Reader(body, 'RequestConnectionId');
  const n = r.u8('num_cids');
  r.end();
  return n;
}
