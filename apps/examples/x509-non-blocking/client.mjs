// x509, non-blocking: a DTLS client that checks the server's certificate (chain to our CA,
// validity, the name "localhost") and shows its own when asked.
import { connect } from '@dtls-kit/nonblocking';
import { x509Client, describeCertificate } from '@dtls-kit/x509';
import { exampleCertificates } from './certs.mjs';

const port = Number(process.argv[2] ?? 4443);
// `node client.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};
const certs = await exampleCertificates();

const x509 = x509Client({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
// servername is what the server's certificate must name (checked against subjectAltName).
const socket = await connect({ host: '127.0.0.1', port, x509, servername: 'localhost', ...version });
const server = describeCertificate(socket.getPeerCertificate().raw);
console.log(`client: connected with ${socket.getProtocol()} ${socket.getCipher().name} to "${server.subject}" (authorized: ${socket.authorized})`);

for (const text of ['hello', 'from', 'dtls-kit']) {
  socket.send(text);
  const [reply] = await new Promise((resolve) => socket.once('message', (...args) => resolve(args)));
  console.log(`client: sent "${text}", got back "${reply}"`);
}
await socket.close();
