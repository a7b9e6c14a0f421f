/**
 * node:tls names with node:tls meanings on the blocking connection: getCipher(), getProtocol(),
 * alpnProtocol (string | false), getPeerCertificate(detailed?), getPeerX509Certificate(),
 * exportKeyingMaterial(length, label, context); the old property spellings are gone.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createCA, createCertificate } from '@dtls-kit/x509';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DtlsError, createBlockingServer, runBlockingClient, type BlockingServer, type CipherInfo } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

type Generated = Awaited<ReturnType<typeof createCA>>;
let ca: Generated;
let serverCert: Generated;
beforeAll(async () => {
  ca = await createCA({ commonName: 'blocking names CA' });
  serverCert = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost'], usage: 'server' });
});

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Names {
  server: { cipher: CipherInfo; protocol: string; alpnProtocol: string | false; servername: string | null; peerCertificate: string | number; ekm: string };
  servername: string | null;
  cipher: CipherInfo;
  protocol: string;
  alpnProtocol: string | false;
  oldNames: string[];
  peerCertificate: {
    subject: Record<string, string>;
    issuer: Record<string, string>;
    subjectaltname: string;
    fingerprint256: string;
    rawIsBuffer: boolean;
    issuerCertificate: boolean;
    detailedIssuer: string | null;
  } | number;
  x509: { subject: string; fingerprint256: string } | null;
  ekm: string;
  ekmOther: string;
}

/**
 * Both versions: the default (DTLS 1.3; exportKeyingMaterial is RFC 8446 7.5's exporter there) and
 * a client that offers 1.2 only (RFC 5705). getCipher() names a 1.3 suite as node:tls names TLS 1.3's.
 */
