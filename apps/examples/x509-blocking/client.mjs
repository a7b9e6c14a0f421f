// x509, blocking: the client checks the server's chain and name, and shows its own certificate.
import { runBlockingClient } from '@dtls-kit/blocking';
import { exampleCertificates } from '../x509-non-blocking/certs.mjs';

const port = Number(process.argv[2] ?? 4442);
// `node client.mjs PORT DTLSv1.3`: DTLS 1.3 (RFC 9147) rather than the default, DTLS 1.2.
const version = process.argv[3] === 'DTLSv1.3' ? { maxVersion: 'DTLSv1.3' } : {};
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
