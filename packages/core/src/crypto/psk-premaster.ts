/**
 * The premaster secret of the PSK key exchanges:
 *
 *   struct { opaque other_secret<0..2^16-1>; opaque psk<0..2^16-1>; };
 *
 * RFC 4279 2 (plain PSK): other_secret is N zero bytes, N the length of the PSK.
 * RFC 5489 2 (ECDHE_PSK): other_secret is the ECDH shared secret (RFC 8422 5.10).
 */

function u16(value: number, what: string): [number, number] {
  if (value > 0xffff) throw new RangeError(`${what} is longer than 65535 bytes`);
  return [value >>> 8, value & 0xff];
}

export function pskPremasterSecret(psk: Uint8Array, otherSecret?: Uint8Array): Uint8Array {
  const other = otherSecret ?? new Uint8Array(psk.length);
  const out = new Uint8Array(2 + other.length + 2 + psk.length);
  out.set(u16(other.length, 'other_secret'), 0);
  out.set(other, 2);
  out.set(u16(psk.length, 'psk'), 2 + other.length);
  out.set(psk, 4 + other.length);
  return out;
}
