/** `--srtp LIST` and `--srtp-mki HEX` (DTLS-SRTP, RFC 5764 4.1.1), checked as usage errors. */
import { SRTP_PROFILES, srtpProfileByName } from '@dtls-kit/core';
import { UsageError } from './args.js';

/** The profile list, each name known (OpenSSL's or IANA's), colon- or comma-separated; undefined without --srtp. */
export function srtpList(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const names = text.split(/[:,]/).map((n) => n.trim());
  const bad = names.find((n) => srtpProfileByName(n) === undefined);
  if (bad !== undefined) {
    const known = SRTP_PROFILES.map((p) => p.opensslName).join(', ');
    throw new UsageError(`--srtp: unknown SRTP profile ${JSON.stringify(bad)}; known: ${known} (or their IANA names, e.g. SRTP_AES128_CM_HMAC_SHA1_80)`);
  }
  return names.join(':');
}

/** The MKI in hex (opaque srtp_mki<0..255>, offered only when not empty); needs --srtp. */
export function srtpMkiOf(text: string | undefined, srtp: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  if (srtp === undefined) throw new UsageError('--srtp-mki needs --srtp (the MKI is offered in the use_srtp extension)');
  if (!/^(?:[0-9a-fA-F]{2}){1,255}$/.test(text)) throw new UsageError(`--srtp-mki must be 1..255 bytes in hex, got "${text}"`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}
