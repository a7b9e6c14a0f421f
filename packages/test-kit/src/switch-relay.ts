/**
 * A UDP relay on 127.0.0.1 in front of several servers, for tests of servers that share their
 * stateless secrets: the client's datagrams go out of ONE upstream socket (so every server sees
 * the same source address, as behind a load balancer), each to the server `route` picks by its
 * number (0 for the first datagram); the replies of every server go back to the client. With
 * `route: (n) => (n === 0 ? 0 : 1)` the ClientHello goes to server 0, which answers with a
 * HelloVerifyRequest, and the ClientHello with the cookie goes to server 1 (RFC 6347 4.2.1).
 * One client at a time (the first to send is the client).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';

export interface SwitchRelayOptions {
  /** The servers' UDP ports on 127.0.0.1. */
  readonly targets: readonly number[];
  /** Which target gets the client's datagram number `n` (0-based). */
  readonly route: (n: number) => number;
}

/** A server's reply, as the relay saw it. */
export interface SwitchReply {
  /** The target (index into `targets`) that sent it. */
  readonly from: number;
  /** How many client datagrams had gone out when it came (it answers datagram `after - 1` or a later one). */
  readonly after: number;
  readonly datagram: Uint8Array;
}

export interface SwitchRelay {
  /** Where the client sends. */
  readonly port: number;
  /** The port the servers see the client's datagrams come from. */
  readonly upstreamPort: number;
  /** Every client datagram, with the target it went to. */
  readonly sent: readonly { readonly to: number; readonly datagram: Uint8Array }[];
  readonly replies: readonly SwitchReply[];
  close(): Promise<void>;
}

export async function startSwitchRelay(options: SwitchRelayOptions): Promise<SwitchRelay> {
  const front = dgram.createSocket('udp4');
  const upstream = dgram.createSocket('udp4');
  front.bind(0, '127.0.0.1');
  upstream.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(upstream, 'listening')]);
  const sent: { to: number; datagram: Uint8Array }[] = [];
  const replies: SwitchReply[] = [];
  let client: { address: string; port: number } | undefined;
  front.on('message', (msg, rinfo) => {
    client ??= { address: rinfo.address, port: rinfo.port };
    const to = options.route(sent.length);
    const port = options.targets[to];
    // A route to no target: the datagram is lost (as a balancer with no backend would lose it).
    if (port === undefined) return;
    sent.push({ to, datagram: new Uint8Array(msg) });
    upstream.send(msg, port, '127.0.0.1');
  });
  upstream.on('message', (msg, rinfo) => {
    const from = options.targets.indexOf(rinfo.port);
    if (from < 0 || client === undefined) return;
    replies.push({ from, after: sent.length, datagram: new Uint8Array(msg) });
    front.send(msg, client.port, client.address);
  });
  return {
    port: front.address().port,
    upstreamPort: upstream.address().port,
    sent,
    replies,
    close: async () => {
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => upstream.close(() => r()))]);
    },
  };
}

/** The handshake message type of a plaintext DTLS handshake record (RFC 6347 4.2.2: byte 13), or undefined. */
export function firstHandshakeType(datagram: Uint8Array): number | undefined {
  // Record header: type(1) version(2) epoch(2) sequence(6) length(2); then msg_type.
  if (datagram.length < 14 || datagram[0] !== 22) return undefined;
  return datagram[13];
}