const VERSIONS = [
  { handshakes: 'worker', maxVersion: 'DTLSv1.3', suite: 'TLS_AES_128_GCM_SHA256', cipher: { name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256', version: 'DTLSv1.3' } },
  {
    handshakes: 'worker',
    maxVersion: 'DTLSv1.2',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    cipher: { name: 'ECDHE-ECDSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', version: 'DTLSv1.2' },
  },
  // Handshook on the main thread, then handed over: every name the handler reads comes from the snapshot.
  {
    handshakes: 'main',
    maxVersion: 'DTLSv1.2',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    cipher: { name: 'ECDHE-ECDSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', version: 'DTLSv1.2' },
  },
] as const;

describe.each(VERSIONS)('blocking connection: node:tls names ($maxVersion, handshakes $handshakes)', ({ handshakes, maxVersion, suite, cipher }) => {
  it('certificates: getCipher(), getProtocol(), alpnProtocol, getPeerCertificate(detailed), getPeerX509Certificate(), exportKeyingMaterial()', async () => {
    const credentials = fixture('x509-credentials.mjs');
    server = createBlockingServer({
      handler: fixture('tls-names-handler.mjs'),
      // The chain goes with the leaf, so that the detailed object can link the issuer.
      credentials: { module: credentials, export: 'server', args: { key: serverCert.key, cert: serverCert.cert + ca.cert } },
      ALPNProtocols: ['coap', 'h2'],
      maxThreads: 1,
      handshakes,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<Names>({
      handler: fixture('tls-names-client.mjs'),
      port,
      credentials: { module: credentials, export: 'client', args: { ca: ca.cert } },
      ALPNProtocols: ['coap'],
      cipherSuites: [suite],
      maxVersion,
      args: { context: 'session-1' },
    });
    expect(r.cipher).toEqual(cipher);
    expect(r.server.cipher).toEqual(r.cipher);
    expect(r.protocol).toBe(maxVersion);
    expect(r.server.protocol).toBe(maxVersion);
    expect(r.alpnProtocol).toBe('coap');
    expect(r.server.alpnProtocol).toBe('coap');
    // No host, no servername: host is 'localhost' and servername defaults to it (as connect() of
    // @dtls-kit/nonblocking), so it is sent and the certificate is checked against it.
    expect(r.servername).toBe('localhost');
    expect(r.server.servername).toBe('localhost');
    expect(r.oldNames).toEqual([]);
    // The server's certificate, as node:tls describes it.
    const leaf = new X509Certificate(serverCert.cert);
    expect(r.peerCertificate).toEqual({
      subject: { CN: 'localhost' },
      issuer: { CN: 'blocking names CA' },
      subjectaltname: 'DNS:localhost',
      fingerprint256: leaf.fingerprint256,
      rawIsBuffer: true,
      issuerCertificate: false,
      detailedIssuer: 'blocking names CA',
    });
    expect(r.x509).toEqual({ subject: leaf.subject, fingerprint256: leaf.fingerprint256 });
    expect(r.server.peerCertificate).toBe(0); // the client sent none (not asked): {}, as node:tls
    // RFC 5705: both ends derive the same bytes for the same label and context; another context, others.
    expect(r.ekm).toMatch(/^[0-9a-f]{64}$/);
    expect(r.server.ekm).toBe(r.ekm);
    expect(r.ekmOther).not.toBe(r.ekm);
    console.log(`blocking names ${maxVersion}: ${r.cipher.name}, ALPN ${String(r.alpnProtocol)}, EKM ${createHash('sha256').update(r.ekm).digest('hex').slice(0, 8)}…`);
  });

  it('PSK: no ALPN is false, no certificate is {} (as node:tls)', async () => {
    server = createBlockingServer({ handler: fixture('tls-names-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<Names>({ handler: fixture('tls-names-client.mjs'), port, credentials: clientCredentials, maxVersion, args: { context: 'psk' } });
    expect(r.alpnProtocol).toBe(false);
    expect(r.server.alpnProtocol).toBe(false);
    // No certificate: node:tls's {} (no keys), and no X509Certificate.
    expect(r.peerCertificate).toBe(0);
    expect(r.x509).toBeNull();
    expect(r.server.peerCertificate).toBe(0);
    expect(r.cipher.version).toBe(maxVersion);
    expect(r.server.ekm).toBe(r.ekm);
  });

  it("servername is what was sent: nothing for an IP address as host; a host name, '' or another servername", async () => {
    server = createBlockingServer({ handler: fixture('tls-names-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const names = async (more: { host?: string; servername?: string }): Promise<[string | null, string | null]> => {
      const r = await runBlockingClient<Names>({ handler: fixture('tls-names-client.mjs'), port, credentials: clientCredentials, maxVersion, args: { context: 'sni' }, ...more });
      expect(r.protocol).toBe(maxVersion);
      return [r.servername, r.server.servername];
    };
    expect(await names({ host: '127.0.0.1' })).toEqual([null, null]);
    expect(await names({ host: 'localhost' })).toEqual(['localhost', 'localhost']);
    expect(await names({ host: 'localhost', servername: '' })).toEqual([null, null]);
    expect(await names({ host: '127.0.0.1', servername: 'device.example' })).toEqual(['device.example', 'device.example']);
  });

  it('the certificate is checked against host when no servername is given (an IP address the certificate lacks is refused)', async () => {
    const credentials = fixture('x509-credentials.mjs');
    server = createBlockingServer({
      handler: fixture('tls-names-handler.mjs'),
      credentials: { module: credentials, export: 'server', args: { key: serverCert.key, cert: serverCert.cert } },
      maxThreads: 1,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    // The certificate names localhost only.
    const error = await runBlockingClient({
      handler: fixture('tls-names-client.mjs'),
      host: '127.0.0.1',
      port,
      credentials: { module: credentials, export: 'client', args: { ca: ca.cert } },
      maxVersion,
      args: { context: 'ip' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DtlsError);
    expect(error instanceof DtlsError ? error.alertName : undefined).toBe('bad_certificate');
    expect(String(error)).toContain('127.0.0.1');
  });
});
