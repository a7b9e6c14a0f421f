import { IllegalParameterError } from '../errors.js';
import type { NamedGroupName } from './provider.js';

/**
 * Wire lengths of ECDHE public values: RFC 8422 5.4.1 (uncompressed 0x04 || X || Y, the only
 * format TLS 1.2 peers must support, RFC 8422 5.1.2) and RFC 7748 6 / RFC 8422 5.11 (32 raw
 * bytes for X25519).
 */
export const PUBLIC_KEY_LENGTH: Readonly<Record<NamedGroupName, number>> = Object.freeze({
  x25519: 32,
  secp256r1: 65,
  secp384r1: 97,
});

/**
 * Checks the encoding of a peer's public value before it reaches the curve code: the right
 * length and, for NIST curves, the uncompressed prefix. Whether the point is on the curve is
 * left to the curve code. Throws IllegalParameterError (RFC 8422 5.10: a point that fails
 * validation is an illegal_parameter).
 */
export function checkPeerPublicKey(group: NamedGroupName, peerPublicKey: Uint8Array): void {
  const expected = PUBLIC_KEY_LENGTH[group];
  if (peerPublicKey.length !== expected) {
    throw new IllegalParameterError(`${group} public value must be ${expected} bytes, got ${peerPublicKey.length}`);
  }
  if (group !== 'x25519' && peerPublicKey[0] !== 0x04) {
    throw new IllegalParameterError(`${group} public value must be an uncompressed point (0x04 prefix)`);
  }
}

/**
 * RFC 7748 6.1 / RFC 8422 5.11: the all-zero X25519 output (a low-order peer point) MUST be
 * rejected. Checked in time independent of the secret's contents.
 */
export function checkNonZeroSecret(group: NamedGroupName, secret: Uint8Array): void {
  let acc = 0;
  for (const b of secret) acc |= b;
  if (acc === 0) throw new IllegalParameterError(`${group} shared secret is all zero (low-order peer point)`);
}

/** Wraps a curve library's rejection of a peer point as illegal_parameter, keeping the cause. */
export function invalidPeerPoint(group: NamedGroupName, cause: unknown): IllegalParameterError {
  const err = new IllegalParameterError(`${group} public value is not a valid point`);
  err.cause = cause;
  return err;
}
