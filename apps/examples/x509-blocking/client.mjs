// x509, blocking: the client checks the server's chain and name, and shows its own certificate.
import { runBlockingClient } from '@dtls-kit/blocking';
import { exampleCertificates } from '../x509-non-blocking/certs.mjs';

const port = Number(process.argv[2] ?? 4442);
// `node client.mjs PORT DTLSv1.2` (or DTLSv1.3): that version only; without it the library's default,
// DTLS 1.3 (RFC 9147) preferred and DTLS 1.2 (RFC 6347) accepted.
const version = ['DTLSv1.2', 'DTLSv1.3'].includes(process.argv[3]) ? { minVersion: process.argv[3], maxVersion: process.argv[3] } : {};
const certs = await exampleCertificates();
await runBlockingClient({
  handler: new URL('./client-handler.mjs', import.meta.url),
  host: '127.0.0.1',
  port,
  credentials: {
    module: new URL('./credentials.mjs', import.meta.url),
    export: 'client',
    args: { key: certs.clientKey, cert: certs.clientCert, ca: certs.ca },
  },
  args: ['hello', 'from', 'dtls-kit'],
  ...version,
});
