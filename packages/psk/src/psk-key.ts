import { fromHex } from '@dtls-kit/core';

/** A key as users hold it: raw bytes, or hex as OpenSSL's `-psk` takes it. */
export type PskKeyInput = Uint8Array | string;
/** An identity as users hold it: text (sent as UTF-8, RFC 4279 5.1) or raw bytes. */
export type PskIdentityInput = string | Uint8Array;

/** RFC 4279 5.3: identities up to 128 bytes, keys up to 64 bytes must be supported; we accept up to 2^16-1 as the wire allows. */
const MAX_LENGTH = 0xffff;

export function toKeyBytes(key: PskKeyInput, what = 'PSK key'): Uint8Array {
  const bytes = typeof key === 'string' ? fromHex(key) : key;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array or a hex string`);
  if (bytes.length === 0 || bytes.length > MAX_LENGTH) throw new RangeError(`${what} must be 1..${MAX_LENGTH} bytes (got ${bytes.length})`);
  return bytes;
}

export function toIdentityBytes(identity: PskIdentityInput, what = 'PSK identity'): Uint8Array {
  const bytes = typeof identity === 'string' ? new TextEncoder().encode(identity) : identity;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a string or a Uint8Array`);
  if (bytes.length > MAX_LENGTH) throw new RangeError(`${what} must be at most ${MAX_LENGTH} bytes (got ${bytes.length})`);
  return bytes;
}

/** Identity bytes as text (RFC 4279 5.1 says UTF-8); invalid UTF-8 is shown with replacement characters. */
export function identityToString(identity: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(identity);
}
