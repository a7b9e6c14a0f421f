import { parseSrtpProfiles, type SrtpProfile } from './srtp-profile.js';

/** The srtpProfiles option, checked once, up front; empty when DTLS-SRTP is off. */
export function resolveSrtpProfiles(option: string | readonly (string | number)[] | undefined): readonly SrtpProfile[] {
  if (option === undefined) return [];
  if (typeof option !== 'string' && !Array.isArray(option)) {
    throw new TypeError('srtpProfiles must be a colon-separated string or an array of SRTP profile names or ids');
  }
  return parseSrtpProfiles(option);
}

/** The srtpMki option (RFC 5764 4.1.1: opaque srtp_mki<0..255>); only meaningful with srtpProfiles. */
export function resolveSrtpMki(mki: Uint8Array | undefined, profiles: unknown): Uint8Array {
  if (mki === undefined) return new Uint8Array(0);
  if (!(mki instanceof Uint8Array)) throw new TypeError('srtpMki must be a Uint8Array');
  if (mki.length < 1 || mki.length > 255) throw new RangeError(`srtpMki must be 1..255 bytes (got ${mki.length})`);
  if (profiles === undefined) throw new TypeError('srtpMki needs srtpProfiles: the MKI is offered in the use_srtp extension');
  return mki.slice();
}
