import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { writeVector16 } from '../vectors.js';

/*
 * RFC 8446 4.2.2: struct { opaque cookie<1..2^16-1>; } Cookie;
 * In DTLS 1.3 this extension, sent in a HelloRetryRequest and echoed in the second ClientHello,
 * replaces HelloVerifyRequest's cookie (RFC 9147 5.1).
 */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  const w = new Writer(2 + cookie.length);
  writeVector16(w, 'cookie', cookie, 1, 0xffff);
  return w.finish();
}

/** DecodeError on an empty cookie, a length that does not match, or trailing bytes. */
export function decodeCookie(data: Uint8Array): Uint8Array {
  const r = new Reader(data, 'cookie');
  const cookie = r.vector16('cookie', 1);
  r.end();
  return cookie;
}
