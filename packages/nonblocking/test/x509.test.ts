import { X509Certificate } from 'node:crypto';
import { createCA, createCertificate, x509Client, x509Server } from '@dtls-kit/x509';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsError, type DtlsServer, type EstablishedDtlsSocket } from '../src/index.js';
import { echo, roundTrip } from './helpers.js';

type Generated = Awaited<ReturnType<typeof createCA>>;
let ca: Generated;
let otherCa: Generated;
let serverCert: Generated;
let clientCert: Generated;

beforeAll(async () => {
  ca = await createCA({ commonName: 'nonblocking test CA' });
  otherCa = await createCA({ commonName: 'someone else' });
  serverCert = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1', '::1'], usage: 'server' });
  clientCert = await createCertificate({ ca, commonName: 'device-42', usage: 'client' });
});

let server: DtlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('certificates (x509)', () => {
  // The default (DTLS 1.3) and a 1.2 pin; the 1.2 suite named, the 1.3 suites their default (TLS_AES_128_GCM_SHA256 first, RFC 8446 9.1).
  it.each([
    { version: 'DTLSv1.3', standardName: 'TLS_AES_128_GCM_SHA256', maxVersion: undefined },
    { version: 'DTLSv1.2', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', maxVersion: 'DTLSv1.2' },
  ] as const)('echoes with a generated CA, checks the name, and shows both certificates ($version)', async ({ version, standardName, maxVersion }) => {
    const accepted: EstablishedDtlsSocket[] = [];
    server = createServer(
      { x509: x509Server({ key: serverCert.key, cert: serverCert.cert, ca: ca.cert, requestCert: true }), ALPNProtocols: ['coap'] },
      (s) => {
        accepted.push(s);
        echo(s);
      },
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await connect({
      host: '127.0.0.1',
      port,
      x509: x509Client({ ca: ca.cert, key: clientCert.key, cert: clientCert.cert }),
      cipherSuites: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      ALPNProtocols: ['coap'],
      ...(maxVersion === undefined ? {} : { maxVersion }),
    });
    expect(client.getProtocol()).toBe(version);
    expect(client.getCipher().standardName).toBe(standardName);
    expect(client.authorized).toBe(true);
    expect(client.alpnProtocol).toBe('coap');
    // node:tls's object: the fields as node's own X509Certificate gives them.
    const serverSeen = client.getPeerCertificate();
    const serverX509 = new X509Certificate(serverCert.cert);
    expect(serverSeen.subject?.CN).toBe('localhost');
    expect(serverSeen.issuer?.CN).toBe('nonblocking test CA');
    expect(serverSeen.subjectaltname).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(serverSeen.fingerprint256).toBe(serverX509.fingerprint256);
    expect(serverSeen.serialNumber).toBe(serverX509.serialNumber);
    expect(serverSeen.valid_to).toBe(serverX509.validTo);
    expect(serverSeen.raw?.equals(serverX509.raw)).toBe(true);
    expect(client.getPeerX509Certificate()?.fingerprint256).toBe(serverX509.fingerprint256);
    // The server sent its leaf only: the detailed chain ends there, without a link (as node:tls).
    expect(client.getPeerCertificate(true).issuerCertificate).toBeUndefined();
    expect(client.getPeerCertificateChain()).toHaveLength(1);
    expect(await roundTrip(client, 'signed and sealed')).toBe('signed and sealed');

    const peer = accepted[0] as EstablishedDtlsSocket;
    expect(peer.authorized).toBe(true);
    expect(peer.getPeerCertificate().subject?.CN).toBe('device-42');
    expect(peer.getPeerX509Certificate()?.subject).toContain('CN=device-42');
    expect(peer.pskIdentity).toBeUndefined();
    await client.close();
  });

  it('over IPv6, checking the server certificate against the address', async () => {
    server = createServer({ x509: x509Server({ key: serverCert.key, cert: serverCert.cert }) }, echo);
    const { port } = await server.listen(0, '::1');
    const client = await connect({ host: '::1', port, x509: x509Client({ ca: ca.cert }) });
    expect(client.authorized).toBe(true);
    expect(await roundTrip(client, 'v6')).toBe('v6');
    await client.close();
  });

  it('rejects a server whose CA it does not trust with unknown_ca', async () => {
    server = createServer({ x509: x509Server({ key: serverCert.key, cert: serverCert.cert }) });
    const clientErrors: DtlsError[] = [];
    server.on('clientError', (e) => clientErrors.push(e));
    const { port } = await server.listen(0, '127.0.0.1');
    const error = (await connect({ host: '127.0.0.1', port, x509: x509Client({ ca: otherCa.cert }) }).catch((e: unknown) => e)) as DtlsError;
    expect(error.alertName).toBe('unknown_ca');
    expect(error.fromPeer).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(clientErrors.map((e) => e.alertName)).toEqual(['unknown_ca']);
  });

  it('rejects a server certificate for another name with bad_certificate (servername defaults to host)', async () => {
    server = createServer({ x509: x509Server({ key: serverCert.key, cert: serverCert.cert }) });
    const { port } = await server.listen(0, '127.0.0.1');
    const error = (await connect({ host: '127.0.0.1', port, servername: 'example.com', x509: x509Client({ ca: ca.cert }) }).catch((e: unknown) => e)) as DtlsError;
    expect(error.alertName).toBe('bad_certificate');
  });
});
