// x509, blocking: mutual certificate authentication; each connection's loop runs in a worker.
import { createBlockingServer } from '@dtls-kit/blocking';
import { exampleCertificates } from '../x509-non-blocking/certs.mjs';

const port = Number(process.argv[2] ?? 4442);
// `node server.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};
const certs = await exampleCertificates(); // test CA and certificates, made at first run
const server = createBlockingServer({
  handler: new URL('./echo-handler.mjs', import.meta.url),
  credentials: {
    module: new URL('./credentials.mjs', import.meta.url),
    export: 'server',
    args: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca },
  },
  maxThreads: 2,
  ...version,
});
await server.listen(port, '127.0.0.1');
console.log(`server: listening on 127.0.0.1:${port}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close());
