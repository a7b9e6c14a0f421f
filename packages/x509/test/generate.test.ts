import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, createCertificate, parseCertificates, type GeneratedCertificate, type GeneratedKeyType } from '../src/index.js';
import { Scratch } from './openssl.js';

// Our certificates, checked by implementations we did not write: `openssl verify` and node's
// X509Certificate (OpenSSL underneath, but its own API: verify, checkIssued, checkHost, checkIP).
const scratch = new Scratch();
afterAll(() => scratch.remove());

describe.each<GeneratedKeyType>(['ecdsa-p256', 'rsa-2048', 'ecdsa-p384', 'ed25519'])('generated %s chain', (keyType) => {
  let root: GeneratedCertificate;
  let intermediate: GeneratedCertificate;
  let server: GeneratedCertificate;
  let client: GeneratedCertificate;

  beforeAll(async () => {
    root = await createCA({ commonName: `Root ${keyType}`, keyType });
    intermediate = await createCA({ commonName: `Intermediate ${keyType}`, keyType, issuer: root, pathLength: 0 });
    server = await createCertificate({ ca: intermediate, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1', '::1'], usage: 'server', keyType });
    client = await createCertificate({ ca: root, commonName: 'device-42', usage: 'client', keyType });
    scratch.write(`${keyType}-root.pem`, root.cert);
    scratch.write(`${keyType}-int.pem`, intermediate.cert);
    scratch.write(`${keyType}-server.pem`, server.cert);
    scratch.write(`${keyType}-client.pem`, client.cert);
  });

  it('verifies with openssl verify, with the purpose of each certificate', () => {
    const out = scratch.openssl(['verify', '-CAfile', `${keyType}-root.pem`, '-untrusted', `${keyType}-int.pem`, '-purpose', 'sslserver', `${keyType}-server.pem`]);
    expect(out).toContain(': OK');
    expect(scratch.openssl(['verify', '-CAfile', `${keyType}-root.pem`, '-purpose', 'sslclient', `${keyType}-client.pem`])).toContain(': OK');
    // The server certificate is not for client authentication, nor the client one for servers.
    expect(scratch.opensslOk(['verify', '-CAfile', `${keyType}-root.pem`, '-untrusted', `${keyType}-int.pem`, '-purpose', 'sslclient', `${keyType}-server.pem`])).toBe(false);
    expect(scratch.opensslOk(['verify', '-CAfile', `${keyType}-root.pem`, '-purpose', 'sslserver', `${keyType}-client.pem`])).toBe(false);
    // openssl's host and IP checks agree with the subjectAltName.
    expect(scratch.openssl(['verify', '-CAfile', `${keyType}-root.pem`, '-untrusted', `${keyType}-int.pem`, '-verify_hostname', 'localhost', `${keyType}-server.pem`])).toContain(': OK');
    expect(scratch.openssl(['verify', '-CAfile', `${keyType}-root.pem`, '-untrusted', `${keyType}-int.pem`, '-verify_ip', '127.0.0.1', `${keyType}-server.pem`])).toContain(': OK');
    expect(scratch.opensslOk(['verify', '-CAfile', `${keyType}-root.pem`, '-untrusted', `${keyType}-int.pem`, '-verify_hostname', 'example.com', `${keyType}-server.pem`])).toBe(false);
  });

  it('verifies with node X509Certificate and has the extensions openssl expects', () => {
    const rootCert = new X509Certificate(root.cert);
    const intCert = new X509Certificate(intermediate.cert);
    const serverCert = new X509Certificate(server.cert);
    expect(rootCert.verify(rootCert.publicKey)).toBe(true);
    expect(intCert.verify(rootCert.publicKey)).toBe(true);
    expect(intCert.checkIssued(rootCert)).toBe(true);
    expect(serverCert.verify(intCert.publicKey)).toBe(true);
    expect(serverCert.checkIssued(intCert)).toBe(true);
    expect(serverCert.verify(rootCert.publicKey)).toBe(false);
    expect(rootCert.ca).toBe(true);
    expect(intCert.ca).toBe(true);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.checkHost('localhost')).toBe('localhost');
    expect(serverCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serverCert.checkIP('::1')).toBe('::1');
    expect(serverCert.checkHost('example.com')).toBeUndefined();
    expect(serverCert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // node names the extKeyUsage OIDs keyUsage
    const text = scratch.openssl(['x509', '-in', `${keyType}-int.pem`, '-noout', '-text']);
    expect(text).toContain('CA:TRUE, pathlen:0');
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
  });

  it('writes keys as PKCS#8 PEM that openssl reads', () => {
    expect(server.key).toContain('-----BEGIN PRIVATE KEY-----');
    scratch.write(`${keyType}-server.key`, server.key);
    const pub = scratch.openssl(['pkey', '-in', `${keyType}-server.key`, '-pubout']);
    expect(pub).toBe(new X509Certificate(server.cert).publicKey.export({ type: 'spki', format: 'pem' }));
  });
});

describe('generated certificates, options', () => {
  it('signs with a CA made by openssl and honours dates', async () => {
    const s = scratch;
    s.openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'oca.key', '-out', 'oca.pem', '-subj', '/CN=OpenSSL CA', '-days', '30']);
    const ca = { cert: s.readText('oca.pem'), key: s.readText('oca.key') };
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2021-01-01T00:00:00Z');
    const leaf = await createCertificate({ ca, commonName: 'old.example', usage: 'server', notBefore, notAfter });
    s.write('old.pem', leaf.cert);
    const cert = new X509Certificate(leaf.cert);
    expect(new Date(cert.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(() => s.openssl(['verify', '-CAfile', 'oca.pem', 'old.pem'])).toThrow(/certificate has expired/);
    expect(s.openssl(['verify', '-CAfile', 'oca.pem', '-no_check_time', 'old.pem'])).toContain(': OK');
    expect(parseCertificates(leaf.cert)).toHaveLength(1);
  });
});
