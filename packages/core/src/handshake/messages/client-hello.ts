import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import type { Extension } from '../extensions/extension.js';
import { decodeExtensionBlock, encodeExtensionBlock } from '../extensions/extension.js';
import { checkLength, checkUint, readUint16List, readUint8List, writeUint16List, writeUint8List, writeVector8 } from '../vectors.js';

/** Random: 32 bytes (RFC 5246 7.4.1.2). */
export const RANDOM_LENGTH = 32;
/** SessionID<0..32> (RFC 5246 7.4.1.2). */
export const MAX_SESSION_ID_LENGTH = 32;

/**
 * RFC 6347 4.2.1 (RFC 5246 7.4.1.2 with a cookie after the session_id):
 *
 *   struct {
 *     ProtocolVersion client_version;
 *     Random random;
 *     SessionID session_id;
 *     opaque cookie<0..2^8-1>;
 *     CipherSuite cipher_suites<2..2^16-2>;
 *     CompressionMethod compression_methods<1..2^8-1>;
 *     select (extensions_present) {
 *       case false: struct {};
 *       case true:  Extension extensions<0..2^16-1>;
 *     };
 *   } ClientHello;
 */
export interface ClientHello {
  clientVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  extensions: Extension[];
}

/** The extension block is left out when `extensions` is empty. */
export function encodeClientHello(m: ClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(checkUint('client_version', m.clientVersion, 0xffff));
  checkLength('random', m.random.length, RANDOM_LENGTH, RANDOM_LENGTH);
  w.bytes(m.random);
  writeVector8(w, 'session_id', m.sessionId, 0, MAX_SESSION_ID_LENGTH);
  writeVector8(w, 'cookie', m.cookie, 0, 0xff);
  writeUint16List(w, 'cipher_suites', m.cipherSuites, 2, 0xfffe);
  writeUint8List(w, 'compression_methods', m.compressionMethods, 1, 0xff);
  if (m.extensions.length > 0) w.bytes(encodeExtensionBlock(m.extensions));
  return w.finish();
}

/** DecodeError on any malformed field or trailing bytes; an absent extension block gives []. */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body, 'ClientHello');
  const clientVersion = r.u16('client_version');
  const random = r.take(RANDOM_LENGTH, 'random');
  const sessionId = r.vector8('session_id', 0, MAX_SESSION_ID_LENGTH);
  const cookie = r.vector8('cookie', 0, 0xff);
  const cipherSuites = readUint16List(r, 'cipher_suites', 2, 0xfffe);
  const compressionMethods = readUint8List(r, 'compression_methods', 1, 0xff);
  const extensions = r.remaining > 0 ? decodeExtensionBlock(r) : [];
  r.end();
  return { clientVersion, random, sessionId, cookie, cipherSuites, compressionMethods, extensions };
}
