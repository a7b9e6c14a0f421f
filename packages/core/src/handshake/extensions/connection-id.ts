import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { writeVector8 } from '../vectors.js';

/*
 * RFC 9146 3:
 *   struct { opaque cid<0..2^8-1>; } ConnectionId;
 * "A zero-length value indicates that the client is prepared to send using a CID but does not
 * wish the server to use one when sending." The same holds for the server's answer. Each side
 * puts in its hello the CID it wants to RECEIVE; the peer writes it in the records it sends.
 */

/** Longest CID the 8-bit length of RFC 9146 3 can carry. */
export const MAX_CONNECTION_ID_LENGTH = 255;

export function encodeConnectionId(cid: Uint8Array): Uint8Array {
  const w = new Writer(1 + cid.length);
  writeVector8(w, 'cid', cid);
  return w.finish();
}

/** DecodeError when the length prefix does not match the extension_data. */
export function decodeConnectionId(data: Uint8Array): Uint8Array {
  const r = new Reader(data, 'connection_id');
  const cid = r.vector8('cid');
  r.end();
  return cid;
}
