// One of several dtls-kit server processes behind nginx (see run.mjs). Arguments: PORT SERVER_ID.
// What makes it fit behind a load balancer:
// - connectionId.serverId: every connection ID it issues starts with this byte, so nginx's njs
//   script (dtls-kit lb-config) sends a client whose NAT rebinds back here (RFC 9146);
// - proxyProtocol: nginx puts the client's own address before each datagram (PROXY v2), so the
//   server sees clients, not nginx (for its cookies, per-address limits and remoteAddress).
import { createServer } from '@dtls-kit/nonblocking';
import { pskServer } from '@dtls-kit/psk';

const [port, id] = process.argv.slice(2).map(Number);
const name = `server ${id}`;
const server = createServer(
  {
    psk: pskServer({ keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } }),
    connectionId: { length: 8, serverId: Uint8Array.of(id) },
    proxyProtocol: { from: ['127.0.0.1'] },
  },
  async (socket) => {
    const cid = socket.connectionId?.receive.toString('hex');
    console.log(`${name}: ${socket.remoteAddress}:${socket.remotePort} connected (connection ID ${cid})`);
    socket.on('remoteAddressChange', (now, before) => console.log(`${name}: connection ${cid} moved from port ${before.port} to ${now.port}`));
    for await (const message of socket) socket.send(message);
  },
);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
await server.listen(port, '127.0.0.1');
console.log(`${name}: listening on 127.0.0.1:${port}`);
