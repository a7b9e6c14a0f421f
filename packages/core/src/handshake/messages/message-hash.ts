import { HandshakeType } from '../handshake-type.js';

/*
 * RFC 8446 4.4.1: after a HelloRetryRequest the transcript replaces ClientHello1 by a synthetic
 * handshake message
 *   message_hash (254) || 00 00 Hash.length || Hash(ClientHello1)
 * so that a stateless server can rebuild the transcript from the hash it put in its cookie. The
 * header is the TLS 4-byte one: RFC 9147 5.2 keeps DTLS 1.3's transcript in TLS form (msg_type
 * and length only).
 */
export function encodeMessageHash(clientHello1Hash: Uint8Array): Uint8Array {
  if (clientHello1Hash.length === 0 || clientHello1Hash.length > 0xff) {
    throw new RangeError(`message_hash: a ${clientHello1Hash.length}-byte hash`);
  }
  const out = new Uint8Array(4 + clientHello1Hash.length);
  out[0] = HandshakeType.message_hash;
  out[3] = clientHello1Hash.length;
  out.set(clientHello1Hash, 4);
  return out;
}
