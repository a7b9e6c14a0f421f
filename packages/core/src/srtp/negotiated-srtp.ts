import type { SrtpProfile } from './srtp-profile.js';

/** What use_srtp settled (RFC 5764 4.1.1): the one profile, and the MKI (empty: none). */
export interface NegotiatedSrtp {
  readonly profile: SrtpProfile;
  readonly mki: Uint8Array;
}
