/**
 * A UDP relay on 127.0.0.1 that plays a NAT rebinding its clients' ports while their DTLS
 * sessions run: each client gets an upstream socket (the source port the next hop sees), and
 * after every `rebindEvery` datagrams of the client that carry a connection ID (a first record of
 * type tls12_cid, RFC 9146 4, or a DTLS 1.3 unified header with the C bit, RFC 9147 4) the
 * mapping moves to a new socket on a new port. Only CID datagrams count and trigger a move, so a
 * handshake is never split across ports before the CID exists (in DTLS 1.2 none before it is
 * done; in 1.3 the client's epoch-2 flight has it): such a rebinding cannot be followed by anyone
 * (RFC 9146 1).
 * Replies to an old mapping still reach the client (a NAT keeps an entry until it times out).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';

/** RFC 9146 4: the tls12_cid content type. */
const TLS12_CID = 25;

/**
 * Whether a datagram's first record carries a CID: a tls12_cid record (RFC 9146 4), or a DTLS 1.3
 * unified header (001CSLEE) with the C bit (RFC 9147 4).
 */
function carriesConnectionId(first: number): boolean {
  return first === TLS12_CID || ((first & 0xe0) === 0x20 && (first & 0x10) !== 0);
}

export interface RebindingRelay {
  /** Where clients send. */
  readonly port: number;
  /** Every upstream port a client (by its own port) has had, oldest first. */
  upstreamPorts(clientPort: number): readonly number[];
  /** Moves made over all clients. */
  readonly rebinds: number;
  close(): Promise<void>;
}

interface Client {
  readonly port: number;
  current: dgram.Socket;
  cidDatagrams: number;
  readonly ports: number[];
}

/** Starts the relay in front of 127.0.0.1:`target`. */
export async function startRebindingRelay(target: number, rebindEvery: number): Promise<RebindingRelay> {
  if (!Number.isInteger(rebindEvery) || rebindEvery < 1) throw new RangeError('rebindEvery must be an integer >= 1');
  const front = dgram.createSocket('udp4');
  front.on('error', () => {});
  const clients = new Map<number, Client>();
  const sockets = new Set<dgram.Socket>();
  let rebinds = 0;
  let closed = false;

  const open = async (clientPort: number): Promise<dgram.Socket> => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => {});
    sockets.add(socket);
    socket.on('message', (msg) => {
      if (!closed) front.send(msg, clientPort, '127.0.0.1');
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return socket;
  };

  // In arrival order, even while a new mapping's socket binds.
  let queue = Promise.resolve();
  front.on('message', (msg, rinfo) => {
    queue = queue.then(async () => {
      if (closed) return;
      let client = clients.get(rinfo.port);
      if (client === undefined) {
        const socket = await open(rinfo.port);
        client = { port: rinfo.port, current: socket, cidDatagrams: 0, ports: [socket.address().port] };
        clients.set(rinfo.port, client);
      }
      if (carriesConnectionId(msg[0] ?? 0)) {
        if (client.cidDatagrams > 0 && client.cidDatagrams % rebindEvery === 0) {
          client.current = await open(rinfo.port);
          client.ports.push(client.current.address().port);
          rebinds++;
        }
        client.cidDatagrams++;
      }
      if (!closed) client.current.send(msg, target, '127.0.0.1');
    });
  });
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');
  return {
    port: front.address().port,
    upstreamPorts: (clientPort) => clients.get(clientPort)?.ports ?? [],
    get rebinds() {
      return rebinds;
    },
    close: async () => {
      closed = true;
      await queue;
      for (const s of sockets) s.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
