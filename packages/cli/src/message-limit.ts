import { CIPHER_SUITES, type CipherSuite } from '@dtls-kit/core';

/** Core's default MTU (ClientOptions.mtu): the largest datagram sent when --mtu is not given. */
export const DEFAULT_MTU = 1200;

/** RFC 6347 4.1: the DTLS 1.2 record header (type, version, epoch, sequence_number, length). */
const RECORD_HEADER_LENGTH = 13;

/** RFC 6347 4.1.1 / RFC 5246 6.2.1: a record's plaintext is at most 2^14 bytes. */
const MAX_PLAINTEXT_LENGTH = 16_384;

/**
 * The largest message that fits one datagram of `mtu` bytes with the best of `suites`: one
 * record (RFC 6347 4.1.1: a record is never split across datagrams) of the header, the explicit
 * nonce and the AEAD tag around the plaintext. With connection IDs (RFC 9146 4) a record also
 * carries the peer's CID and an inner content type byte: `cidOverhead` counts what is known.
 */
export function maxMessageBytes(mtu: number, suites: readonly CipherSuite[], cidOverhead = 0): number {
  const candidates = suites.length > 0 ? suites : CIPHER_SUITES;
  const least = Math.min(...candidates.map((s) => s.recordIvLength + s.tagLength));
  return Math.max(0, Math.min(MAX_PLAINTEXT_LENGTH, mtu - RECORD_HEADER_LENGTH - least - cidOverhead));
}
