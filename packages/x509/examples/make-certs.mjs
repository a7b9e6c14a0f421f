// Makes a CA, a server and a client certificate (ECDSA P-256 or RSA-2048) as PEM files, checks
// them with our validator, and prints the openssl commands that use them.
//   node examples/make-certs.mjs [outdir] [ecdsa-p256|rsa-2048]      (after `make dtls` at the root)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, createCertificate, describeCertificate, x509Client, x509Server } from '@dtls-kit/x509';

const dir = process.argv[2] ?? 'certs';
const keyType = process.argv[3] ?? 'ecdsa-p256';
mkdirSync(dir, { recursive: true });

const ca = await createCA({ commonName: 'dtls-kit example CA', keyType });
const server = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', keyType });
const client = await createCertificate({ ca, commonName: 'example-device', usage: 'client', keyType });
for (const [name, pem] of Object.entries({ 'ca.crt': ca.cert, 'ca.key': ca.key, 'server.crt': server.cert, 'server.key': server.key, 'client.crt': client.cert, 'client.key': client.key })) {
  writeFileSync(join(dir, name), pem);
}

// The credentials the engine takes as its `x509` option.
const serverCreds = x509Server({ key: server.key, cert: server.cert, ca: ca.cert, requestCert: true });
const clientCreds = x509Client({ ca: ca.cert, key: client.key, cert: client.cert });

// What each side checks during the handshake, done here directly.
console.log('server chain for localhost:', clientCreds.verifier.verifyChain(serverCreds.signer.chain, { peerRole: 'server', servername: 'localhost' }));
console.log('client chain:', serverCreds.verifier?.verifyChain(clientCreds.signer?.chain ?? [], { peerRole: 'client', servername: undefined }));
const leaf = describeCertificate(serverCreds.signer.chain[0]);
console.log(`server certificate: ${leaf.subject}, issued by ${leaf.issuer}, SHA-256 ${leaf.fingerprint256}`);
console.log(`\nwritten to ${dir}/. Try them with OpenSSL:`);
console.log(`  openssl verify -CAfile ${dir}/ca.crt ${dir}/server.crt ${dir}/client.crt`);
console.log(`  openssl s_server -dtls1_2 -accept 127.0.0.1:4433 -listen -cert ${dir}/server.crt -key ${dir}/server.key -Verify 1 -CAfile ${dir}/ca.crt`);
