// x509, non-blocking: a DTLS echo server that proves who it is with a certificate and asks
// every client for one too (mutual authentication).
import { createServer } from '@dtls-kit/nonblocking';
import { x509Server, describeCertificate } from '@dtls-kit/x509';
import { exampleCertificates } from './certs.mjs';

const port = Number(process.argv[2] ?? 4443);
// `node server.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};
const certs = await exampleCertificates();

// Our key and certificate; `ca` + requestCert: clients must present a certificate from this CA.
const x509 = x509Server({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true });

const server = createServer({ x509, ...version }, async (socket) => {
  const raw = socket.getPeerCertificate().raw;
  const peer = raw ? describeCertificate(raw).subject : '(none asked for)';
  console.log(`server: ${socket.remoteAddress}:${socket.remotePort} connected with ${socket.getProtocol()} ${socket.getCipher().name}, client certificate "${peer}"`);
  for await (const message of socket) {
    console.log(`server: received "${message}", echoing it`);
    socket.send(message);
  }
  console.log('server: client closed the connection');
  await server.close();
});

await server.listen(port, '127.0.0.1');
console.log(`server: listening on 127.0.0.1:${port}`);
