/**
 * What `dtls-kit server|client --srtp` prints once a handshake is done: the profile use_srtp chose
 * (RFC 5764 4.1.1) and the SRTP keying material (4.2), in the words and layout of
 * `openssl s_client/s_server -use_srtp ... -keymatexport EXTRACTOR-dtls_srtp`, so that the two can
 * be compared line by line.
 */
import type { SrtpKeyingMaterial, SrtpProfile } from '@dtls-kit/core';

/** A connection of either runtime (DtlsSocket, BlockingConnection). */
export interface SrtpConnection {
  readonly srtpProfile: SrtpProfile | undefined;
  getSrtpKeyingMaterial(): SrtpKeyingMaterial | undefined;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

/** The lines to print (each ending with a newline); a note when no profile was in common. */
export function srtpReport(conn: SrtpConnection): string {
  const km = conn.getSrtpKeyingMaterial();
  if (km === undefined) return 'SRTP: no profile in common with the peer; none negotiated (RFC 5764 4.1.1)\n';
  const lines = [`SRTP Extension negotiated, profile=${km.profile.opensslName}`];
  if (km.mki.length > 0) lines.push(`SRTP MKI: ${hex(km.mki)}`);
  lines.push('Keying material exporter:', "    Label: 'EXTRACTOR-dtls_srtp'", `    Length: ${km.material.length} bytes`, `    Keying material: ${hex(km.material)}`);
  return lines.map((l) => `${l}\n`).join('');
}
