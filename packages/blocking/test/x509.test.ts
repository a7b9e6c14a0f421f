import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, createCertificate } from '@dtls-kit/x509';
import { runOpensslClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { fixture, until, type RoundTripResult } from './helpers.js';

type Generated = Awaited<ReturnType<typeof createCA>>;
let ca: Generated;
let serverCert: Generated;
const dir = mkdtempSync(join(tmpdir(), 'dtls-blocking-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  ca = await createCA({ commonName: 'blocking test CA' });
  serverCert = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
});

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

const credentialsModule = fixture('x509-credentials.mjs');

describe('certificates through a credentials module', () => {
  // The default is DTLS 1.3 (an ECDSA CertificateVerify, RFC 8446 4.4.3); a 1.2 client still gets ECDHE_ECDSA.
  it.each([
    ['DTLSv1.3', /^TLS_AES_128_GCM_SHA256$/],
    ['DTLSv1.2', /^ECDHE-ECDSA-/],
  ] as const)('our blocking server and client (ECDHE_ECDSA), %s', async (maxVersion, cipher) => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { module: credentialsModule, export: 'server', args: { key: serverCert.key, cert: serverCert.cert } },
      maxThreads: 1,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: { module: credentialsModule, export: 'client', args: { ca: ca.cert } },
      args: { messages: ['signed hello'] },
      maxVersion,
    });
    expect(r.replies).toEqual(['signed hello']);
    expect(r.cipher).toMatch(cipher);
    await until(() => server!.stats.completed === 1, 5000, 'connection to end');
  });

  it('our blocking server, openssl s_client; our blocking client, openssl s_server', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { module: credentialsModule, export: 'server', args: { key: serverCert.key, cert: serverCert.cert } },
      maxThreads: 1,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({ port, cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', messages: ['hello from openssl'] });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);

    const certFile = join(dir, 'server.pem');
    const keyFile = join(dir, 'server.key');
    writeFileSync(certFile, serverCert.cert);
    writeFileSync(keyFile, serverCert.key);
    peer = await startOpensslServer({ cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305', cert: certFile, key: keyFile });
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: peer.port,
      credentials: { module: credentialsModule, export: 'client', args: { ca: ca.cert } },
      args: { messages: ['hello from dtls-kit'] },
    });
    expect(r.replies).toEqual(['hello from dtls-kit']);
    expect(r.cipher).toBe('ECDHE-ECDSA-CHACHA20-POLY1305');
  });
});
