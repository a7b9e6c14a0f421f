/**
 * A UDP relay on 127.0.0.1 that behaves like a NAT whose port mappings expire: each client gets
 * an upstream socket (its "public" port, the source address the server sees), and after every
 * `rebindEvery` datagrams from the client that mapping is dropped and a new socket, on a new
 * port, carries the client's next datagrams. Replies the server sends to an expired mapping are
 * lost, as behind a real NAT. With RFC 9146 connection IDs a server keeps the session across
 * such rebinds; without them it cannot tell the new port from a new client.
 *
 * It can also send any datagram from a third address (a fresh socket), so that a test can
 * replay or forge a record the way an off-path attacker would.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createRng } from './rng.js';

export interface NatRelayOptions {
  /** The server's UDP port on 127.0.0.1. */
  target: number;
  /** A client's mapping moves to a new port after this many of its datagrams (Infinity: never). */
  rebindEvery: number;
  /** Probability that a datagram (either direction) is dropped; default 0. */
  loss?: number;
  seed?: number;
  /** Sees every datagram from a client (before loss), with the upstream port it goes out of. */
  onToServer?: (datagram: Uint8Array, upstreamPort: number) => void;
  /** Sees every datagram from the server (before loss), with the upstream port it came to. */
  onToClient?: (datagram: Uint8Array, upstreamPort: number) => void;
}

export interface NatRelayStats {
  /** Mappings replaced by a new port, over all clients. */
  rebinds: number;
  /** Datagrams the relay dropped on purpose (loss), per direction. */
  droppedToServer: number;
  droppedToClient: number;
  /** Server datagrams that reached an expired mapping (lost, like a real NAT). */
  toExpiredMapping: number;
  forwardedToServer: number;
  forwardedToClient: number;
}

export interface NatRelay {
  /** Where clients send. */
  readonly port: number;
  readonly stats: NatRelayStats;
  /** Every upstream port a client (by its own port) has had, oldest first. */
  upstreamPorts(clientPort: number): number[];
  /** Sends `datagram` to the server from a new socket on a port no client uses; resolves to that port. */
  sendFromThirdAddress(datagram: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

interface Mapping {
  readonly socket: dgram.Socket;
  port: number;
}

interface Client {
  readonly address: string;
  readonly port: number;
  current: Mapping;
  sent: number;
  readonly ports: number[];
}

export async function startNatRelay(options: NatRelayOptions): Promise<NatRelay> {
  const rng = createRng(options.seed ?? 1);
  const loss = options.loss ?? 0;
  const stats: NatRelayStats = { rebinds: 0, droppedToServer: 0, droppedToClient: 0, toExpiredMapping: 0, forwardedToServer: 0, forwardedToClient: 0 };
  const clients = new Map<string, Client>();
  const sockets = new Set<dgram.Socket>();
  let closed = false;
  const front = dgram.createSocket('udp4');
  front.on('error', () => {});

  const openMapping = async (client: () => Client | undefined): Promise<Mapping> => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => {});
    sockets.add(socket);
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const mapping: Mapping = { socket, port: socket.address().port };
    socket.on('message', (msg) => {
      const c = client();
      if (closed || c === undefined) return;
      const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      options.onToClient?.(datagram, mapping.port);
      if (c.current !== mapping) {
        stats.toExpiredMapping++;
        return;
      }
      if (loss > 0 && rng.next() < loss) {
        stats.droppedToClient++;
        return;
      }
      stats.forwardedToClient++;
      front.send(datagram, c.port, c.address);
    });
    return mapping;
  };

  // Datagrams are forwarded in arrival order even while a new mapping's socket binds.
  let queue = Promise.resolve();
  front.on('message', (msg, rinfo) => {
    const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    queue = queue.then(async () => {
      if (closed) return;
      const key = `${rinfo.address}:${rinfo.port}`;
      let client = clients.get(key);
      if (client === undefined) {
        const mapping = await openMapping(() => clients.get(key));
        client = { address: rinfo.address, port: rinfo.port, current: mapping, sent: 0, ports: [mapping.port] };
        clients.set(key, client);
      } else if (client.sent > 0 && client.sent % options.rebindEvery === 0) {
        // The old mapping's socket stays open and drops what reaches it (counted), like a NAT
        // whose entry has not timed out yet; it closes with the relay.
        client.current = await openMapping(() => clients.get(key));
        client.ports.push(client.current.port);
        stats.rebinds++;
      }
      client.sent++;
      options.onToServer?.(datagram, client.current.port);
      if (loss > 0 && rng.next() < loss) {
        stats.droppedToServer++;
        return;
      }
      stats.forwardedToServer++;
      client.current.socket.send(datagram, options.target, '127.0.0.1');
    });
  });
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');

  return {
    port: front.address().port,
    stats,
    upstreamPorts: (clientPort) => [...(clients.get(`127.0.0.1:${clientPort}`)?.ports ?? [])],
    sendFromThirdAddress: async (datagram) => {
      const socket = dgram.createSocket('udp4');
      socket.on('error', () => {});
      sockets.add(socket);
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      await new Promise<void>((resolve) => socket.send(datagram, options.target, '127.0.0.1', () => resolve()));
      return socket.address().port;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await queue;
      const all = [front, ...sockets];
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
