import { X509Certificate } from 'node:crypto';
import { AlertDescription, DtlsError, SignatureScheme } from '@dtls-kit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCA, createCertificate, parseCertificates, x509Client, x509Server, type GeneratedCertificate } from '../src/index.js';

let root: GeneratedCertificate;
let otherRoot: GeneratedCertificate;
let int: GeneratedCertificate;
let server: GeneratedCertificate;
let rsaServer: GeneratedCertificate;
let client: GeneratedCertificate;
const der = (pem: string): Uint8Array => parseCertificates(pem)[0] ?? new Uint8Array();

beforeAll(async () => {
  root = await createCA({ commonName: 'Creds Root' });
  otherRoot = await createCA({ commonName: 'Other Root' });
  int = await createCA({ commonName: 'Creds Int', issuer: root });
  server = await createCertificate({ ca: int, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  rsaServer = await createCertificate({ ca: root, commonName: 'rsa.test', usage: 'server', keyType: 'rsa-2048' });
  client = await createCertificate({ ca: root, commonName: 'device-1', usage: 'client' });
});

describe('x509Server', () => {
  it('sends the whole chain, signs with the key, and says which suites it serves', () => {
    const creds = x509Server({ key: server.key, cert: server.cert + int.cert });
    expect(creds.type).toBe('x509');
    expect(creds.signer.chain).toEqual([der(server.cert), der(int.cert)]);
    expect(creds.signer.keyExchange).toBe('ecdhe_ecdsa');
    // A P-256 key: its own curve's scheme first, then the other ECDSA hashes (TLS 1.2 binds no curve).
    expect(creds.signer.signatureSchemes).toEqual([
      SignatureScheme.ecdsa_secp256r1_sha256,
      SignatureScheme.ecdsa_secp384r1_sha384,
      SignatureScheme.ecdsa_secp521r1_sha512,
    ]);
    expect(creds.requestCert).toBe(false);
    expect(creds.rejectUnauthorized).toBe(true);
    expect(creds.verifier).toBeUndefined();
    const rsa = x509Server({ key: rsaServer.key, cert: rsaServer.cert, sigalgs: 'rsa_pkcs1_sha256:rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256' });
    expect(rsa.signer.keyExchange).toBe('ecdhe_rsa');
    expect(rsa.signer.signatureSchemes).toEqual([SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pss_rsae_sha256]);
  });

  it('refuses a key that is not the certificate\'s, unknown sigalgs, and requestCert without ca', () => {
    expect(() => x509Server({ key: client.key, cert: server.cert })).toThrow(/does not belong/);
    expect(() => x509Server({ key: server.key, cert: server.cert, sigalgs: 'rsa_pkcs1_sha1' })).toThrow(/unsupported signature scheme/);
    expect(() => x509Server({ key: server.key, cert: server.cert, sigalgs: 'rsa_pkcs1_sha256' })).toThrow(/no listed scheme/);
    expect(() => x509Server({ key: server.key, cert: server.cert, requestCert: true })).toThrow(/requestCert/);
    expect(x509Server({ key: server.key, cert: server.cert, requestCert: true, rejectUnauthorized: false }).verifier?.authorities).toEqual([]);
  });

  it('with requestCert: names its CAs, checks client chains for clientAuth, and verifies their signatures', async () => {
    const creds = x509Server({ key: server.key, cert: server.cert, ca: [root.cert, otherRoot.cert], requestCert: true });
    const verifier = creds.verifier;
    if (verifier === undefined) throw new Error('no verifier');
    // The CertificateRequest names are the exact DER subjects of the CA certificates.
    expect(verifier.authorities).toHaveLength(2);
    for (const [i, ca] of [root, otherRoot].entries()) {
      const name = verifier.authorities[i] ?? new Uint8Array();
      expect(Buffer.from(der(ca.cert)).indexOf(Buffer.from(name))).toBeGreaterThan(0);
    }
    const context = { peerRole: 'client' as const, servername: undefined };
    expect(await verifier.verifyChain([der(client.cert)], context)).toEqual({ authorized: true });
    // A server certificate is not a client one (extKeyUsage).
    expect(() => verifier.verifyChain([der(server.cert), der(int.cert)], context)).toThrow(DtlsError);
    // No certificate at all: handshake_failure (RFC 5246 7.4.6).
    try {
      verifier.verifyChain([], context);
      expect.unreachable();
    } catch (err) {
      expect(err instanceof DtlsError && err.alert === AlertDescription.handshake_failure).toBe(true);
    }
    const signer = x509Client({ ca: root.cert, key: client.key, cert: client.cert }).signer;
    if (signer === undefined) throw new Error('no signer');
    const transcript = new TextEncoder().encode('handshake messages');
    const sig = await signer.sign(SignatureScheme.ecdsa_secp256r1_sha256, transcript);
    expect(verifier.verifySignature(der(client.cert), SignatureScheme.ecdsa_secp256r1_sha256, transcript, sig)).toBe(true);
    expect(verifier.verifySignature(der(client.cert), SignatureScheme.ecdsa_secp256r1_sha256, new TextEncoder().encode('other'), sig)).toBe(false);
    expect(verifier.verifySignature(der(server.cert), SignatureScheme.ecdsa_secp256r1_sha256, transcript, sig)).toBe(false);
    expect(verifier.verifySignature(new Uint8Array([1, 2]), SignatureScheme.ecdsa_secp256r1_sha256, transcript, sig)).toBe(false);
  });

  it('with rejectUnauthorized false: lets an unknown or absent client certificate in, saying why', () => {
    const creds = x509Server({ key: server.key, cert: server.cert, ca: otherRoot.cert, requestCert: true, rejectUnauthorized: false });
    const verifier = creds.verifier;
    if (verifier === undefined) throw new Error('no verifier');
    const context = { peerRole: 'client' as const, servername: undefined };
    const unknown = verifier.verifyChain([der(client.cert)], context);
    expect(unknown.authorized).toBe(false);
    expect(unknown.authorizationError instanceof DtlsError && unknown.authorizationError.alert).toBe(AlertDescription.unknown_ca);
    const none = verifier.verifyChain([], context);
    expect(none.authorized).toBe(false);
    expect(none.authorizationError instanceof DtlsError && none.authorizationError.alert).toBe(AlertDescription.handshake_failure);
    // A certificate that cannot be read ends the handshake whatever the setting.
    expect(() => verifier.verifyChain([new Uint8Array([0x30, 0x00])], context)).toThrow(DtlsError);
  });
});

describe('x509Client', () => {
  it('checks the server chain and the name the engine gives, or its own servername', () => {
    const creds = x509Client({ ca: root.cert });
    expect(creds.signer).toBeUndefined();
    const chain = [der(server.cert), der(int.cert)];
    expect(creds.verifier.verifyChain(chain, { peerRole: 'server', servername: 'localhost' })).toEqual({ authorized: true });
    expect(() => creds.verifier.verifyChain(chain, { peerRole: 'server', servername: 'example.com' })).toThrow(/bad_certificate.*example\.com/);
    const withName = x509Client({ ca: root.cert, servername: 'example.com' });
    expect(() => withName.verifier.verifyChain(chain, { peerRole: 'server', servername: undefined })).toThrow(/example\.com/);
    // The engine's servername wins over the option.
    expect(withName.verifier.verifyChain(chain, { peerRole: 'server', servername: '127.0.0.1' }).authorized).toBe(true);
  });

  it('with rejectUnauthorized false: records the failure; a server with no certificate still fails', () => {
    const creds = x509Client({ ca: otherRoot.cert, rejectUnauthorized: false });
    const result = creds.verifier.verifyChain([der(server.cert), der(int.cert)], { peerRole: 'server', servername: 'localhost' });
    expect(result.authorized).toBe(false);
    expect(result.authorizationError?.message).toMatch(/unknown_ca.*CN=Creds Int/);
    expect(() => creds.verifier.verifyChain([], { peerRole: 'server', servername: undefined })).toThrow(/handshake_failure/);
  });

  it('checkServerIdentity overrides the name check', () => {
    const fingerprint = new X509Certificate(server.cert).fingerprint256;
    const creds = x509Client({
      ca: root.cert,
      checkServerIdentity: (_host, cert) => (cert.fingerprint256 === fingerprint ? undefined : new Error('not the pinned certificate')),
    });
    expect(creds.verifier.verifyChain([der(server.cert), der(int.cert)], { peerRole: 'server', servername: 'anything' }).authorized).toBe(true);
    expect(() => creds.verifier.verifyChain([der(rsaServer.cert)], { peerRole: 'server', servername: 'rsa.test' })).toThrow(/not the pinned/);
  });

  it('defaults ca to node\'s bundled roots, and needs key and cert together', () => {
    const creds = x509Client();
    expect(creds.verifier.authorities.length).toBeGreaterThan(50);
    expect(() => creds.verifier.verifyChain([der(server.cert), der(int.cert)], { peerRole: 'server', servername: 'localhost' })).toThrow(/unknown_ca/);
    expect(() => x509Client({ ca: root.cert, key: client.key })).toThrow(/both/);
  });

  it('accepts only the schemes it offers', () => {
    const creds = x509Client({ ca: root.cert, sigalgs: 'ecdsa_secp384r1_sha384:rsa_pss_rsae_sha256' });
    expect(creds.verifier.signatureSchemes).toEqual([SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.rsa_pss_rsae_sha256]);
    const signer = x509Server({ key: server.key, cert: server.cert }).signer;
    const data = new Uint8Array([1, 2, 3]);
    const sig = signer.sign(SignatureScheme.ecdsa_secp256r1_sha256, data);
    expect(sig instanceof Uint8Array && creds.verifier.verifySignature(der(server.cert), SignatureScheme.ecdsa_secp256r1_sha256, data, sig)).toBe(false);
  });
});
