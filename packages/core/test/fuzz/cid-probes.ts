/**
 * Hostile variants of a genuine tls12_cid datagram (RFC 9146 4), for the fuzzer's CID routing
 * check: each keeps the shape of a CID record but breaks one thing a server routes or
 * authenticates by. The generic mutations (mutations.ts) know only the 13-byte DTLS 1.2 header,
 * so they cannot aim at the CID; these know its length (the receiver's, which the record does
 * not carry) and where it sits: after type(1) version(2) epoch(2) sequence_number(6).
 *
 * Every probe is delivered after the genuine datagram it was made from, so none of them may
 * change the receiving connection: they are forgeries (bad CID, bad header, bad tag), replays,
 * or records for another connection.
 */
import fc from 'fast-check';
import { concatBytes } from '../../src/bytes.js';

const CID_OFFSET = 11;

export type CidProbe =
  /** One CID byte changed: a CID nobody holds (or, by chance, another connection's). */
  | { readonly kind: 'unknown-cid'; readonly byte: number; readonly xor: number }
  /** The CID of another connection bound in the same table (the pump's decoy). */
  | { readonly kind: 'decoy-cid' }
  /** The datagram cut inside the header, inside the CID or just after it. */
  | { readonly kind: 'truncate'; readonly keep: number }
  /** A CID record claiming epoch 0 (plaintext epoch: no tls12_cid there, RFC 9146 3) or another epoch. */
  | { readonly kind: 'epoch'; readonly value: number }
  /** Version, sequence number or length rewritten (version and sequence are in the AAD, RFC 9146 5.3). */
  | { readonly kind: 'header'; readonly field: 'version' | 'sequence' | 'length'; readonly value: number }
  /** A bit flipped in the protected payload (explicit nonce, ciphertext or tag). */
  | { readonly kind: 'flip-body'; readonly position: number; readonly bit: number }
  /** The outer type changed from tls12_cid: a CID-shaped record that no longer says it has a CID. */
  | { readonly kind: 'outer-type'; readonly value: number }
  /** The CID removed: a plain DTLS 1.2 header over a CID record's payload (RFC 9146 3: invalid when a CID is expected). */
  | { readonly kind: 'strip-cid' }
  /** The CID doubled: the record as if the CID were twice as long. */
  | { readonly kind: 'double-cid' }
  /** The genuine datagram again: a replay (RFC 6347 4.1.2.6), possibly from another address. */
  | { readonly kind: 'replay' };

export const cidProbeArbitrary: fc.Arbitrary<CidProbe> = fc.oneof(
  fc.record({ kind: fc.constant('unknown-cid' as const), byte: fc.nat(255), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('decoy-cid' as const) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat(40) }),
  fc.record({ kind: fc.constant('epoch' as const), value: fc.constantFrom(0, 0, 2, 0xffff) }),
  fc.record({
    kind: fc.constant('header' as const),
    field: fc.constantFrom<'version' | 'sequence' | 'length'>('version', 'sequence', 'length'),
    value: fc.oneof(fc.nat(0xffff), fc.constantFrom(0xfeff, 0xfefd, 0)),
  }),
  fc.record({ kind: fc.constant('flip-body' as const), position: fc.nat(4096), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('outer-type' as const), value: fc.constantFrom(20, 21, 22, 23, 24, 26, 0) }),
  fc.record({ kind: fc.constant('strip-cid' as const) }),
  fc.record({ kind: fc.constant('double-cid' as const) }),
  fc.record({ kind: fc.constant('replay' as const) }),
);

function put16(out: Uint8Array, at: number, value: number): void {
  if (at + 1 >= out.length) return;
  out[at] = (value >>> 8) & 0xff;
  out[at + 1] = value & 0xff;
}

/**
 * The probe applied to `d`, a genuine datagram starting with a tls12_cid record whose CID is
 * `cidLength` bytes; `decoy` is another connection's CID of the same length.
 */
export function applyCidProbe(d: Uint8Array, probe: CidProbe, cidLength: number, decoy: Uint8Array): Uint8Array {
  const out = d.slice();
  const lengthAt = CID_OFFSET + cidLength;
  switch (probe.kind) {
    case 'unknown-cid': {
      const i = CID_OFFSET + (probe.byte % cidLength);
      out[i] = (out[i] ?? 0) ^ probe.xor;
      return out;
    }
    case 'decoy-cid':
      out.set(decoy.subarray(0, cidLength), CID_OFFSET);
      return out;
    case 'truncate':
      return out.slice(0, Math.min(probe.keep, lengthAt + 2));
    case 'epoch':
      put16(out, 3, probe.value);
      return out;
    case 'header': {
      if (probe.field === 'version') put16(out, 1, probe.value);
      else if (probe.field === 'sequence') put16(out, 9, probe.value);
      else put16(out, lengthAt, probe.value);
      return out;
    }
    case 'flip-body': {
      const body = out.length - (lengthAt + 2);
      if (body <= 0) return out;
      const i = lengthAt + 2 + (probe.position % body);
      out[i] = (out[i] ?? 0) ^ (1 << probe.bit);
      return out;
    }
    case 'outer-type':
      out[0] = probe.value;
      return out;
    case 'strip-cid':
      return concatBytes(d.subarray(0, CID_OFFSET), d.subarray(lengthAt));
    case 'double-cid':
      return concatBytes(d.subarray(0, lengthAt), d.subarray(CID_OFFSET, lengthAt), d.subarray(lengthAt));
    case 'replay':
      return out;
  }
}
