/**
 * Raw public keys (RFC 7250) between our client and our server, in memory: the certificate type
 * extensions, the bare SubjectPublicKeyInfo Certificate, pinning (an unpinned key ends in
 * certificate_unknown on the side that checks it), and the X.509 fallback both ways (a peer
 * without RFC 7250 gets certificates only when the fallback was given, never silently).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AlertDescription, peerPublicKey, type ClientOptions, type ServerOptions } from '@dtls-kit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCA, createCertificate, rpkClient, rpkServer, subjectPublicKeyInfo, x509Client, x509Server, type GeneratedCertificate } from '../src/index.js';
import { inMemoryHandshake } from './in-memory-handshake.js';

const ECDSA = 'ECDHE-ECDSA-AES128-GCM-SHA256';

function keyPair(kind: 'p256' | 'ed25519'): { privateKey: KeyObject; publicKey: KeyObject } {
  return kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
}

const server = keyPair('p256');
const client = keyPair('ed25519');
const stranger = keyPair('p256');
let ca: GeneratedCertificate;
let serverCert: GeneratedCertificate;

beforeAll(async () => {
  ca = await createCA({ commonName: 'rpk fallback root' });
  serverCert = await createCertificate({ ca, commonName: 'localhost', usage: 'server' });
}, 60_000);

function run(c: ClientOptions['x509'], s: ServerOptions['x509']): ReturnType<typeof inMemoryHandshake> {
  return inMemoryHandshake({ x509: c, cipherSuites: ECDSA, servername: 'localhost' }, { x509: s, cipherSuites: ECDSA });
}

function spkiOf(key: KeyObject): Uint8Array {
  return subjectPublicKeyInfo(key);
}

describe('raw public keys between our client and our server', () => {
  it('authenticates both sides with pinned raw keys: P-256 server, Ed25519 client', async () => {
    const r = await run(
      rpkClient({ key: client.privateKey, pinnedPublicKeys: server.publicKey }),
      rpkServer({ key: server.privateKey, pinnedPublicKeys: [stranger.publicKey, client.publicKey] }),
    );
    expect(r.clientError, r.clientError?.message).toBeUndefined();
    expect(r.serverError, r.serverError?.message).toBeUndefined();
    expect(r.client.state).toBe('established');
    expect(r.client.peerRawPublicKey).toEqual(spkiOf(server.publicKey));
    expect(r.client.peerCertificates).toEqual([]);
    expect(r.client.authorized).toBe(true);
    expect(r.server?.peerRawPublicKey).toEqual(spkiOf(client.publicKey));
    expect(r.server?.authorized).toBe(true);
    expect(peerPublicKey(r.server?.peerRawPublicKey, [])?.asymmetricKeyType).toBe('ed25519');
  });

  it('refuses an unpinned server key with certificate_unknown', async () => {
    const r = await run(rpkClient({ pinnedPublicKeys: stranger.publicKey }), rpkServer({ key: server.privateKey }));
    expect(r.clientError?.alert).toBe(AlertDescription.certificate_unknown);
    expect(r.clientError?.fromPeer).toBe(false);
    expect(r.clientError?.message).toMatch(/not one of the pinned keys/);
    expect(r.serverError?.alert).toBe(AlertDescription.certificate_unknown);
  });

  it('refuses an unpinned client key with certificate_unknown', async () => {
    const r = await run(
      rpkClient({ key: stranger.privateKey, pinnedPublicKeys: server.publicKey }),
      rpkServer({ key: server.privateKey, pinnedPublicKeys: client.publicKey }),
    );
    expect(r.serverError?.alert).toBe(AlertDescription.certificate_unknown);
    expect(r.serverError?.fromPeer).toBe(false);
    expect(r.clientError?.alert).toBe(AlertDescription.certificate_unknown);
  });

  it('refuses a client that sends no key when the server pins client keys', async () => {
    const r = await run(rpkClient({ pinnedPublicKeys: server.publicKey }), rpkServer({ key: server.privateKey, pinnedPublicKeys: client.publicKey }));
    expect(r.serverError?.alert).toBe(AlertDescription.unsupported_certificate);
  });

  it('lets an unpinned server key in with rejectUnauthorized: false, not authorized', async () => {
    const r = await run(rpkClient({ pinnedPublicKeys: stranger.publicKey, rejectUnauthorized: false }), rpkServer({ key: server.privateKey }));
    expect(r.clientError, r.clientError?.message).toBeUndefined();
    expect(r.client.state).toBe('established');
    expect(r.client.authorized).toBe(false);
    expect(r.client.authorizationError?.message).toMatch(/not one of the pinned keys/);
  });
});

describe('X.509 fallback', () => {
  it('a raw-key client with ca falls back to the certificate of a server without RFC 7250', async () => {
    const r = await run(rpkClient({ pinnedPublicKeys: server.publicKey, ca: ca.cert }), x509Server({ key: serverCert.key, cert: serverCert.cert }));
    expect(r.clientError, r.clientError?.message).toBeUndefined();
    expect(r.client.state).toBe('established');
    expect(r.client.peerRawPublicKey).toBeUndefined();
    expect(r.client.peerCertificates.length).toBe(1);
  });

  it('a raw-key client without ca refuses a server that sends a certificate (unsupported_certificate)', async () => {
    const r = await run(rpkClient({ pinnedPublicKeys: server.publicKey }), x509Server({ key: serverCert.key, cert: serverCert.cert }));
    expect(r.clientError?.alert).toBe(AlertDescription.unsupported_certificate);
    expect(r.clientError?.fromPeer).toBe(false);
  });

  it('a raw-key server with a cert serves a certificate client with it', async () => {
    const r = await run(x509Client({ ca: ca.cert }), rpkServer({ key: serverCert.key, cert: serverCert.cert }));
    expect(r.clientError, r.clientError?.message).toBeUndefined();
    expect(r.client.state).toBe('established');
    expect(r.client.peerCertificates.length).toBe(1);
  });

  it('the same server sends its raw key to a raw-key client', async () => {
    const r = await run(
      // A CERTIFICATE block pins the certificate's key.
      rpkClient({ pinnedPublicKeys: serverCert.cert, ca: ca.cert }),
      rpkServer({ key: serverCert.key, cert: serverCert.cert }),
    );
    expect(r.clientError, r.clientError?.message).toBeUndefined();
    expect(r.client.peerRawPublicKey).toBeDefined();
    expect(r.client.peerCertificates).toEqual([]);
  });

  it('a raw-key server without a cert refuses a client that takes only certificates (unsupported_certificate)', async () => {
    const r = await run(x509Client({ ca: ca.cert }), rpkServer({ key: server.privateKey }));
    expect(r.serverError?.alert).toBe(AlertDescription.unsupported_certificate);
    expect(r.clientError?.alert).toBe(AlertDescription.unsupported_certificate);
  });

  it('a raw-key client without a certificate answers a server without RFC 7250 with an empty Certificate, no CertificateVerify', async () => {
    // The server asks for a certificate but lets a client without one in (rejectUnauthorized: false).
    const r = await run(
      rpkClient({ key: client.privateKey, pinnedPublicKeys: serverCert.cert, ca: ca.cert }),
      x509Server({ key: serverCert.key, cert: serverCert.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: false }),
    );
    expect(r.serverError, r.serverError?.message).toBeUndefined();
    expect(r.clientError, r.clientError?.message).toBeUndefined();
    expect(r.server?.state).toBe('established');
    expect(r.server?.authorized).toBe(false);
    expect(r.server?.peerCertificates).toEqual([]);
  });

  it('negotiates X.509 for the client when the server accepts only certificates from it', async () => {
    const clientCert = await createCertificate({ ca, commonName: 'client', usage: 'client' });
    const r = await run(
      rpkClient({ key: clientCert.key, cert: clientCert.cert, pinnedPublicKeys: server.publicKey }),
      rpkServer({ key: server.privateKey, ca: ca.cert }),
    );
    expect(r.serverError, r.serverError?.message).toBeUndefined();
    expect(r.server?.peerCertificates.length).toBe(1);
    expect(r.server?.peerRawPublicKey).toBeUndefined();
    expect(r.client.peerRawPublicKey).toEqual(spkiOf(server.publicKey));
  });
});
