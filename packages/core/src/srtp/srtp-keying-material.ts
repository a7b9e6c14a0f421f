import type { SrtpProfile } from './srtp-profile.js';

/** RFC 5764 4.2: the exporter label of DTLS-SRTP (RFC 5705 4, no context). */
export const SRTP_EXPORTER_LABEL = 'EXTRACTOR-dtls_srtp';

/** The SRTP master keys and salts of a DTLS-SRTP connection (RFC 5764 4.2). */
export interface SrtpKeyingMaterial {
  /** The negotiated profile: IANA id and name, and OpenSSL's name. */
  readonly profile: SrtpProfile;
  /** The MKI both sides agreed on (RFC 5764 4.1.1); empty: none. */
  readonly mki: Uint8Array;
  readonly clientKey: Uint8Array;
  readonly serverKey: Uint8Array;
  readonly clientSalt: Uint8Array;
  readonly serverSalt: Uint8Array;
  /** The exporter output the four are cut from (what `openssl -keymatexport` prints). */
  readonly material: Uint8Array;
}

/** RFC 5764 4.2: 2 * (SRTPSecurityParams.master_key_len + SRTPSecurityParams.master_salt_len) bytes. */
export function srtpKeyingMaterialLength(profile: SrtpProfile): number {
  return 2 * (profile.keyLength + profile.saltLength);
}

/**
 * Splits the exporter output in the RFC 5764 4.2 layout:
 *   client_write_SRTP_master_key[SRTPSecurityParams.master_key_len];
 *   server_write_SRTP_master_key[SRTPSecurityParams.master_key_len];
 *   client_write_SRTP_master_salt[SRTPSecurityParams.master_salt_len];
 *   server_write_SRTP_master_salt[SRTPSecurityParams.master_salt_len];
 */
export function splitSrtpKeyingMaterial(profile: SrtpProfile, mki: Uint8Array, material: Uint8Array): SrtpKeyingMaterial {
  const k = profile.keyLength;
  const s = profile.saltLength;
  if (material.length !== srtpKeyingMaterialLength(profile)) {
    throw new RangeError(`${profile.name} keying material is ${srtpKeyingMaterialLength(profile)} bytes, got ${material.length}`);
  }
  return {
    profile,
    mki,
    clientKey: material.slice(0, k),
    serverKey: material.slice(k, 2 * k),
    clientSalt: material.slice(2 * k, 2 * k + s),
    serverSalt: material.slice(2 * k + s, 2 * k + 2 * s),
    material,
  };
}
