/**
 * DTLS 1.2 certificate interop with wolfSSL 5.5.4 (issue 17) over real UDP on 127.0.0.1, both
 * roles, both sides verifying the other's chain (the PKI of pki.ts: ECDSA P-256 ours with an
 * intermediate, RSA-2048 from `openssl req`):
 * - our client (trusting the root, checking the name localhost) -> wolfSSL's example server:
 *     ./examples/server/server -u -v 3 -p PORT -l SUITE -c CHAIN.pem -k KEY.pem -d -e -i
 *   (with a client certificate: -A ROOT.pem instead of -d, which makes it required)
 * - wolfSSL's example client -> our server:
 *     ./examples/client/client -u -v 3 -l SUITE -h 127.0.0.1 -p PORT -A ROOT.pem -x
 *   (with a client certificate: -c CHAIN.pem -k KEY.pem instead of -x)
 * The server echoes (-e); the client sends "hello wolfssl!" and prints the reply. A failed
 * wolfSSL build fails these tests, it never skips them.
 *
 * `make test` runs a slice (QUICK); WOLFSSL_MATRIX=full runs every certificate suite, each with
 * and without client certificates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WOLFSSL_CLIENT_MESSAGE,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startRecordingRelay,
  startWolfsslServer,
  waitUntil,
  wolfsslRoot,
} from '@dtls-kit/test-kit';
import { cipherSuiteByName } from '@dtls-kit/core';
import { describeCertificate, x509Client, x509Server } from '../../src/index.js';
import { SUITES, connectOurClient, startOurServer, type Suite } from './our-side.js';
import { makeInteropPki, type Hierarchy, type Identity, type InteropPki } from './pki.js';

/** wolfSSL's names where they differ from OpenSSL's. */
const WOLFSSL_NAMES: Partial<Record<Suite, string>> = { 'ECDHE-ECDSA-AES128-CCM8': 'ECDHE-ECDSA-AES128-CCM-8' };

/** The slice of `make test`: [suite, with client certificates]. */
const QUICK: ReadonlyArray<readonly [Suite, boolean]> = [
  ['ECDHE-ECDSA-AES128-GCM-SHA256', false],
  ['ECDHE-ECDSA-AES128-GCM-SHA256', true],
  ['ECDHE-RSA-AES256-GCM-SHA384', false],
];
const FULL = (Object.keys(SUITES) as Suite[]).flatMap((suite) => [[suite, false] as const, [suite, true] as const]);
const RUN = process.env['WOLFSSL_MATRIX'] === 'full' ? FULL : QUICK;

function wolfsslName(suite: Suite): string {
  return WOLFSSL_NAMES[suite] ?? suite;
}

function ianaName(suite: Suite): string {
  const found = cipherSuiteByName(suite);
  if (found === undefined) throw new Error(`${suite} is not in our registry`);
  return found.name;
}

/** What a chain must look like: the identity's leaf first, then its intermediates. */
function expectChain(peerCertificates: readonly Uint8Array[], identity: Identity, why: string): void {
  expect(peerCertificates.map((der) => describeCertificate(der).fingerprint256), why).toEqual(identity.chainFingerprints);
}

let pki: InteropPki;

beforeAll(async () => {
  wolfsslRoot();
  pki = await makeInteropPki();
}, 30 * 60_000);

afterAll(() => pki?.remove());

