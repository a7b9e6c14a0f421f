import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { writeVector8 } from '../vectors.js';

/*
 * RFC 5746 3.2:
 *   struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;
 * On an initial handshake renegotiated_connection is empty (3.4, 3.6); we refuse
 * renegotiation, so we only ever send the empty form.
 */

export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array): Uint8Array {
  const w = new Writer(1 + renegotiatedConnection.length);
  writeVector8(w, 'renegotiated_connection', renegotiatedConnection);
  return w.finish();
}

export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  const r = new Reader(data, 'renegotiation_info');
  const value = r.vector8('renegotiated_connection');
  r.end();
  return value;
}
