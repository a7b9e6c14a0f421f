import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { checkUint, writeVector8 } from '../vectors.js';

/**
 * RFC 6347 4.2.1:
 *
 *   struct {
 *     ProtocolVersion server_version;
 *     opaque cookie<0..2^8-1>;
 *   } HelloVerifyRequest;
 *
 * The server_version is DTLS 1.0 whatever version is negotiated later (4.2.1).
 */
export interface HelloVerifyRequest {
  serverVersion: number;
  cookie: Uint8Array;
}

export function encodeHelloVerifyRequest(m: HelloVerifyRequest): Uint8Array {
  const w = new Writer(3 + m.cookie.length);
  w.u16(checkUint('server_version', m.serverVersion, 0xffff));
  writeVector8(w, 'cookie', m.cookie, 0, 0xff);
  return w.finish();
}

export function decodeHelloVerifyRequest(body: Uint8Array): HelloVerifyRequest {
  const r = new Reader(body, 'HelloVerifyRequest');
  const serverVersion = r.u16('server_version');
  const cookie = r.vector8('cookie', 0, 0xff);
  r.end();
  return { serverVersion, cookie };
}
