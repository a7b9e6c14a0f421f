import { DecodeError } from '../../errors.js';

/*
 * RFC 8446 4.2.6: "The "extension_data" field of the "post_handshake_auth" extension is zero
 * length." A client sends it to say it would answer a post-handshake CertificateRequest.
 */
export function encodePostHandshakeAuth(): Uint8Array {
  return new Uint8Array(0);
}

export function decodePostHandshakeAuth(data: Uint8Array): void {
  if (data.length !== 0) throw new DecodeError(`post_handshake_auth: ${data.length} bytes where the extension is empty`);
}
