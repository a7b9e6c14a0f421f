/**
 * A stand-in for a load balancer that writes PROXY v2 headers (haproxy proxy-protocol.txt 2.2),
 * for the runtimes' proxyProtocol tests: one upstream socket per client (as nginx's UDP sessions),
 * each datagram towards the server prefixed with a header that claims `claim(clientPort)` as the
 * client (an IPv4 address). The real balancer, nginx with dtls-kit's njs script, is in packages/cli/test/lb.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';

/** proxy-protocol.txt 2.2: PROXY, UDP over IPv4, src then dst address, src then dst port. */
export function proxyV2Header(src: string, sport: number, dst: string, dport: number): Buffer {
  const b = Buffer.alloc(28);
  Buffer.from('0d0a0d0a000d0a515549540a', 'hex').copy(b, 0);
  b[12] = 0x21;
  b[13] = 0x12;
  b.writeUInt16BE(12, 14);
  Buffer.from(src.split('.').map(Number)).copy(b, 16);
  Buffer.from(dst.split('.').map(Number)).copy(b, 20);
  b.writeUInt16BE(sport, 24);
  b.writeUInt16BE(dport, 26);
  return b;
}

export interface HeaderRelay {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (an ephemeral port) and forwards to 127.0.0.1:`target` with a header. */
export async function startHeaderRelay(target: number, claim: (clientPort: number) => { address: string; port: number }): Promise<HeaderRelay> {
  const front = dgram.createSocket('udp4');
  const upstreams = new Map<number, dgram.Socket>();
  front.on('message', (msg, rinfo) => {
    let up = upstreams.get(rinfo.port);
    if (up === undefined) {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (reply) => front.send(reply, rinfo.port, rinfo.address));
      socket.bind(0, '127.0.0.1');
      upstreams.set(rinfo.port, socket);
      up = socket;
    }
    const c = claim(rinfo.port);
    up.send(Buffer.concat([proxyV2Header(c.address, c.port, '127.0.0.1', 4433), msg]), target, '127.0.0.1');
  });
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');
  return {
    port: front.address().port,
    close: async () => {
      for (const s of upstreams.values()) s.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
