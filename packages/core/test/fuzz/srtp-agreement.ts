/**
 * The 'psk-srtp' fuzz scenario's own invariant: two peers that both finished the handshake agree
 * on the DTLS-SRTP profile, the MKI and the SRTP keying material (RFC 5764 4.1.1, 4.2), whatever
 * was done to the use_srtp extensions on the way (a changed offer or answer must fail the
 * Finished check, never leave the peers with different SRTP keys).
 */
import { bytesEqual } from '../../src/bytes.js';
import type { FuzzPump } from './fuzz-pump.js';

export function checkSrtpAgreement(p: FuzzPump): void {
  const c = p.client.conn;
  const s = p.server?.conn;
  if (s === undefined || c.state !== 'established' || s.state !== 'established') return;
  if (c.srtpProfile !== s.srtpProfile) {
    p.failures.push(`established with different SRTP profiles: ${c.srtpProfile?.name ?? 'none'} / ${s.srtpProfile?.name ?? 'none'}`);
    return;
  }
  const ck = c.getSrtpKeyingMaterial();
  const sk = s.getSrtpKeyingMaterial();
  if (ck === undefined || sk === undefined) {
    // The scenario's two ends have a profile in common: an established pair without one lost use_srtp on the way.
    p.failures.push('established without DTLS-SRTP although both ends offer a common profile');
    return;
  }
  if (!bytesEqual(ck.material, sk.material) || !bytesEqual(ck.mki, sk.mki)) p.failures.push('established with different SRTP keying material or MKI');
}
