/**
 * Connection-ID records as a relay sees them, in both versions: DTLS 1.2's tls12_cid record
 * (RFC 9146 4: type 25, version, epoch, 48-bit sequence number, the CID, length) and DTLS 1.3's
 * unified header with the C bit (RFC 9147 4: 0b001CSLEE, the CID, an encrypted 8- or 16-bit
 * sequence number, length). For the tests that replay and forge them from a third address.
 */
import { ContentType } from '@dtls-kit/core/internal';

export type DtlsVersion = 'DTLSv1.2' | 'DTLSv1.3';

/** RFC 9147 4: the fixed bits 001 of a unified header. */
export const isUnifiedHeader = (first: number): boolean => (first & 0xe0) === 0x20;

/** A datagram whose first record carries a CID in `version`'s layout. */
export function startsWithCidRecord(datagram: Uint8Array, version: DtlsVersion): boolean {
  const first = datagram[0] ?? 0;
  // C bit (0x10) of a unified header.
  return version === 'DTLSv1.2' ? first === ContentType.tls12_cid : isUnifiedHeader(first) && (first & 0x10) !== 0;
}

/** The header length of the CID record at the start of `datagram`, whose CID is `cidLength` bytes. */
function cidHeaderLength(datagram: Uint8Array, version: DtlsVersion, cidLength: number): number {
  if (version === 'DTLSv1.2') return 11 + cidLength + 2;
  const first = datagram[0] ?? 0;
  return 1 + cidLength + ((first & 0x08) !== 0 ? 2 : 1) + ((first & 0x04) !== 0 ? 2 : 0);
}

/**
 * A forgery of a genuine CID record: the same CID (so it routes to the connection), a sequence
 * number that would be the newest (1.2: 2^44; 1.3: its encrypted bits changed, which decrypt
 * to some other number), and garbage for ciphertext: it must fail authentication.
 */
export function forgeCidRecord(genuine: Uint8Array, version: DtlsVersion, cidLength: number): Uint8Array {
  const forged = genuine.slice();
  const header = cidHeaderLength(genuine, version, cidLength);
  if (version === 'DTLSv1.2') forged.set([0, 0x10, 0, 0, 0, 0], 5);
  else forged[1 + cidLength] = (forged[1 + cidLength] ?? 0) ^ 0x5a;
  for (let i = header; i < forged.length; i++) forged[i] = (i * 37) & 0xff;
  return forged;
}

/**
 * How many records `datagram` carries, walking their headers: a sender may put several records in
 * one datagram (RFC 6347 4.1.1, RFC 9147 4.3), so a relay's datagram counts are not record counts.
 * `cidLength`: the CID its records carry (0: none). A DTLS 1.3 unified header without the L bit
 * (RFC 9147 4) runs to the datagram's end. A truncated header counts as one last record.
 */
export function recordsIn(datagram: Uint8Array, cidLength = 0): number {
  let count = 0;
  for (let at = 0; at < datagram.length; count++) {
    const first = datagram[at] ?? 0;
    if (isUnifiedHeader(first)) {
      const cid = (first & 0x10) !== 0 ? cidLength : 0;
      const header = 1 + cid + ((first & 0x08) !== 0 ? 2 : 1);
      if ((first & 0x04) === 0) return count + 1;
      at += header + 2 + (((datagram[at + header] ?? 0) << 8) | (datagram[at + header + 1] ?? 0));
    } else {
      // DTLSPlaintext / DTLSCiphertext (RFC 6347 4.1; tls12_cid: RFC 9146 4, the CID before the length).
      const cid = first === ContentType.tls12_cid ? cidLength : 0;
      const lengthAt = at + 11 + cid;
      at = lengthAt + 2 + (((datagram[lengthAt] ?? 0) << 8) | (datagram[lengthAt + 1] ?? 0));
    }
  }
  return count;
}
