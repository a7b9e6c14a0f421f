/**
 * What a TLS 1.3 CertificateVerify signs (RFC 8446 4.4.3), also in DTLS 1.3 (RFC 9147 5): 64
 * spaces, a context string naming the signer's role, a zero byte, then the transcript hash. The
 * role in the string keeps a server's signature from being replayed as a client's, and the
 * spaces keep it from being a prefix of a TLS 1.2 ServerKeyExchange signature. Signing and
 * verifying stay with the credentials (the x509 package); the core only builds the bytes.
 */

const PAD = 64;
const SERVER_CONTEXT = 'TLS 1.3, server CertificateVerify';
const CLIENT_CONTEXT = 'TLS 1.3, client CertificateVerify';

/**
 * RFC 8446 4.4.3: 0x20 x 64 || context string || 0x00 || Transcript-Hash(Handshake Context,
 * Certificate). `signer` is the side that sends the CertificateVerify.
 */
export function certificateVerifyContent(signer: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const context = signer === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(PAD + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, PAD);
  for (let i = 0; i < context.length; i++) out[PAD + i] = context.charCodeAt(i);
  out[PAD + context.length] = 0;
  out.set(transcriptHash, PAD + context.length + 1);
  return out;
}
