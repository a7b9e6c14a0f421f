import { CIPHER_SUITES, DEFAULT_MTU, type CipherSuite } from '@dtls-kit/core';
import { maxPayloadFor, recordOverhead } from '@dtls-kit/core/internal';

/**
 * The largest message that can fit one datagram of `mtu` bytes with the best of `suites`, before
 * the handshake: core's maxPayload for the suite with the least record overhead (RFC 6347 4.1.1:
 * a record is never split across datagrams). A message above it cannot fit whatever the server
 * picks, so it is a usage error before anything is sent. After the handshake the client checks
 * against its socket's maxPayload, which also counts the suite chosen and the server's connection
 * ID in our records (RFC 9146 4).
 */
export function maxMessageBytes(mtu: number, suites: readonly CipherSuite[]): number {
  const candidates = suites.length > 0 ? suites : CIPHER_SUITES;
  return Math.max(...candidates.map((s) => maxPayloadFor(mtu, recordOverhead(s))));
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
