/**
 * A peer's transport address, and the two names a server gives it: the key that routes its
 * datagrams to its connection (address and port), and the group it counts in for per-address
 * bounds (address only). Pure string work, no node:net, so that the engine stays free of I/O.
 */

/** A UDP peer: what node:dgram's RemoteInfo carries (any object with these two fields will do). */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * The one text form of a peer: "127.0.0.1:4433", or "[::1]:4433" for IPv6 (RFC 3986 3.2.2
 * brackets, so that the port cannot be read as a last group of the address). Routing tables,
 * cookies (RFC 6347 4.2.1 binds a cookie to the client's address) and logs all use it.
 */
export function peerKey(peer: PeerAddress): string {
  return peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

/** Whether two peers are the same transport address (as their keys say). */
export function samePeer(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const MAPPED_V4 = new RegExp(`^::ffff:(${OCTET}(?:\\.${OCTET}){3})$`, 'i');
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/**
 * Which peers count as "one address" for the per-address bounds on handshakes and connections.
 *
 * A cookie (RFC 6347 4.2.1) proves that a peer receives datagrams at its address, not that it is
 * one peer: every port of one host passes it. The bounds are therefore kept per address, not per
 * address and port. An IPv4 address (or an IPv4-mapped IPv6 one, `::ffff:a.b.c.d`, which is the
 * same host seen through a dual-stack socket) is one group. An IPv6 address is grouped by its /64
 * prefix: RFC 4291 2.5.1 makes the low 64 bits the interface identifier, which a host may change
 * at will (RFC 8981 temporary addresses), so one site or host owns a whole /64 (RFC 6177).
 * Returns the IPv4 address, or the prefix ("2001:db8:0:1::/64"); anything else unchanged.
 */
export function addressGroup(address: string): string {
  const mapped = MAPPED_V4.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (IPV4.test(address)) return address;
  const groups = expandIPv6(address);
  if (groups === undefined) return address;
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros; undefined if it is not one. */
function expandIPv6(address: string): string[] | undefined {
  // A zone index (fe80::1%eth0) names the link, not the address.
  let text = address.split('%')[0] ?? address;
  // A trailing dotted quad (::ffff:1.2.3.4 is handled above; 64:ff9b::1.2.3.4 here) is two groups.
  const quad = new RegExp(`(?:^|:)(${OCTET})\\.(${OCTET})\\.(${OCTET})\\.(${OCTET})$`).exec(text);
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.slice(1).map(Number);
    const start = quad.index + (quad[0].startsWith(':') ? 1 : 0);
    text = `${text.slice(0, start)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  } else if (text.includes('.')) {
    return undefined;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' && halves[1] !== undefined ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => HEX_GROUP.test(g))) return undefined;
  return all.map((g) => Number.parseInt(g, 16).toString(16));
}