describe.concurrent('DTLS 1.2 certificate interop with wolfSSL 5.5.4', () => {
  for (const [suite, clientAuth] of RUN) {
    const auth = clientAuth ? 'with client certificate' : 'no client certificate';
    const hierarchy = (): Hierarchy => pki[SUITES[suite]];

    it(`${suite}: our client -> wolfSSL server, ${auth}`, async ({ expect }) => {
      const h = hierarchy();
      const server = await startWolfsslServer({
        version: '1.2',
        cipher: wolfsslName(suite),
        cert: h.server.chainFile,
        key: h.server.keyFile,
        verifyClientCa: clientAuth ? h.caFile : undefined,
      });
      try {
        const client = await connectOurClient({
          port: server.port,
          suite,
          servername: 'localhost',
          x509: clientAuth ? x509Client({ ca: h.caPem, key: h.client.keyPem, cert: h.client.chainPem }) : x509Client({ ca: h.caPem }),
        }).catch((error: unknown) => {
          throw new Error(`${String(error)}\n${describePeerServer(server)}`);
        });
        try {
          const why = (): string => `${suite} ${auth}: events ${client.describeEvents()}\n${describePeerServer(server)}`;
          expect(client.established, why()).toBe(true);
          expect(client.connection.cipherSuite?.opensslName, why()).toBe(suite);
          expect(client.connection.authorized, why()).toBe(true);
          expectChain(client.connection.peerCertificates, h.server, why());
          expect(client.tap.cookieExchange.helloVerifyRequests, why()).toBeGreaterThanOrEqual(1);
          const messages = [`hello ${suite} wolfssl-server\n`, `second ${'x'.repeat(40)}\n`];
          expect(await client.exchange(messages), why()).toBe(messages.join(''));
          // Its stdout comes through a pipe, maybe after the echo came through the socket.
          const printed = `SSL cipher suite is ${ianaName(suite)}`;
          await waitUntil(() => server.stdout().includes(printed), 3000);
          expect(server.stdout(), why()).toContain(printed);
        } finally {
          await client.close();
        }
      } finally {
        await server.stop();
      }
    });

    it(`${suite}: wolfSSL client -> our server, ${auth}`, async ({ expect }) => {
      const h = hierarchy();
      const ours = await startOurServer({
        suite,
        x509: clientAuth
          ? x509Server({ key: h.server.keyPem, cert: h.server.chainPem, ca: h.caPem, requestCert: true })
          : x509Server({ key: h.server.keyPem, cert: h.server.chainPem }),
      });
      try {
        const client = await runWolfsslClient({
          version: '1.2',
          cipher: wolfsslName(suite),
          port: ours.port,
          caFile: h.caFile,
          cert: clientAuth ? h.client.chainFile : undefined,
          key: clientAuth ? h.client.keyFile : undefined,
        });
        await ours.waitForClose();
        const why = `${suite} ${auth}\n${ours.describe()}\n${describePeerClient(client)}`;
        expect(client.code, why).toBe(0);
        expect(client.version, why).toBe('DTLSv1.2');
        expect(client.cipher, why).toBe(ianaName(suite));
        expect(client.echoed, why).toBe(true);
        expect(ours.server.errors, why).toEqual([]);
        expect(ours.sessions, why).toHaveLength(1);
        const [session] = ours.sessions;
        expect(session, why).toMatchObject({ handshake: true, suite, data: WOLFSSL_CLIENT_MESSAGE, close: 'clean' });
        if (clientAuth) {
          expect(session!.authorized, why).toBe(true);
          expectChain(session!.peerCertificates, h.client, why);
        } else {
          expect(session!.peerCertificates, why).toEqual([]);
        }
      } finally {
        await ours.stop();
      }
    });
  }
});

describe('a DTLS 1.3 client that also offers 1.2', () => {
  // RFC 9147 5.3 / RFC 8446 4.2.1: its ClientHello has legacy_version DTLS 1.2 and offers DTLS 1.3
  // and 1.2 in supported_versions (and TLS 1.3 suites, key shares); a 1.2-only server ignores
  // what it does not know, answers the cookie exchange and DTLS 1.2, and the client accepts.
  // (With -s, PSK, wolfSSL 5.5.4's -v d client never completes against a cookie-exchanging 1.2
  // server, its own included: it answers the HelloVerifyRequest with an ACK record.)
  it('wolfSSL client -v d -> our DTLS 1.2 server: DTLS 1.2 negotiated, data echoed', async ({ expect }) => {
    const h = pki.ecdsa;
    const ours = await startOurServer({ suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: x509Server({ key: h.server.keyPem, cert: h.server.chainPem }), maxVersion: 'DTLSv1.2' });
    const relay = await startRecordingRelay({ serverPort: ours.port });
    try {
      const client = await runWolfsslClient({ version: 'downgrade', port: relay.port, caFile: h.caFile });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${describePeerClient(client)}`;
      expect(client.code, why).toBe(0);
      expect(client.version, why).toBe('DTLSv1.2');
      expect(client.cipher, why).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      expect(client.echoed, why).toBe(true);
      expect(ours.server.errors, why).toEqual([]);
      expect(ours.sessions[0], why).toMatchObject({ handshake: true, suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', data: WOLFSSL_CLIENT_MESSAGE, close: 'clean' });
      expect(ours.server.stats.replies, why).toBeGreaterThanOrEqual(1);
      // Its first ClientHello offered DTLS 1.3: supported_versions (0x002b) lists 0xfefc.
      const hello = Buffer.from(relay.datagrams[0]!.bytes).toString('hex');
      const versions = /002b[0-9a-f]{4}([0-9a-f]{2})/.exec(hello);
      expect(versions, hello).not.toBeNull();
      const list = hello.slice(versions!.index + versions![0].length, versions!.index + versions![0].length + 2 * parseInt(versions![1]!, 16));
      expect(list.match(/.{4}/g), hello).toContain('fefc');
    } finally {
      await relay.stop();
      await ours.stop();
    }
  });

  it('wolfSSL client -v d -> our server with the default versions (1.2 and 1.3): DTLS 1.3 negotiated, data echoed', async ({ expect }) => {
    const h = pki.ecdsa;
    const ours = await startOurServer({ suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', x509: x509Server({ key: h.server.keyPem, cert: h.server.chainPem }) });
    try {
      const client = await runWolfsslClient({ version: 'downgrade', port: ours.port, caFile: h.caFile });
      await ours.waitForClose();
      const why = `${ours.describe()}\n${describePeerClient(client)}`;
      expect(client.code, why).toBe(0);
      expect(client.version, why).toBe('DTLSv1.3');
      expect(client.cipher, why).toBe('TLS_AES_128_GCM_SHA256');
      expect(client.echoed, why).toBe(true);
      expect(ours.server.errors, why).toEqual([]);
      expect(ours.sessions[0], why).toMatchObject({ handshake: true, data: WOLFSSL_CLIENT_MESSAGE, close: 'clean' });
    } finally {
      await ours.stop();
    }
  });
});
