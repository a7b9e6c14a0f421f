import dgram from 'node:dgram';
import { once } from 'node:events';

/**
 * A UDP port that was just free and is closed again: the kernel answers a datagram to it with
 * ICMP port unreachable (what a client to a host without a server meets). With `port`, proves
 * that this port is free on `address` by binding it once.
 */
export async function closedUdpPort(type: 'udp4' | 'udp6' = 'udp4', address = '127.0.0.1', port = 0): Promise<number> {
  const s = dgram.createSocket(type);
  s.bind(port, address);
  await once(s, 'listening');
  const bound = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return bound;
}

/** A UDP socket that takes every datagram and never answers (a server that is not there, silently). */
export interface SilentUdpPort {
  readonly port: number;
  /** Datagrams received so far. */
  received(): number;
  close(): Promise<void>;
}

export async function silentUdpPort(address = '127.0.0.1'): Promise<SilentUdpPort> {
  const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  let received = 0;
  s.on('message', () => received++);
  s.bind(0, address);
  await once(s, 'listening');
  return {
    port: s.address().port,
    received: () => received,
    close: () => new Promise<void>((resolve) => s.close(() => resolve())),
  };
}
