/**
 * How a server's one socket finds the connection a datagram belongs to.
 *
 * Today a connection is named by the peer's transport address ("address:port", IPv6 in
 * brackets). RFC 9146 Connection IDs would add a second key: a record of content type
 * tls12_cid (25) carries the CID we issued, and would be looked up by it before the address
 * (so a peer behind a NAT that rebinds keeps its connection); `routeKey` is the one place that
 * decides, and the table maps keys to connections without caring which kind a key is.
 */
import type { RemoteInfo } from 'node:dgram';
import { peerKey } from '@dtls-kit/core';

/** The routing key of a datagram (today: its source address). */
export function routeKey(_datagram: Uint8Array, rinfo: RemoteInfo): string {
  return peerKey(rinfo);
}

const RECORD_HEADER = 13;
const HANDSHAKE_HEADER = 12;
const CONTENT_HANDSHAKE = 22;
const CLIENT_HELLO = 1;

/** What a quick look at a datagram's first record tells: is it a ClientHello in epoch 0, and its random. */
export interface ClientHelloSniff {
  /** The client random (hex), when the first fragment is in this datagram. */
  readonly random: string | undefined;
}

/**
 * Looks at the first record only, without decoding anything else: a plaintext (epoch 0)
 * handshake record whose first message is a ClientHello. Used to send a restarted client's
 * new ClientHello (RFC 6347 4.2.8) to the cookie endpoint rather than to the old connection.
 */
export function sniffClientHello(d: Uint8Array): ClientHelloSniff | undefined {
  if (d.length < RECORD_HEADER + HANDSHAKE_HEADER) return undefined;
  if (d[0] !== CONTENT_HANDSHAKE || d[3] !== 0 || d[4] !== 0) return undefined; // type, epoch 0
  const h = RECORD_HEADER;
  if (d[h] !== CLIENT_HELLO) return undefined;
  const fragmentOffset = ((d[h + 6] ?? 0) << 16) | ((d[h + 7] ?? 0) << 8) | (d[h + 8] ?? 0);
  const body = h + HANDSHAKE_HEADER;
  // client_version (2 bytes), then the 32-byte random.
  if (fragmentOffset !== 0 || d.length < body + 34) return { random: undefined };
  return { random: Buffer.from(d.buffer, d.byteOffset + body + 2, 32).toString('hex') };
}

/** The client random from an engine key log line ("CLIENT_RANDOM <random> <secret>"). */
export function randomFromKeyLog(line: string | undefined): string | undefined {
  return line?.split(' ')[1];
}
