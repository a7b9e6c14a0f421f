import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import type { Extension } from '../extensions/extension.js';
import { decodeExtensionBlock, encodeExtensionBlock } from '../extensions/extension.js';
import { checkLength, checkUint, writeVector8 } from '../vectors.js';
import { MAX_SESSION_ID_LENGTH, RANDOM_LENGTH } from './client-hello.js';

/**
 * RFC 5246 7.4.1.3 (unchanged in DTLS, RFC 6347 4.2.1):
 *
 *   struct {
 *     ProtocolVersion server_version;
 *     Random random;
 *     SessionID session_id;
 *     CipherSuite cipher_suite;
 *     CompressionMethod compression_method;
 *     select (extensions_present) {
 *       case false: struct {};
 *       case true:  Extension extensions<0..2^16-1>;
 *     };
 *   } ServerHello;
 */
export interface ServerHello {
  serverVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

/** The extension block is left out when `extensions` is empty. */
export function encodeServerHello(m: ServerHello): Uint8Array {
  // 38 bytes and a few extensions: 64, the most V8 allocates on its heap (writer.ts), usually fits.
  const w = new Writer(64);
  w.u16(checkUint('server_version', m.serverVersion, 0xffff));
  checkLength('random', m.random.length, RANDOM_LENGTH, RANDOM_LENGTH);
  w.bytes(m.random);
  writeVector8(w, 'session_id', m.sessionId, 0, MAX_SESSION_ID_LENGTH);
  w.u16(checkUint('cipher_suite', m.cipherSuite, 0xffff));
  w.u8(checkUint('compression_method', m.compressionMethod, 0xff));
  if (m.extensions.length > 0) w.bytes(encodeExtensionBlock(m.extensions));
  return w.finish();
}

/** DecodeError on any malformed field or trailing bytes; an absent extension block gives []. */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, 'ServerHello');
  const serverVersion = r.u16('server_version');
  const random = r.take(RANDOM_LENGTH, 'random');
  const sessionId = r.vector8('session_id', 0, MAX_SESSION_ID_LENGTH);
  const cipherSuite = r.u16('cipher_suite');
  const compressionMethod = r.u8('compression_method');
  const extensions = r.remaining > 0 ? decodeExtensionBlock(r) : [];
  r.end();
  return { serverVersion, random, sessionId, cipherSuite, compressionMethod, extensions };
}
