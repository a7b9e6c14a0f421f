/**
 * Our DTLS 1.3 client with certificates (issue 17) against wolfSSL 5.5.4's example server over UDP
 * on 127.0.0.1, from its source root:
 *     ./examples/server/server -u -v 4 -l SUITE -c CHAIN.pem -k KEY.pem -p PORT -d -e -i
 * (the PKI of pki.ts: ECDSA P-256 with an intermediate, and RSA-2048, whose TLS 1.3
 * CertificateVerify is RSA-PSS, RFC 8446 4.2.3). Our client trusts the root and checks the name
 * localhost; it answers wolfSSL's HelloRetryRequest (cookie, RFC 9147 5.1), verifies the chain and
 * the CertificateVerify over the transcript (RFC 8446 4.4.3), the server's Finished, and echoes
 * both ways in epoch 3. With `-A ROOT.pem` instead of `-d` the server asks for a client
 * certificate (CertificateRequest): our client without one answers with an empty Certificate
 * (RFC 8446 4.4.2), which wolfSSL reads and refuses ("peer did not return a certificate").
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DtlsConnection } from '@dtls-kit/core';
import { connectInteropClient, describePeerServer, startWolfsslServer, waitUntil, wolfsslRoot } from '@dtls-kit/test-kit';
import { x509Client } from '../../src/index.js';
import { makeInteropPki, type InteropPki, type KeyKind } from './pki.js';

let pki: InteropPki;

beforeAll(async () => {
  wolfsslRoot();
  pki = await makeInteropPki();
}, 30 * 60_000);

afterAll(() => pki?.remove());

const CASES: ReadonlyArray<readonly [KeyKind, string, string]> = [
  ['ecdsa', 'TLS_AES_128_GCM_SHA256', 'TLS13-AES128-GCM-SHA256'],
  ['ecdsa', 'TLS_AES_256_GCM_SHA384', 'TLS13-AES256-GCM-SHA384'],
  ['rsa', 'TLS_AES_128_GCM_SHA256', 'TLS13-AES128-GCM-SHA256'],
  ['ecdsa', 'TLS_AES_128_CCM_SHA256', 'TLS13-AES128-CCM-SHA256'],
  ['ecdsa', 'TLS_AES_128_CCM_8_SHA256', 'TLS13-AES128-CCM-8-SHA256'],
];

describe.concurrent('our DTLS 1.3 client against wolfSSL 5.5.4 (certificates)', () => {
  for (const [kind, iana, wolfssl] of CASES) {
    it(`${kind} ${iana}: chain and CertificateVerify checked, echo both ways`, async ({ expect }) => {
      const h = pki[kind];
      const server = await startWolfsslServer({ version: '1.3', cipher: wolfssl, cert: h.server.chainFile, key: h.server.keyFile });
      try {
        const connection = DtlsConnection.client({ x509: x509Client({ ca: h.caPem }), servername: 'localhost', maxVersion: 'DTLSv1.3', cipherSuites: [iana] });
        const client = await connectInteropClient(connection, { port: server.port, timeoutMs: 8000 });
        const why = `${client.describeEvents()}\n${describePeerServer(server)}`;
        try {
          expect(client.established, why).toBe(true);
          expect(connection.protocol, why).toBe('DTLSv1.3');
          expect(connection.getCipher()?.standardName, why).toBe(iana);
          expect(connection.authorized, why).toBe(true);
          expect(connection.peerCertificates.length, why).toBe(h.server.chainFingerprints.length);
          const messages = [`hello ${kind} ${iana}\n`, `second ${'q'.repeat(60)}\n`];
          expect(await client.exchange(messages), why).toBe(messages.join(''));
        } finally {
          await client.close();
        }
        await waitUntil(() => server.stdout().includes(`SSL cipher suite is ${iana}`), 3000);
        expect(server.stdout()).toContain('SSL version is DTLSv1.3');
      } finally {
        await server.stop();
      }
    });
  }

  it('a CertificateRequest (-A ROOT.pem) gets our empty Certificate (RFC 8446 4.4.2), which wolfSSL refuses', async ({ expect }) => {
    const h = pki.ecdsa;
    const server = await startWolfsslServer({ version: '1.3', cert: h.server.chainFile, key: h.server.keyFile, verifyClientCa: h.caFile });
    try {
      const connection = DtlsConnection.client({ x509: x509Client({ ca: h.caPem }), servername: 'localhost', maxVersion: 'DTLSv1.3' });
      const client = await connectInteropClient(connection, { port: server.port, timeoutMs: 8000 });
      const why = (): string => `${client.describeEvents()}\n${describePeerServer(server)}`;
      // wolfSSL read our epoch-2 flight (Certificate with no entries, Finished) and refuses it as -A requires.
      await waitUntil(() => server.output().includes('peer did not return a certificate'), 5000).catch(() => undefined);
      await client.close();
      expect(server.output(), why()).toContain('peer did not return a certificate');
    } finally {
      await server.stop();
    }
  });

  it('a chain we do not trust ends the handshake (the wrong root)', async ({ expect }) => {
    const server = await startWolfsslServer({ version: '1.3', cert: pki.ecdsa.server.chainFile, key: pki.ecdsa.server.keyFile });
    try {
      const connection = DtlsConnection.client({ x509: x509Client({ ca: pki.rsa.caPem }), servername: 'localhost', maxVersion: 'DTLSv1.3' });
      const client = await connectInteropClient(connection, { port: server.port, timeoutMs: 8000 });
      await client.close();
      expect(client.established).toBe(false);
      expect(connection.error?.alertName, client.describeEvents()).toMatch(/certificate|unknown_ca/);
    } finally {
      await server.stop();
    }
  });
});
