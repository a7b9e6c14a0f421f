/**
 * A recording UDP relay on 127.0.0.1: it forwards every datagram between clients and a server
 * untouched and keeps a copy of each (direction, time, bytes), to capture what two real peers
 * put on the wire (the DTLS 1.3 fixtures of packages/core/test/fixtures/wolfssl13/).
 *
 * Each client (source address and port) gets its own upstream socket, so the server sees one
 * peer per client, as with the other relays of the kit. Bounded: past maxDatagrams it stops
 * recording (and says so) but keeps forwarding.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';

export type RecordedDirection = 'client-to-server' | 'server-to-client';

export interface RecordedDatagram {
  direction: RecordedDirection;
  /** "address:port" of the client it belongs to. */
  client: string;
  /** Milliseconds since the relay started. */
  atMs: number;
  bytes: Uint8Array;
}

export interface RecordingRelayOptions {
  /** The server's port on 127.0.0.1. */
  serverPort: number;
  /** Recording cap (default 10 000 datagrams). */
  maxDatagrams?: number;
}

export interface RecordingRelay {
  /** The port clients connect to, on 127.0.0.1. */
  readonly port: number;
  readonly datagrams: readonly RecordedDatagram[];
  /** True once the cap was reached and later datagrams went unrecorded. */
  readonly truncated: boolean;
  stop(): Promise<void>;
}

const close = (socket: dgram.Socket): Promise<void> => new Promise((resolve) => socket.close(() => resolve()));

/** Starts the relay in front of 127.0.0.1:serverPort. */
export async function startRecordingRelay(options: RecordingRelayOptions): Promise<RecordingRelay> {
  const max = options.maxDatagrams ?? 10_000;
  const started = performance.now();
  const datagrams: RecordedDatagram[] = [];
  let truncated = false;
  const record = (direction: RecordedDirection, client: string, bytes: Buffer): void => {
    if (datagrams.length >= max) {
      truncated = true;
      return;
    }
    datagrams.push({ direction, client, atMs: Math.round((performance.now() - started) * 1000) / 1000, bytes: new Uint8Array(bytes) });
  };

  const front = dgram.createSocket('udp4');
  const upstreams = new Map<string, dgram.Socket>();
  front.on('message', (message, from) => {
    const client = `${from.address}:${from.port}`;
    let upstream = upstreams.get(client);
    if (upstream === undefined) {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (reply) => {
        record('server-to-client', client, reply);
        front.send(reply, from.port, from.address);
      });
      // A server that went away (ICMP port unreachable) must not crash the test process.
      socket.on('error', () => {});
      socket.bind(0, '127.0.0.1');
      upstreams.set(client, socket);
      upstream = socket;
    }
    record('client-to-server', client, message);
    upstream.send(message, options.serverPort, '127.0.0.1');
  });
  front.on('error', () => {});
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');
  return {
    port: front.address().port,
    datagrams,
    get truncated() {
      return truncated;
    },
    stop: async () => {
      await Promise.all([front, ...upstreams.values()].map(close));
      upstreams.clear();
    },
  };
}
