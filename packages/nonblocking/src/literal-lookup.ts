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
 * A single-address lookup: an IP literal is its own address (as dns.lookup says, whatever family
 * was asked for), called back synchronously; a host name goes to dns.lookup.
 */
export function literalLookup(hostname: string, options: number | LookupOneOptions, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  if (typeof options === 'number') dnsLookup(hostname, options, callback);
  else dnsLookup(hostname, options, callback);
}
