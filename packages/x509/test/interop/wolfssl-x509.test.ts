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
