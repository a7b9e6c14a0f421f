// PSK, non-blocking: a DTLS echo server on 127.0.0.1 secured with a pre-shared key.
// Events drive everything: no thread waits; one UDP socket serves every client.
import { createServer } from '@dtls-kit/nonblocking';
import { pskServer } from '@dtls-kit/psk';

const port = Number(process.argv[2] ?? 4441);
// `node server.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};

// The server knows each client's identity and its key (16 bytes, in hex as OpenSSL's -psk takes it).
// This key is the one from OpenSSL's examples: never use it for anything real.
const psk = pskServer({ keys: { Client_identity: '000102030405060708090a0b0c0d0e0f' } });

const server = createServer({ psk, ...version }, async (socket) => {
  // The handshake is done: the cookie exchange, the key exchange and the Finished checks.
  console.log(`server: ${socket.remoteAddress}:${socket.remotePort} connected as "${socket.pskIdentity}" with ${socket.getCipher().name}`);
  // One message per datagram; the loop ends when the client sends close_notify.
  for await (const message of socket) {
    console.log(`server: received "${message}", echoing it`);
    socket.send(message);
  }
  console.log('server: client closed the connection');
  await server.close(); // one client is enough for the example
});

await server.listen(port, '127.0.0.1');
console.log(`server: listening on 127.0.0.1:${port}`);
