import { HANDSHAKE_HEADER_LENGTH } from '../handshake/handshake-header.js';
import { HandshakeType } from '../handshake/handshake-type.js';
import { ContentType } from '../record/content-type.js';
import { firstRecordHeader } from '../record/datagram.js';
import { RECORD_HEADER_LENGTH } from '../record/record-header.js';

/** What a look at a datagram's first record tells about a ClientHello in it. */
export interface ClientHelloPeek {
  /** The client random (RFC 5246 7.4.1.2), when the datagram holds the start of the message. */
  readonly random: Uint8Array | undefined;
}

/** client_version (2 bytes) comes before the 32-byte random in a ClientHello body (RFC 6347 4.2.1). */
const RANDOM_OFFSET = HANDSHAKE_HEADER_LENGTH + 2;
const RANDOM_LENGTH = 32;

/**
 * Whether a datagram starts with a plaintext (epoch 0) handshake record whose first message is a
 * ClientHello, and its client random if the first fragment is here — nothing else is decoded. A
 * server's router uses it to send a restarted client's new ClientHello (RFC 6347 4.2.8) to the
 * cookie check rather than to the old connection of that address. Never throws.
 */
export function peekClientHello(datagram: Uint8Array): ClientHelloPeek | undefined {
  // The router asks this of every datagram of an established connection: its application data
  // (content type 23, or a DTLS 1.3 unified header) is turned away on the first byte, before a
  // record header is decoded.
  if (datagram[0] !== ContentType.handshake) return undefined;
  const header = firstRecordHeader(datagram);
  if (header === undefined || header.type !== ContentType.handshake || header.epoch !== 0) return undefined;
  const fragment = datagram.subarray(RECORD_HEADER_LENGTH, RECORD_HEADER_LENGTH + header.length);
  if (fragment.length < HANDSHAKE_HEADER_LENGTH || fragment[0] !== HandshakeType.client_hello) return undefined;
  // RFC 6347 4.2.2: fragment_offset is the uint24 at bytes 6-8 of the handshake header.
  const fragmentOffset = ((fragment[6] ?? 0) << 16) | ((fragment[7] ?? 0) << 8) | (fragment[8] ?? 0);
  if (fragmentOffset !== 0 || fragment.length < RANDOM_OFFSET + RANDOM_LENGTH) return { random: undefined };
  return { random: fragment.slice(RANDOM_OFFSET, RANDOM_OFFSET + RANDOM_LENGTH) };
}
