// Test credentials for every peer: the PSK, and a P-256 CA with a server certificate for
// 127.0.0.1 / localhost, written as PEM files (ca.crt, server.crt, server.key) into a folder so
// that the C program and the other libraries read the very same ones.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, createCertificate } from '@dtls-kit/x509';

export async function writeCertificates(dir) {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, 'server.key'))) return dir;
  const ca = await createCA({ commonName: 'dtls-kit bench CA' });
  const server = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  writeFileSync(join(dir, 'ca.crt'), ca.cert);
  writeFileSync(join(dir, 'server.crt'), server.cert);
  writeFileSync(join(dir, 'server.key'), server.key);
  return dir;
}

export function readCertificates(dir) {
  return {
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    cert: readFileSync(join(dir, 'server.crt'), 'utf8'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
  };
}
