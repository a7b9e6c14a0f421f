/**
 * Which peers count as "one address" for the per-address bound on handshakes in progress.
 *
 * A cookie (RFC 6347 4.2.1) proves that a peer receives datagrams at its address, not that it is
 * one peer: every port of one host passes it. The bound is therefore kept per address, not per
 * address and port. An IPv4 address (or an IPv4-mapped IPv6 one, `::ffff:a.b.c.d`, which is the
 * same host seen through a dual-stack socket) is one group. An IPv6 address is grouped by its /64
 * prefix: RFC 4291 2.5.1 makes the low 64 bits the interface identifier, which a host may change
 * at will (RFC 8981 temporary addresses), so one site or host owns a whole /64 (RFC 6177).
 */
import { isIPv4, isIPv6 } from 'node:net';

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The group a peer's address counts in: the IPv4 address, or the IPv6 /64 prefix ("2001:db8:0:1::/64"). */
export function addressGroup(address: string): string {
  const mapped = MAPPED_V4.exec(address);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  if (groups === undefined) return address;
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] | undefined {
  // A zone index (fe80::1%eth0) names the link, not the address.
  let text = address.split('%')[0] ?? address;
  // A trailing dotted quad (::ffff:1.2.3.4 is handled above; 64:ff9b::1.2.3.4 here) is two groups.
  const quad = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' && halves[1] !== undefined ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return all.map((g) => Number.parseInt(g, 16).toString(16));
}
