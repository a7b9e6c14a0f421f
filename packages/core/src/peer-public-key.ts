/**
 * The peer's public key as a node KeyObject, whichever way it authenticated: its raw public key
 * (RFC 7250 3, a SubjectPublicKeyInfo) or the key of its leaf certificate. node:tls has no raw
 * public keys, so there is no node name for this; getPeerX509Certificate().publicKey is the
 * certificate-only equivalent.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';

/** Undefined when the peer sent neither (PSK suites, a client without a certificate). */
export function peerPublicKey(rawPublicKey: Uint8Array | undefined, chain: readonly Uint8Array[]): KeyObject | undefined {
  // The engine checked both before handing them out (the verifier parsed them), so they decode.
  if (rawPublicKey !== undefined) return createPublicKey({ key: Buffer.from(rawPublicKey), format: 'der', type: 'spki' });
  const leaf = chain[0];
  return leaf === undefined ? undefined : new X509Certificate(leaf).publicKey;
}
