/**
 * The `lookup` of our node:dgram sockets. node:dgram resolves the address of every unconnected
 * send (the server's, one per datagram), every bind and every connect through `dns.lookup`, and
 * dns.lookup answers an IP literal on the next tick: one `process.nextTick`, two closures and a
 * deferred send per datagram, for an address that needs no resolving. This answers a literal at
 * once (node:dgram runs the send in the same call, as it does for a connected socket) and hands
 * anything else to dns.lookup as before.
 */

import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

/** node:dgram's `lookup` signature (dgram.SocketOptions['lookup']). */
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The last IP literal answered, and its family. A server sends each reply through this lookup, to
 * the same peer's address again and again (the socket keeps its peer's string): comparing with
 * the last one is cheaper than isIP's regular expression on every datagram, on the path from a
 * datagram's arrival to the reply's send. Only literals are kept, so a host name never skips
 * dns.lookup.
 */
let lastLiteral = '';
let lastFamily = 0;

/**
 * A single-address lookup: an IP literal is its own address (as dns.lookup says, whatever family
 * was asked for), called back synchronously; a host name goes to dns.lookup.
 */
export function literalLookup(hostname: string, options: number | LookupOneOptions, callback: LookupCallback): void {
  if (hostname === lastLiteral) {
    callback(null, hostname, lastFamily);
    return;
  }
  const family = isIP(hostname);
  if (family !== 0) {
    lastLiteral = hostname;
    lastFamily = family;
    callback(null, hostname, family);
    return;
  }
  if (typeof options === 'number') dnsLookup(hostname, options, callback);
  else dnsLookup(hostname, options, callback);
}
