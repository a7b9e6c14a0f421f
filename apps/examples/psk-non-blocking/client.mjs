// PSK, non-blocking: a DTLS client that sends three messages and prints the echoes.
import { connect } from '@dtls-kit/nonblocking';
import { pskClient } from '@dtls-kit/psk';

const port = Number(process.argv[2] ?? 4441);
// `node client.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};

// The client presents its identity and proves it holds the same key (RFC 4279).
const psk = pskClient({ identity: 'Client_identity', key: '000102030405060708090a0b0c0d0e0f' });

// connect() resolves once the handshake is complete (and rejects with the alert if it fails).
const socket = await connect({ host: '127.0.0.1', port, psk, ...version });
console.log(`client: connected with ${socket.getProtocol()} ${socket.getCipher().name}`);

for (const text of ['hello', 'from', 'dtls-kit']) {
  socket.send(text); // one datagram, encrypted and authenticated
  const [reply] = await new Promise((resolve) => socket.once('message', (...args) => resolve(args)));
  console.log(`client: sent "${text}", got back "${reply}"`);
}
await socket.close(); // close_notify tells the server we are done
