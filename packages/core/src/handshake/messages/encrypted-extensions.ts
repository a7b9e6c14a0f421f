import { Reader } from '../../codec/reader.js';
import type { Extension } from '../extensions/extension.js';
import { decodeExtensionBlock, encodeExtensionBlock } from '../extensions/extension.js';

/*
 * RFC 8446 4.3.1: struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;
 * The server's answers to ClientHello extensions that do not shape the key exchange (ALPN,
 * supported_groups, record_size_limit, ...), sent under the handshake keys. The block is always
 * present, even empty.
 */
export interface EncryptedExtensions {
  extensions: Extension[];
}

export function encodeEncryptedExtensions(m: EncryptedExtensions): Uint8Array {
  return encodeExtensionBlock(m.extensions);
}

/** DecodeError on a malformed block or trailing bytes; illegal_parameter for a repeated type. */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  const r = new Reader(body, 'EncryptedExtensions');
  const extensions = decodeExtensionBlock(r);
  r.end();
  return { extensions };
}
