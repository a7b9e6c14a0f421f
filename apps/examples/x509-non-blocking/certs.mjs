// Test certificates for the x509 examples, made at first run: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate. FOR EXAMPLES ONLY — never trust this CA.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createCA, createCertificate } from '@dtls-kit/x509';

const dir = new URL('./certs/', import.meta.url);

export async function exampleCertificates() {
  const file = (name) => new URL(name, dir);
  if (!existsSync(file('ca.crt'))) {
    mkdirSync(dir, { recursive: true });
    const ca = await createCA({ commonName: 'dtls-kit example CA (for tests only)' });
    const server = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
    const client = await createCertificate({ ca, commonName: 'example-client', usage: 'client' });
    for (const [name, pem] of Object.entries({ 'ca.crt': ca.cert, 'server.crt': server.cert, 'server.key': server.key, 'client.crt': client.cert, 'client.key': client.key })) {
      writeFileSync(file(name), pem);
    }
  }
  const read = (name) => readFileSync(file(name), 'utf8');
  return { ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: read('client.crt'), clientKey: read('client.key') };
}
