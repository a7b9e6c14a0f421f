import { CIPHER_SUITES, DEFAULT_MTU, type CipherSuite } from '@dtls-kit/core';
import { maxPayloadFor, recordOverhead, unifiedHeaderLength } from '@dtls-kit/core/internal';
import type { DtlsVersionName } from './version-flags.js';

/**
 * Bytes a DTLS 1.3 record of ours adds around its payload (RFC 9147 4): the unified header with a
 * 16-bit sequence number and the length (5 bytes, as core writes it; no connection ID here: the
 * socket's maxPayload counts the server's after the handshake), the inner content type (RFC 8446
 * 5.2) and a 16-byte AEAD tag (the 1.3 suites offered: AES-GCM and ChaCha20-Poly1305). No explicit
 * nonce, a smaller header: 22 bytes against 1.2's 29 to 37.
 */
export const DTLS13_RECORD_OVERHEAD = unifiedHeaderLength(0, 2, true) + 1 + 16;

/**
 * The largest message that can fit one datagram of `mtu` bytes with the best of `suites` (DTLS
 * 1.2), or in a DTLS 1.3 record when `version` lets the client offer 1.3 (the default), before the
 * handshake: core's maxPayload for the least record overhead (RFC 6347 4.1.1: a record is never
 * split across datagrams). A message above it cannot fit whatever the server picks, so it is a
 * usage error before anything is sent. After the handshake the client checks against its
 * socket's maxPayload, which also counts the version and suite chosen and the server's
 * connection ID in our records (RFC 9146 4, RFC 9147 4).
 */
export function maxMessageBytes(mtu: number, suites: readonly CipherSuite[], version?: DtlsVersionName): number {
  const candidates = suites.length > 0 ? suites : CIPHER_SUITES;
  const best12 = version === 'DTLSv1.3' ? 0 : Math.max(...candidates.map((s) => maxPayloadFor(mtu, recordOverhead(s))));
  const best13 = version === 'DTLSv1.2' ? 0 : maxPayloadFor(mtu, DTLS13_RECORD_OVERHEAD);
  return Math.max(best12, best13);
}

/** Where the limit comes from, for the usage error: `--mtu N` or the default MTU (core's DEFAULT_MTU). */
export function mtuSource(mtu: number | undefined): string {
  return mtu === undefined ? `the default MTU (${DEFAULT_MTU})` : `--mtu ${mtu}`;
}

/**
 * The server's line for a message it cannot echo: the client's MTU (or the connection IDs each way)
 * let it send more than fits one of the server's datagrams, and the echo would throw (core's
 * RangeError past maxPayload). The connection carries on.
 */
export function echoTooLarge(who: string, size: number, maxPayload: number, mtu: number | undefined, cipher: string): string {
  return `not echoed to ${who}: the message is ${size} bytes, and at most ${maxPayload} fit one datagram at the server's ${mtuSource(mtu)} with ${cipher}`;
}
