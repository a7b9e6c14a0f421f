/**
 * Smoke test of the launchers' certificate options (for the x509 package's interop
 * tests): one ECDHE-ECDSA suite between OpenSSL and GnuTLS, both directions, with the
 * client verifying the server certificate and its host name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  gnutlsPriorityForSuite,
  requireBinary,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startOpensslServer,
} from '../src/index.js';

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
let dir = '';
let cert = '';
let key = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-x509-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  // Self-signed P-256 certificate, trusted directly by the clients. It needs a
  // subjectAltName: host name checks ignore a CN-only certificate.
  execFileSync(requireBinary('openssl'), [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'pipe' });
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.concurrent(`certificates: ${SUITE}`, () => {
  it('openssl s_client -> gnutls-serv', async ({ expect }) => {
    const server = await startGnutlsServer({ priority: gnutlsPriorityForSuite(SUITE), cert, key });
    try {
      const client = await runOpensslClient({
        port: server.port,
        cipher: SUITE,
        caFile: cert,
        verifyHostname: 'localhost',
        messages: ['hello over ECDSA'],
      });
      const why = `${server.output()}\n${client.stdout}\n${client.stderr}`;
      expect(client.echoed, why).toBe(true);
      expect(client.code, why).toBe(0);
      expect(client.cipher, why).toBe(SUITE);
      expect(client.stdout, why).toContain('Verify return code: 0 (ok)');
    } finally {
      await server.stop();
    }
  });

  it('gnutls-cli -> openssl s_server', async ({ expect }) => {
    const server = await startOpensslServer({ cipher: SUITE, cert, key });
    try {
      const client = await runGnutlsClient({
        port: server.port,
        priority: gnutlsPriorityForSuite(SUITE),
        caFile: cert,
        verifyHostname: 'localhost',
        messages: ['hello over ECDSA'],
      });
      const why = `${server.output()}\n${client.stdout}\n${client.stderr}`;
      expect(client.echoed, why).toBe(true);
      expect(client.code, why).toBe(0);
      expect(client.description, why).toMatch(/^\(DTLS1\.2-X\.509\)-\(ECDHE-SECP256R1\)-\(ECDSA-SHA256\)-\(AES-128-GCM\)$/);
      expect(client.stdout, why).toContain('The certificate is trusted');
    } finally {
      await server.stop();
    }
  });
});
