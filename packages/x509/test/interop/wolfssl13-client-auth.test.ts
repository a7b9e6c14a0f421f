/**
 * Our DTLS 1.3 client's certificate (RFC 8446 4.4.2, 4.4.3) against wolfSSL 5.5.4's example
 * server requiring one, over UDP on 127.0.0.1, from its source root:
 *     ./examples/server/server -u -v 4 -c CHAIN.pem -k KEY.pem -A ROOT.pem -p PORT -e -i
 * (-A: the client must send a certificate that verifies against ROOT.pem; the PKI of pki.ts:
 * ECDSA P-256 with an intermediate, and RSA-2048, whose CertificateVerify is RSA-PSS). wolfSSL
 * reads our Certificate and CertificateVerify, checks them, and echoes. A signature over other
 * bytes is refused with decrypt_error (RFC 8446 4.4.3), which reaches our client under the
 * handshake keys; no certificate at all is refused too (see wolfssl13-client.test.ts for the
 * empty Certificate).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DtlsConnection, type CertificateSigner } from '@dtls-kit/core';
import { connectInteropClient, describePeerServer, startWolfsslServer, waitUntil, wolfsslRoot } from '@dtls-kit/test-kit';
import { x509Client } from '../../src/index.js';
import { makeInteropPki, type InteropPki } from './pki.js';

let pki: InteropPki;

beforeAll(async () => {
  wolfsslRoot();
  pki = await makeInteropPki();
}, 30 * 60_000);

afterAll(() => pki?.remove());

describe.concurrent('our DTLS 1.3 client certificate against wolfSSL 5.5.4 (-A: client authentication required)', () => {
  for (const kind of ['ecdsa', 'rsa'] as const) {
    it(`${kind}: wolfSSL verifies our chain and CertificateVerify${kind === 'rsa' ? ' (RSA-PSS)' : ''}, echo both ways`, async ({ expect }) => {
      const h = pki[kind];
      const server = await startWolfsslServer({ version: '1.3', cert: h.server.chainFile, key: h.server.keyFile, verifyClientCa: h.caFile });
      try {
        const connection = DtlsConnection.client({ x509: x509Client({ ca: h.caPem, key: h.client.keyPem, cert: h.client.chainPem }), servername: 'localhost', maxVersion: 'DTLSv1.3' });
        const client = await connectInteropClient(connection, { port: server.port, timeoutMs: 8000 });
        const why = (): string => `${client.describeEvents()}\n${describePeerServer(server)}`;
        try {
          expect(client.established, why()).toBe(true);
          expect(connection.protocol, why()).toBe('DTLSv1.3');
          const messages = [`client certificate ${kind}\n`];
          expect(await client.exchange(messages), why()).toBe(messages.join(''));
        } finally {
          await client.close();
        }
        expect(server.output()).not.toContain('peer did not return a certificate');
      } finally {
        await server.stop();
      }
    });
  }

  it('a CertificateVerify over other bytes: wolfSSL answers decrypt_error, which ends our connection', async ({ expect }) => {
    const h = pki.ecdsa;
    const server = await startWolfsslServer({ version: '1.3', cert: h.server.chainFile, key: h.server.keyFile, verifyClientCa: h.caFile });
    try {
      const credentials = x509Client({ ca: h.caPem, key: h.client.keyPem, cert: h.client.chainPem });
      const good = credentials.signer;
      if (good === undefined) throw new Error('x509Client made no signer');
      const bad: CertificateSigner = {
        ...good,
        sign: (scheme, data) => {
          const other = new Uint8Array(data);
          other[other.length - 1] = (other[other.length - 1] ?? 0) ^ 1;
          return good.sign(scheme, other);
        },
      };
      const connection = DtlsConnection.client({ x509: { ...credentials, signer: bad }, servername: 'localhost', maxVersion: 'DTLSv1.3' });
      const client = await connectInteropClient(connection, { port: server.port, timeoutMs: 8000 });
      const why = (): string => `${client.describeEvents()}\n${describePeerServer(server)}`;
      await waitUntil(() => connection.state === 'closed', 5000);
      await client.close();
      expect(connection.error?.alertName, why()).toBe('decrypt_error');
      expect(connection.error?.fromPeer, why()).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
