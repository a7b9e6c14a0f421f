import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { readUint16List } from '../vectors.js';

/*
 * RFC 5764 4.1.1:
 *   uint8 SRTPProtectionProfile[2];
 *   SRTPProtectionProfile SRTPProtectionProfiles<2..2^16-1>;
 *   struct {
 *     SRTPProtectionProfiles SRTPProtectionProfiles;
 *     opaque srtp_mki<0..255>;
 *   } UseSRTPData;
 * The client lists the profiles it offers; the server answers with exactly one (checked by the
 * caller, which knows the role).
 */
export interface UseSrtpData {
  /** SRTPProtectionProfile values, in the sender's order. */
  readonly profiles: readonly number[];
  /** srtp_mki; empty: no MKI. */
  readonly mki: Uint8Array;
}

export function encodeUseSrtp(data: UseSrtpData): Uint8Array {
  const n = data.profiles.length * 2;
  if (n < 2 || n > 0xfffe) throw new RangeError(`SRTPProtectionProfiles: ${data.profiles.length} profiles, need 1..32767`);
  if (data.mki.length > 0xff) throw new RangeError(`srtp_mki: ${data.mki.length} bytes, at most 255`);
  const w = new Writer(2 + n + 1 + data.mki.length);
  w.u16(n);
  for (const p of data.profiles) {
    if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`SRTPProtectionProfile out of range: ${p}`);
    w.u16(p);
  }
  w.u8(data.mki.length).bytes(data.mki);
  return w.finish();
}

/** DecodeError (from the Reader) for an empty or odd profile list, a bad MKI length or trailing bytes. */
export function decodeUseSrtp(data: Uint8Array): UseSrtpData {
  const r = new Reader(data, 'use_srtp');
  const profiles = readUint16List(r, 'SRTPProtectionProfiles', 2, 0xffff);
  // A copy: the datagram's buffer may be reused once the record is read.
  const mki = r.vector8('srtp_mki', 0, 0xff).slice();
  r.end();
  return { profiles, mki };
}
