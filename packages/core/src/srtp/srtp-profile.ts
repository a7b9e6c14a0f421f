/**
 * The DTLS-SRTP protection profiles we negotiate (RFC 5764 4.1.2, RFC 7714 14.2): one registry
 * that the use_srtp extension, the options, the keying material layout and the CLI all read.
 */
export interface SrtpProfile {
  /** IANA SRTPProtectionProfile value (RFC 5764 4.1.2, RFC 7714 14.2). */
  readonly id: number;
  /** IANA name: SRTP_AES128_CM_HMAC_SHA1_80 (also GnuTLS's spelling). */
  readonly name: string;
  /** OpenSSL's name, as `-use_srtp` takes it: SRTP_AES128_CM_SHA1_80. */
  readonly opensslName: string;
  /** SRTP master key length in bytes (RFC 5764 4.1.2 / RFC 7714 12: cipher_key_length). */
  readonly keyLength: number;
  /** SRTP master salt length in bytes (RFC 5764 4.1.2: 112 bits; RFC 7714 12: 96 bits). */
  readonly saltLength: number;
}

/** In our order of preference: the AEAD profiles first (RFC 7714 1: no separate MAC). */
export const SRTP_PROFILES: readonly SrtpProfile[] = [
  // RFC 7714 14.2: SRTP_AEAD_AES_128_GCM = {0x00, 0x07}, AEAD_AES_128_GCM, 128-bit key, 96-bit salt.
  { id: 0x0007, name: 'SRTP_AEAD_AES_128_GCM', opensslName: 'SRTP_AEAD_AES_128_GCM', keyLength: 16, saltLength: 12 },
  // RFC 7714 14.2: SRTP_AEAD_AES_256_GCM = {0x00, 0x08}, AEAD_AES_256_GCM, 256-bit key, 96-bit salt.
  { id: 0x0008, name: 'SRTP_AEAD_AES_256_GCM', opensslName: 'SRTP_AEAD_AES_256_GCM', keyLength: 32, saltLength: 12 },
  // RFC 5764 4.1.2: AES_128_CM, 128-bit key, 112-bit salt, HMAC-SHA1 with an 80-bit tag.
  { id: 0x0001, name: 'SRTP_AES128_CM_HMAC_SHA1_80', opensslName: 'SRTP_AES128_CM_SHA1_80', keyLength: 16, saltLength: 14 },
  // RFC 5764 4.1.2: the same with a 32-bit SRTP tag.
  { id: 0x0002, name: 'SRTP_AES128_CM_HMAC_SHA1_32', opensslName: 'SRTP_AES128_CM_SHA1_32', keyLength: 16, saltLength: 14 },
];

/** The profile of an IANA id, or undefined for one we do not know. */
export function srtpProfileById(id: number): SrtpProfile | undefined {
  return SRTP_PROFILES.find((p) => p.id === id);
}

/** The profile of an IANA or OpenSSL name (case-insensitive), or undefined. */
export function srtpProfileByName(name: string): SrtpProfile | undefined {
  const n = name.trim().toUpperCase();
  return SRTP_PROFILES.find((p) => p.name === n || p.opensslName === n);
}

/**
 * The `srtpProfiles` option: a colon/comma separated list of names (OpenSSL's `-use_srtp` form),
 * or an array of names and ids; in preference order, duplicates dropped. TypeError for an unknown
 * profile or an empty list (RFC 5764 4.1.1: SRTPProtectionProfiles<2..2^16-1>, at least one).
 */
export function parseSrtpProfiles(option: string | readonly (string | number)[]): SrtpProfile[] {
  const entries = typeof option === 'string' ? option.split(/[:,]/).filter((s) => s.trim().length > 0) : option;
  const out: SrtpProfile[] = [];
  for (const entry of entries) {
    const p = typeof entry === 'number' ? srtpProfileById(entry) : srtpProfileByName(entry);
    if (p === undefined) {
      throw new TypeError(`unknown SRTP protection profile: ${JSON.stringify(entry)}; known: ${SRTP_PROFILES.map((k) => k.name).join(', ')} (or OpenSSL's names)`);
    }
    if (!out.includes(p)) out.push(p);
  }
  if (out.length === 0) throw new TypeError('srtpProfiles must name at least one SRTP protection profile');
  return out;
}
