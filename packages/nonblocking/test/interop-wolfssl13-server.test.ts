/**
 * Our DTLS 1.3 server (RFC 9147) in the non-blocking runtime against wolfSSL 5.5.4's example
 * client on 127.0.0.1 (issue 17): the stateless HelloRetryRequest with our cookie, then the whole
 * 1.3 handshake and an echo. Run from wolfSSL's source root; its 1.3 PSK is hard-coded
 * (0123456789abcdef x4) and its identity is Client_identity followed by the suite's hash
 * ("Client_identitySHA256", its my_psk_client_cs_cb):
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x
 *   ./examples/client/client -u -v 4 -l TLS13-AES256-GCM-SHA384 -s -h 127.0.0.1 -p PORT -d -x
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -K -h 127.0.0.1 -p PORT -d -x   (psk_ke)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p PORT -d -x        (our ECDSA / RSA certificate)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p PORT -d -x -J     (no key share: our HRR asks for one)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -h 127.0.0.1 -p PORT -d -c FIXTURES/client.pem -k FIXTURES/client.key
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x -I   (KeyUpdate before its message)
 *     (client authentication: FIXTURES = packages/core/test/fixtures/wolfssl13/certs, an ECDSA P-256 client certificate of ours)
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { pskServer } from '@dtls-kit/psk';
import { createCA, createCertificate, x509Server, type GeneratedKeyType } from '@dtls-kit/x509';
import { WOLFSSL_CLIENT_MESSAGE, WOLFSSL_PSK_13, describePeerClient, runWolfsslClient, wolfsslRoot, type WolfsslClientOptions } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { echo, text, until } from './helpers.js';

const CERTS = fileURLToPath(new URL('../../core/test/fixtures/wolfssl13/certs/', import.meta.url));

let server: DtlsServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const psk = (): ReturnType<typeof pskServer> => pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13, Client_identitySHA384: WOLFSSL_PSK_13 } });

async function certificate(keyType: GeneratedKeyType): Promise<ReturnType<typeof x509Server>> {
  const ca = await createCA({ commonName: 'wolfssl13 test CA', keyType });
  const leaf = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server', keyType });
  return x509Server({ key: leaf.key, cert: leaf.cert });
}

/** Our 1.3 echo server and one run of wolfSSL's client against it. */
async function run(options: Parameters<typeof createServer>[0], client: Omit<WolfsslClientOptions, 'port' | 'version'>): Promise<{ received: string[]; accepted: DtlsSocket[] }> {
  const accepted: DtlsSocket[] = [];
  const received: string[] = [];
  server = createServer({ maxVersion: 'DTLSv1.3', ...options }, (s) => {
    accepted.push(s);
    s.on('message', (m) => received.push(text(m)));
    echo(s);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const result = await runWolfsslClient({ version: '1.3', port, ...client });
  expect(result.echoed, describePeerClient(result)).toBe(true);
  expect(result.version).toBe('DTLSv1.3');
  return { received, accepted };
}

describe('non-blocking DTLS 1.3 server with the wolfSSL 5.5.4 client', () => {
  it('PSK (TLS13-AES128-GCM-SHA256, psk_dhe_ke): its message echoed', async () => {
    const { received, accepted } = await run({ psk: psk() }, { psk: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
    expect(accepted[0]?.pskIdentity).toBe('Client_identitySHA256');
  }, 30_000);

  it('PSK with SHA-384 (TLS13-AES256-GCM-SHA384)', async () => {
    const { received } = await run({ psk: psk() }, { psk: true, cipher: 'TLS13-AES256-GCM-SHA384' });
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);

  it('PSK alone (psk_ke, -K): no key share', async () => {
    const { received } = await run({ psk: psk() }, { psk: true, pskOnly: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);

  it('ECDSA P-256 certificate (CertificateVerify ecdsa_secp256r1_sha256)', async () => {
    const { received } = await run({ x509: await certificate('ecdsa-p256') }, { cipher: 'TLS13-AES128-GCM-SHA256' });
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);

  it('RSA-2048 certificate (CertificateVerify rsa_pss_rsae_sha256)', async () => {
    const { received } = await run({ x509: await certificate('rsa-2048') }, { cipher: 'TLS13-AES128-GCM-SHA256' });
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);

  it('-J: a first ClientHello without key share, our HelloRetryRequest asks for P-256', async () => {
    const { received } = await run({ x509: await certificate('ecdsa-p256') }, { cipher: 'TLS13-AES128-GCM-SHA256', helloRetry: true });
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);

  it('refuses a binder made with another key (decrypt_error, RFC 8446 4.2.11) and an identity it does not know (unknown_psk_identity)', async () => {
    const other = `ff${WOLFSSL_PSK_13.slice(2)}`;
    for (const [keys, alert] of [
      [{ Client_identitySHA256: other }, 'decrypt_error'],
      [{ someone_else: WOLFSSL_PSK_13 }, 'unknown_psk_identity'],
    ] as const) {
      const accepted: DtlsSocket[] = [];
      server = createServer({ maxVersion: 'DTLSv1.3', psk: pskServer({ keys }) }, (s) => accepted.push(s));
      const { port } = await server.listen(0, '127.0.0.1');
      const result = await runWolfsslClient({ version: '1.3', port, psk: true, cipher: 'TLS13-AES128-GCM-SHA256', timeoutMs: 5000 });
      expect(result.echoed).toBe(false);
      expect(result.timedOut, describePeerClient(result)).toBe(false); // it read our alert
      await until(() => (server?.stats.handshakesFailed.sent[alert] ?? 0) === 1, 5000, `${alert} sent`);
      expect(accepted).toEqual([]);
      await server.close();
      server = undefined;
    }
  }, 30_000);

  it("client authentication: our CertificateRequest, wolfSSL's ECDSA certificate and CertificateVerify checked against our CA", async () => {
    const ca = readFileSync(`${CERTS}ca.pem`, 'utf8');
    const serverCa = await createCA({ commonName: 'wolfssl13 server CA' });
    const leaf = await createCertificate({ ca: serverCa, commonName: 'localhost', usage: 'server' });
    const { received, accepted } = await run(
      { x509: x509Server({ key: leaf.key, cert: leaf.cert, ca, requestCert: true }) },
      { cipher: 'TLS13-AES128-GCM-SHA256', cert: `${CERTS}client.pem`, key: `${CERTS}client.key` },
    );
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
    expect(accepted[0]?.authorized).toBe(true);
    expect(accepted[0]?.getPeerCertificate()?.subject).toBeDefined();
  }, 30_000);

  it('client authentication required: a client without a certificate gets certificate_required (RFC 8446 4.4.2.4)', async () => {
    const ca = readFileSync(`${CERTS}ca.pem`, 'utf8');
    const serverCa = await createCA({ commonName: 'wolfssl13 server CA' });
    const leaf = await createCertificate({ ca: serverCa, commonName: 'localhost', usage: 'server' });
    server = createServer({ maxVersion: 'DTLSv1.3', x509: x509Server({ key: leaf.key, cert: leaf.cert, ca, requestCert: true }) }, () => undefined);
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runWolfsslClient({ version: '1.3', port, cipher: 'TLS13-AES128-GCM-SHA256', timeoutMs: 5000 });
    expect(result.echoed).toBe(false);
    await until(() => (server?.stats.handshakesFailed.sent['certificate_required'] ?? 0) === 1, 5000, 'certificate_required sent');
  }, 30_000);

  it("KeyUpdate (RFC 9147 8, wolfSSL's -I): acknowledged, its message read under its next keys (epoch 4), the echo goes back", async () => {
    const { received } = await run({ psk: psk() }, { psk: true, cipher: 'TLS13-AES128-GCM-SHA256', keyUpdate: true });
    // wolfSSL's -I client sends its message twice: under its old keys (epoch 3, its KeyUpdate not
    // yet acknowledged: RFC 9147 8) and again under the new ones (the key-update capture of
    // core/test/fixtures/wolfssl13 shows the same with wolfSSL's own server).
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE, WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);
});
