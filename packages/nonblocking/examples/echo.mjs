// A PSK DTLS 1.2 echo server and client over UDP on 127.0.0.1, with @dtls-kit/nonblocking.
//   node examples/echo.mjs [cipher]        (after `make dtls` at the repository root)
import { connect, createServer } from '@dtls-kit/nonblocking';
import { pskClient, pskServer } from '@dtls-kit/psk';

const cipher = process.argv[2] ?? 'PSK-AES128-CCM8';
const key = '000102030405060708090a0b0c0d0e0f'; // OpenSSL's example key: never in production

// Server: one UDP socket for every peer; each connection echoes what it receives.
const server = createServer({ psk: pskServer({ keys: { Client_identity: key } }), cipherSuites: cipher }, async (socket) => {
  console.log(`server: ${socket.remoteAddress}:${socket.remotePort} connected as ${socket.pskIdentity} (${socket.getCipher().name})`);
  for await (const message of socket) socket.send(message); // ends when the client closes
  console.log('server: client closed');
});
const { port } = await server.listen(0, '127.0.0.1');

// Client: resolves once the handshake is done (rejects with a DtlsError naming the alert).
const client = await connect({ host: '127.0.0.1', port, psk: pskClient({ identity: 'Client_identity', key }), cipherSuites: cipher });
console.log(`client: ${client.getProtocol()} ${client.getCipher().standardName}`);
for (const text of ['hello', 'over', 'DTLS']) {
  client.send(text);
  const [reply] = await new Promise((resolve) => client.once('message', (...args) => resolve(args)));
  console.log(`client: got "${reply}" back`);
}
await client.close(); // close_notify
await server.close();
