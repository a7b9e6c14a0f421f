import type dgram from 'node:dgram';
import { channels } from './diagnostics.js';

/**
 * Whether the datagram just handed to `udp.send()` has left with its bytes, so that nobody holds
 * it any more and its memory may be used again (DtlsConnection.datagramSent).
 *
 * Our sends reach node:dgram's native send within the call: the client's socket is connected
 * before it sends, the server's is bound and sends to the address a datagram came from (a
 * literal, answered at once by literalLookup). The native send then copies the datagram into the
 * kernel when it can (uv_udp_try_send) and only otherwise queues it, keeping its bytes until it
 * leaves: a send queue left empty means the bytes left. A diagnostics_channel subscriber shown
 * the datagram (traceDatagram) may keep it: then it is never given back.
 */
export function sentAtOnce(udp: dgram.Socket): boolean {
  return !channels.datagram.hasSubscribers && udp.getSendQueueCount() === 0;
}
